"""Small helpers shared by the facilities tests."""

import datetime

from django.utils import timezone

from audit.models import AuditEntry


def local(moment: datetime.datetime) -> str:
    """Return a moment as a form field takes it: in the library's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")


def footage_entries(**filters: object):  # type: ignore[no-untyped-def]
    """Return the footage gate's audit entries, oldest first."""
    return AuditEntry.objects.filter(category="footage", **filters).order_by("seq")
