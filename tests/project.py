"""What the project itself is made of, read from Django's registries rather than listed by hand."""

from pathlib import Path

from django.apps import apps
from django.conf import settings


def project_app_labels() -> set[str]:
    """Return the labels of the installed apps whose code lives in this repository."""
    root = Path(settings.BASE_DIR).resolve()
    return {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(root)
        # A virtual environment inside the checkout holds other people's apps.
        and "site-packages" not in Path(config.path).parts
    }
