from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from privacy import checks  # noqa: F401  (registers system checks)
        from privacy.models import Consent, IdentityCheck

        # Changes to identity checks and consents are logged, ids and fields only.
        auditlog.register(IdentityCheck)
        auditlog.register(Consent)
