"""Small helpers shared by the facilities tests."""

import datetime
import re

from django.utils import timezone

from audit.models import AuditEntry


def local(moment: datetime.datetime) -> str:
    """Return a moment as a form field takes it: in the library's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")


def footage_entries(**filters: object):  # type: ignore[no-untyped-def]
    """Return the footage gate's audit entries, oldest first."""
    return AuditEntry.objects.filter(category="footage", **filters).order_by("seq")


def offered(response, field: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the values a form's select offers, the empty choice left out."""
    html = response.content.decode()
    select = re.search(rf'<select name="{field}".*?</select>', html, re.S)
    assert select, f"no select {field}"
    return [value for value in re.findall(r'<option value="([^"]*)"', select.group(0)) if value]
