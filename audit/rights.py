"""Rights in the audit trail: every grant, role, login flag and authenticator change is an entry.

Who may read patron data is as much the trail's business as who read it
(CONF-1). The models whose rows give rights are found in Django's registries,
so a new one cannot slip past (the start-up check in audit.checks):

- the login, group and permission models, and their many-to-manys;
- every django-guardian grant table, generic or direct, and every django-otp
  device kind;
- every other model with a one-to-one or many-to-many to a login, or any
  relation to a group or a permission (a staff profile, a contracted agent,
  the workers of a legal order).

The inventory of patron data (privacy.inventory) declares how the models that
reach a person are logged, masks included, and registers them; it hands the
rest to `register_rights`, which logs them whole (groups, permissions, group
grants: no person's data in them). Grants made or revoked in bulk, which no
signal announces, append one summary each through `record_grants`.
"""

from collections.abc import Collection, Iterable
from typing import Any

from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django_otp.models import Device
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from audit import entries, relations
from audit.models import AuditEntry

GRANT_BASES = (UserObjectPermissionBase, GroupObjectPermissionBase)


def _gives_rights(model: type[Model]) -> bool:
    login = apps.get_model(settings.AUTH_USER_MODEL)
    group, permission = apps.get_model("auth.Group"), apps.get_model("auth.Permission")
    if model in (login, group, permission) or issubclass(model, (*GRANT_BASES, Device)):
        return True
    for field in model._meta.get_fields():
        if not (field.is_relation and field.concrete):
            continue
        if field.related_model in (group, permission):
            return True
        if field.related_model is login and (field.one_to_one or field.many_to_many):
            return True
    return False


def rights_models(models: Iterable[type[Model]] | None = None) -> list[type[Model]]:
    """Return the installed models (or those given) whose rows give someone rights."""
    return [
        model for model in (apps.get_models() if models is None else models) if _gives_rights(model)
    ]


def rights_relations(model: type[Model]) -> list[Any]:
    """Return a rights model's many-to-many fields."""
    return list(model._meta.many_to_many)


def unlogged_rights(models: Iterable[type[Model]] | None = None) -> list[str]:
    """Return the rights models, and their many-to-manys, whose changes the trail would miss."""
    missing = []
    for model in rights_models(models):
        if not auditlog.contains(model):
            missing.append(model._meta.label)
        missing += [
            f"{model._meta.label}.{field.name}"
            for field in rights_relations(model)
            if not relations.is_tracked(field)
        ]
    return missing


def register_rights(*, declared: Collection[type[Model]]) -> None:
    """Log every rights model that the inventory does not declare, fields and relations whole."""
    for model in rights_models():
        if model in declared:
            continue
        auditlog.register(model)
        for field in rights_relations(model):
            relations.track_relation(model, field.name)


def record_grants(
    *,
    model: type[Model],
    granted: bool,
    count: int,
    permission: str,
    grantee: Any,
    reason: str,
    clause: str = "",
    actor: Any = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one summary for object grants made or revoked in bulk: what, to whom, how many.

    guardian's bulk assignment (bulk_create) announces no row, and a revocation
    by query would name each record; the summary names the permission, the
    login or group and the count, never which records (CONF-1).
    """
    if not count:
        return
    who = "user" if isinstance(grantee, apps.get_model(settings.AUTH_USER_MODEL)) else "group"
    entries.record_summary(
        model=model,
        action=AuditEntry.Action.CREATE if granted else AuditEntry.Action.DELETE,
        count=count,
        reason=reason,
        clause=clause,
        actor=actor,
        details={"permission": permission, who: grantee.pk, **(details or {})},
    )
