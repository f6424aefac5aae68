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
