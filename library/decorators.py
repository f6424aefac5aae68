"""Access to staff pages by role. Data inside them is still decided by the gate."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from library.roles import Role, roles_of
from library.security import second_factor_satisfied


class AuthenticatedRequest(HttpRequest):
    """A request that passed role_required or login_required: its user is a real user."""

    user: User


def role_required(
    *roles: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let in users holding one of `roles`; send others to log in, or answer "not found"."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated or not second_factor_satisfied(request.user):
                return redirect_to_login(request.get_full_path())
            if not roles_of(request.user) & set(roles):
                from privacy.middleware import not_found_response

                return not_found_response(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


ALL_STAFF = tuple(Role)
