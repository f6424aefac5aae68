"""Many-to-many changes in the audit trail, made from either end.

django-auditlog's own many-to-many logging puts an addition made from the other
end on the wrong record under the field's name, and after clear() lists every
row of the other table as removed. Here a change of a tracked many-to-many,
made through either end's manager (add, remove, set, clear), appends one entry
for each record of the declaring side it touched, in auditlog's shape:
`{field: {"type": "m2m", "operation": "add" | "delete", "objects": [...]}}`,
naming only the rows that were really added or removed.

A login at the other end is named by its number: its name is identity (CONF-6).
auditlog's `disable_auditlog()` silences these entries too, for work that
writes one summary instead. Django sends no signal for rows written straight
into the table of a many-to-many it made, or removed with a deleted record
(whose own deletion is the entry), so none is heard; no code here writes them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from auditlog import get_logentry_model
from auditlog.receivers import check_disable
from django.conf import settings
from django.db.models import ManyToManyField, Model, signals

ADD, DELETE = "add", "delete"
# Where a removal's rows wait between m2m_changed's pre_ and post_ signals.
_GOING = "_audit_relation_rows_going"

# The relation's table → the field that declares it.
_tracked: dict[type[Model], ManyToManyField[Any, Any]] = {}


def track_relation(model: type[Model], field_name: str) -> None:
    """Append an entry for every change of the many-to-many `field_name` of `model`."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, ManyToManyField), f"{model._meta.label}.{field_name}"
    through = _table(field)
    _tracked[through] = field
    signals.m2m_changed.connect(
        _changed, sender=through, dispatch_uid=f"audit.relations:{through._meta.label}"
    )


def is_tracked(field: Any) -> bool:
    """Return True if changes of this many-to-many field are appended to the trail."""
    return _tracked.get(field.remote_field.through) is field


def _table(field: ManyToManyField[Any, Any]) -> type[Model]:
    through = field.remote_field.through
    assert through is not None  # set once the model is ready
    return through


def _is_login(model: type[Model]) -> bool:
    return model._meta.label_lower == settings.AUTH_USER_MODEL.lower()


def _names(model: type[Model], pks: set[Any]) -> list[str]:
    """Return how entries name these records of `model`: logins by number, the rest as they read."""
    if _is_login(model):
        return [f"{model._meta.verbose_name} #{pk}" for pk in sorted(pks)]
    return sorted(str(record) for record in model._default_manager.filter(pk__in=pks))


def _rows(
    field: ManyToManyField[Any, Any], instance: Model, reverse: bool, others: Any
) -> set[Any]:
    """Return the (declaring record, other record) id pairs now joined to `instance`."""
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    near, far = (target, source) if reverse else (source, target)
    rows = _table(field)._default_manager.filter(**{f"{near}_id": instance.pk})
    if others is not None:
        rows = rows.filter(**{f"{far}_id__in": others})
    return set(rows.values_list(f"{source}_id", f"{target}_id"))


def _record(
    field: ManyToManyField[Any, Any], operation: str, rows: set[Any], instance: Model, reverse: bool
) -> None:
    others_of: dict[Any, set[Any]] = defaultdict(set)
    for owner_pk, other_pk in rows:
        others_of[owner_pk].add(other_pk)
    if not others_of:
        return
    # From the declaring end the instance is the one record touched; from the
    # other end, the records touched are read in one query.
    owners = field.model._default_manager.in_bulk(list(others_of)) if reverse else {}
    entry_model = get_logentry_model()
    for owner_pk in sorted(others_of):
        entry_model.objects.log_create(
            owners.get(owner_pk) or field.model(pk=owner_pk) if reverse else instance,
            action=entry_model.Action.UPDATE,
            changes={
                field.name: {
                    "type": "m2m",
                    "operation": operation,
                    "objects": _names(field.related_model, others_of[owner_pk]),
                }
            },
        )


@check_disable
def _changed(
    sender: Any, instance: Model, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    field = _tracked[sender]
    if action in ("pre_remove", "pre_clear"):
        # Read before the rows go: remove() is given ids that may not be joined,
        # and clear() gives none.
        going = instance.__dict__.setdefault(_GOING, {})
        going[sender] = _rows(field, instance, reverse, pk_set if action == "pre_remove" else None)
    elif action in ("post_remove", "post_clear"):
        rows = instance.__dict__.get(_GOING, {}).pop(sender, set())
        _record(field, DELETE, rows, instance, reverse)
    elif action == "post_add" and pk_set:  # only the ids that were not joined yet
        pairs = {(pk, instance.pk) if reverse else (instance.pk, pk) for pk in pk_set}
        _record(field, ADD, pairs, instance, reverse)
