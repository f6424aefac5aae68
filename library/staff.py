"""The door to staff pages: a signed-in user whose role performs the page's operation (CONF-3)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from library.roles import roles_of
from privacy.declarations import serves_patron_data
from privacy.middleware import not_found_response
from privacy.policy import DataCategory, Purpose, staff_operation_allows


def staff_operation(
    purpose: Purpose, category: DataCategory
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Declare a staff page that reads `category` for `purpose`; others get the not-found page.

    The gate still decides (and logs) each patron read on the page; this only
    keeps people whose role never does this work off the page altogether.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not staff_operation_allows(roles_of(request.user), category, purpose):
                return not_found_response(request)
            return view(request, *args, **kwargs)

        return serves_patron_data(guarded)

    return decorate
