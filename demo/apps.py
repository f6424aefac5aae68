from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data and their commands; no other app imports this one."""

    name = "demo"
    verbose_name = "Demo data"
