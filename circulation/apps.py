from django.apps import AppConfig


class CirculationConfig(AppConfig):
    name = "circulation"
    verbose_name = "Circulation"

    def ready(self) -> None:
        from circulation import audit  # noqa: F401  (registers models with the audit trail)
