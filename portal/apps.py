from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The patron self-service portal at /portal/: it composes patrons, circulation and privacy."""

    name = "portal"
    verbose_name = "Patron portal"
