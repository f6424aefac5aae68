"""Start-up checks for settings the privacy rules depend on."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def privacy_settings_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse to start with guardian wired in a way that would hand out grants (CONF-1)."""
    errors = []
    backends = list(settings.AUTHENTICATION_BACKENDS)
    guardian = "guardian.backends.ObjectPermissionBackend"
    model = "django.contrib.auth.backends.ModelBackend"
    if (
        guardian not in backends
        or model not in backends
        or backends.index(guardian) < backends.index(model)
    ):
        errors.append(
            Error(
                "guardian's ObjectPermissionBackend must come after ModelBackend.",
                id="privacy.E001",
            )
        )
    if getattr(settings, "ANONYMOUS_USER_NAME", "AnonymousUser") is not None:
        errors.append(
            Error(
                "ANONYMOUS_USER_NAME must be None: anonymous visitors hold no grants.",
                id="privacy.E002",
            )
        )
    return errors


# What privacy reads of the patron model (privacy.subjects).
SUBJECT_FIELDS = (
    "card_number",
    "user",
    "home_branch",
    "date_of_birth",
    "responsible_adults",
    "consents",
    "identity_checks",
    "legal_orders",
    "patronuserobjectpermission",
)


@register()
def patron_model_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse to start when the patron model lacks what the gate reads of it (privacy.subjects)."""
    from django.core.exceptions import FieldDoesNotExist
    from guardian.models import UserObjectPermissionBase

    from privacy.subjects import PATRON_MODEL, patron_model

    model = patron_model()
    missing = []
    for name in SUBJECT_FIELDS:
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            missing.append(name)
    if not callable(getattr(model, "is_minor_on", None)):
        missing.append("is_minor_on()")
    if not callable(getattr(model.objects, "minors", None)):
        missing.append("objects.minors()")
    errors = []
    if missing:
        errors.append(
            Error(
                f"{PATRON_MODEL} lacks what the gate reads of a patron: {', '.join(missing)}.",
                id="privacy.E003",
            )
        )
    direct = [
        relation.related_model
        for relation in model._meta.related_objects
        if issubclass(relation.related_model, UserObjectPermissionBase)
    ]
    if not direct:
        errors.append(
            Error(
                f"{PATRON_MODEL} has no direct django-guardian grant table; grants would be "
                "generic and unindexed.",
                id="privacy.E004",
            )
        )
    return errors


def undeclared_models(models: list[Any]) -> list[str]:
    """Return the labels of models with a path to a patron or a login that the inventory lacks."""
    from privacy.inventory import INVENTORY, links_to_a_person

    declared = {holding.model for holding in INVENTORY}
    return [
        model._meta.label
        for model in models
        if model._meta.label not in declared and links_to_a_person(model)
    ]


def _holding_problems(holding: Any) -> list[str]:
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    try:
        model = apps.get_model(holding.model)
    except LookupError:
        return [f"{holding.model} is not an installed model"]
    problems = []
    names = (*holding.identity, *holding.free_text, *holding.joining, *holding.secret)
    names = (*names, *holding.unlogged)
    for name in (*names, *holding.logged_m2m):
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            problems.append(f"{holding.model} has no field {name!r}")
    for path in (holding.patron, holding.item, *holding.admin_also_shows):
        if path:
            current = model
            for part in path.split("__"):
                try:
                    current = current._meta.get_field(part).related_model
                except (FieldDoesNotExist, AttributeError):
                    problems.append(f"{holding.model} has no path {path!r}")
                    break
    return problems


@register()
def inventory_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse to start when a model that reaches a patron or a login is not in the inventory."""
    from django.apps import apps

    from privacy.inventory import INVENTORY

    errors = [
        Error(
            f"{label} has a path to a patron or a login, but privacy/inventory.py does not "
            "declare what it holds, how long it is kept and what the admin and the audit "
            "trail may show of it.",
            id="privacy.E005",
        )
        for label in undeclared_models(apps.get_models())
    ]
    for holding in INVENTORY:
        errors.extend(
            Error(f"privacy/inventory.py: {problem}.", id="privacy.E006")
            for problem in _holding_problems(holding)
        )
    return errors
