"""The staff admin site: every admin view is declared, guarded, and refuses as "not found".

Change lists search by POST, with the term kept in the session (library.admin_search).

Other apps put guards on the site's model admins (`guard_model_admins`): the
privacy app puts every admin over a model that holds patron data behind the
gate (privacy.admin_gate). The guards run when the site builds its URLs, after
every app has registered its admins, so an admin registered anywhere is
guarded. A refusal anywhere in the admin (no permission for a screen, a record
that does not exist) answers the same not-found page as the rest of the site;
the login page is the one public page.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LogoutView
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from library.admin_search import search_in_session, token_search_changelist
from library.declarations import declaration_of, not_found_response, public, serves_patron_data
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


Guard = Callable[[type[Model], admin.ModelAdmin], admin.ModelAdmin]
_guards: list[Guard] = []


def guard_model_admins(guard: Guard) -> None:
    """Have the site pass every model admin it serves through `guard` when it builds its URLs."""
    if guard not in _guards:
        _guards.append(guard)


# Lookups the address may never ask for: a bad pattern is a server error, and a
# pattern can probe a field character by character.
REFUSED_LOOKUPS = frozenset({"regex", "iregex"})


class RefusesAsAbsent:
    """A model admin whose missing records answer "not found", as refused ones do.

    Its change list also takes from the address only the filters it offers (its
    list_filter and date_hierarchy): Django lets any one-step lookup through,
    reverse relations included, and a lookup such as ?legal_orders=1 or
    ?patrons=5 would turn a list into an answer about records it never shows.
    """

    list_filter: Any
    date_hierarchy: Any
    model: type[Model]

    def offered_filters(self, request: Any) -> set[str]:
        """Return the first part of every lookup the change list's own filters use."""
        offered = {self.date_hierarchy} if self.date_hierarchy else set()
        list_filter = self.get_list_filter(request) if request is not None else self.list_filter  # type: ignore[attr-defined]
        for item in list_filter:
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                offered.add(str(item.parameter_name))
            elif isinstance(item, (list, tuple)):
                offered.add(str(item[0]).split(LOOKUP_SEP)[0])
            else:
                offered.add(str(item).split(LOOKUP_SEP)[0])
        return offered

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        """Allow only the lookups of the filters the change list offers, and no patterns."""
        parts = lookup.split(LOOKUP_SEP)
        if parts[-1] in REFUSED_LOOKUPS:
            return False
        # A raw-id popup narrows by the field's own limit_choices_to; Django allows those.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        if parts[0] not in self.offered_filters(request):
            return False
        return bool(super().lookup_allowed(lookup, value, request))  # type: ignore[misc]

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Django redirects to the index with a message naming the id; a refused
        # record answers not found, so a missing one must answer the same.
        raise Http404

    def has_autocomplete_permission(self, request: HttpRequest) -> bool:
        """Return True if this model's records may be offered in other admins' autocompletes."""
        return True


class _Autocomplete(AutocompleteJsonView):
    """The admin's autocomplete, asking the target model's admin first."""

    def process_request(self, request: HttpRequest) -> Any:
        term, model_admin, source_field, to_field_name = super().process_request(request)
        if isinstance(model_admin, RefusesAsAbsent) and not model_admin.has_autocomplete_permission(
            request
        ):
            raise PermissionDenied
        return term, model_admin, source_field, to_field_name


def _guarded(model: type[Model], model_admin: admin.ModelAdmin) -> admin.ModelAdmin:
    if not isinstance(model_admin, RefusesAsAbsent):
        cls = type(model_admin.__class__.__name__, (RefusesAsAbsent, model_admin.__class__), {})
        model_admin = cls(model, model_admin.admin_site)
    for guard in _guards:
        model_admin = guard(model, model_admin)
    return model_admin


class StaffAdminSite(admin.AdminSite):
    site_header = "Library staff"
    site_title = "Library staff"
    index_title = "Records"
    login_form = StaffLoginForm
    # The admin's pages lead back to the staff home (templates/admin/base_site.html).
    site_url = cast(str, reverse_lazy("staff_home"))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """Sign staff in and send them to the staff home, or to the safe `next` they asked for.

        Django's admin sends a signed-in user, and a sign-in without `next`,
        to its own index; staff start from the pages their role opens instead.
        """
        wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        safe = bool(wanted) and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(wanted if wanted and safe else reverse("staff_home"))
        if not wanted:
            extra_context = {REDIRECT_FIELD_NAME: reverse("staff_home"), **(extra_context or {})}
        return super().login(request, extra_context)

    def logout(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """Sign staff out and show the staff sign-in, not the patrons' card-number sign-in."""
        request.current_app = self.name
        return LogoutView.as_view(next_page=reverse("admin:login", current_app=self.name))(request)

    def has_permission(self, request: HttpRequest) -> bool:
        """Return True for active staff who gave a second factor where their role needs one."""
        return super().has_permission(request) and second_factor_satisfied(request.user)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Wrap an admin view so that no permission for it answers "not found" (CONF-1)."""
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def refusing(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                return inner(request, *args, **kwargs)
            except (PermissionDenied, Http404):
                return not_found_response(request)

        return refusing

    def autocomplete_view(self, request: HttpRequest) -> Any:
        return _Autocomplete.as_view(admin_site=self)(request)

    def get_urls(self) -> list[Any]:
        for model, model_admin in list(self._registry.items()):
            guarded = _guarded(model, model_admin)
            guarded.get_changelist = token_search_changelist  # type: ignore[method-assign]
            self._registry[model] = guarded
        return _declare_all(super().get_urls())
