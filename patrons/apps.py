from django.apps import AppConfig


class PatronsConfig(AppConfig):
    name = "patrons"
    verbose_name = "Patrons"

    def ready(self) -> None:
        from patrons import receivers

        receivers.connect()
