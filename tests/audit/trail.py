"""Reading what the audit trail gained: the entries appended since the last look."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from audit.models import AuditEntry


class Trail:
    """The entries appended since the trail was last looked at."""

    def __init__(self) -> None:
        self.seq = self._head()

    @staticmethod
    def _head() -> int:
        return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def new(self) -> list[AuditEntry]:
        """Return the entries appended since the last look, oldest first."""
        entries = list(AuditEntry.objects.filter(seq__gt=self.seq).order_by("seq"))
        self.seq = self._head()
        return entries


def naming(
    entries: list[AuditEntry],
    model: type[models.Model],
    pk: Any = None,
    field: str | None = None,
    action: int | None = None,
) -> list[AuditEntry]:
    """Return the entries about a record of `model` (any, or number `pk`), the field, the action."""
    content_type = ContentType.objects.get_for_model(model)
    return [
        entry
        for entry in entries
        if entry.content_type_id == content_type.pk
        and (pk is None or entry.object_pk == str(pk))
        and (action is None or entry.action == action)
        and (field is None or field in (entry.changes or {}))
    ]
