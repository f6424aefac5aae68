"""The privacy middleware: fail closed, never cache patron data, answer refusals as "not found"."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils.cache import patch_cache_control

from library.declarations import Declaration, declaration_of, not_found_response
from privacy import gate
from privacy.gate import Refused


class PrivacyMiddleware:
    """Refuse undeclared views; mark patron-data responses no-store; turn Refused into 404.

    Each request is one gate request (privacy.gate.one_request): a read repeated
    while serving it is written once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with gate.one_request():
            response = self.get_response(request)
        if getattr(request, "serves_patron_data", False) or isinstance(
            response, HttpResponseNotFound
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        declaration = declaration_of(view)
        if declaration is None:
            # A view nobody declared might serve patron data without the gate.
            return not_found_response(request)
        request.serves_patron_data = declaration is Declaration.PATRON_DATA  # type: ignore[attr-defined]
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Refused):
            return not_found_response(request)
        return None
