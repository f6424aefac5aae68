"""The staff admin site: every admin view is declared to the privacy middleware.

Change lists search by POST, with the term kept in the session (library.admin_search).

Admin pages that show patron data read it through the gate in their
ModelAdmin (see privacy.admin_gate); the login page is the one public page.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver

from library.admin_search import search_in_session, token_search_changelist
from library.declarations import declaration_of, public, serves_patron_data
from library.security import StaffLoginForm, second_factor_satisfied
from library.staff import REQUIREMENTS


def _declared(view: Callable[..., Any], declare: Callable[[Any], Any]) -> Callable[..., Any]:
    if declaration_of(view) is not None:
        return view

    @wraps(view)
    def declared_view(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    return declare(declared_view)


def _declare_all(patterns: list[Any]) -> list[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _declare_all(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            declare = public if pattern.name in {"login", "logout"} else serves_patron_data
            if pattern.name and pattern.name.endswith("_changelist"):
                pattern.callback = search_in_session(pattern.callback)
            pattern.callback = _declared(pattern.callback, declare)
            if pattern.name == "index":
                # The admin's front page opens to every staff role (has_permission),
                # so the staff menu shows it to them; its screens still need the
                # role table's model permissions.
                setattr(pattern.callback, REQUIREMENTS, ())
    return patterns


class StaffAdminSite(admin.AdminSite):
    site_header = "Library staff"
    site_title = "Library staff"
    index_title = "Records"
    login_form = StaffLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        """Return True for active staff who gave a second factor where their role needs one."""
        return super().has_permission(request) and second_factor_satisfied(request.user)

    def get_urls(self) -> list[Any]:
        for model_admin in self._registry.values():
            model_admin.get_changelist = token_search_changelist  # type: ignore[method-assign]
        return _declare_all(super().get_urls())
