"""Start-up checks for the audit trail's wiring."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

ENTRY_MODEL = "audit.AuditEntry"


@register()
def audit_settings_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse to start when django-auditlog writes anywhere but the hash chain."""
    if settings.AUDITLOG_LOGENTRY_MODEL != ENTRY_MODEL:
        return [
            Error(
                f"AUDITLOG_LOGENTRY_MODEL must be {ENTRY_MODEL} (the hash chain).",
                id="audit.E001",
            )
        ]
    return []


@register()
def rights_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse to start when a model or many-to-many that gives rights is not in the trail."""
    from audit.rights import unlogged_rights

    return [
        Error(
            f"{name} gives someone rights, but its changes append no audit entry: declare it "
            "logged in privacy/inventory.py (or, if it reaches no person, leave it to "
            "audit.rights.register_rights).",
            id="audit.E002",
        )
        for name in unlogged_rights()
    ]
