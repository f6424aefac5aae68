from django.apps import AppConfig


class AuditorsConfig(AppConfig):
    """The auditors' read-only pages over the audit trail (mounted at /audit/)."""

    name = "auditors"
    verbose_name = "Auditors' pages"
