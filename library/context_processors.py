"""Template context every page gets."""

from typing import Any

from django.http import HttpRequest

from library.staff import staff_menu


def staff(request: HttpRequest) -> dict[str, Any]:
    """Give staff pages the menu of pages this user's roles open (worked out only if shown)."""
    user = getattr(request, "user", None)
    return {"staff_menu": lambda: staff_menu(user)}
