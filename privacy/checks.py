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
