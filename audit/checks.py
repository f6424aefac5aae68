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
