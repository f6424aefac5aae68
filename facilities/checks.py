"""Start-up checks for the footage settings."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from library.net import parse_network


@register()
def footage_networks_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Refuse to start with a footage network limit that cannot be read (CAM-3)."""
    errors = []
    for network in settings.FOOTAGE_ALLOWED_NETWORKS:
        try:
            parse_network(network)
        except ValueError:
            errors.append(
                Error(
                    f"FOOTAGE_ALLOWED_NETWORKS has {network!r}, which is not an address range "
                    "such as 10.20.0.0/16.",
                    id="facilities.E001",
                )
            )
    return errors
