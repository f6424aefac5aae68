from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail: the hash chain, its entries, archiving and verification."""

    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import checks  # noqa: F401  (registers system checks)
