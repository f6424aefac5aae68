from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "facilities"
    verbose_name = "Facilities and security"

    def ready(self) -> None:
        from facilities import audit, checks  # noqa: F401  (audit registrations, system checks)
