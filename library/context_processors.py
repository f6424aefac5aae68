"""Template context every page gets."""

from typing import Any

from django.http import HttpRequest

from library.staff import staff_branch, staff_menu


def staff(request: HttpRequest) -> dict[str, Any]:
    """Give staff pages their header: the menu of pages this user's roles open, and the branch.

    Both are worked out only if a template shows them, so patrons' pages pay no query.
    """
    user = getattr(request, "user", None)
    return {"staff_menu": lambda: staff_menu(user), "staff_branch": lambda: staff_branch(request)}
