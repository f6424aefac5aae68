"""The admin's way to patron data: the same gate as every other page (CONF-1, CONF-3).

`gate_model_admin` is a guard on the staff admin site (library.admin_site): it
runs over every registered model admin and puts each one whose model the
inventory declares (privacy.inventory) behind one of these, by construction:

- the patron's rows are shown, each read through the gate for the inventory's
  `admin_purpose` (GatedAdminMixin): the list is scoped to what the role may
  read and every row shown is a logged read; opening, changing, deleting or
  viewing the history of a record reads its patron through the gate first;
- the patron link is never shown (HiddenPatronMixin): the link is left out of
  every form and list, and no filter or sort may go through it;
- patron logins are never shown (PatronLoginsHiddenMixin): the login admin
  lists and opens staff and agent logins only (case: a superuser could set a
  patron's password and read their reading history as them).

Every one of them also refuses query-string lookups into a patron or a login
that the admin does not show, drops pre-filled values of patron links and
identity fields from the add form, offers none of its rows to autocompletes,
and writes the admin's own log naming records by kind and number only, never
by their text (a card number, a name).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse

from library.roles import may
from privacy import access, inventory
from privacy.inventory import Holding
from privacy.policy import DataCategory, Purpose
from privacy.subjects import patron_model

if TYPE_CHECKING:
    from patrons.models import Patron


def _login_model() -> type[Model]:
    from django.contrib.auth import get_user_model

    return get_user_model()


class InventoryAdminMixin:
    """What every admin over a model that holds patron data does (see the module docstring)."""

    holding: Holding
    model: type[Model]  # provided by ModelAdmin
    # Relations the admin shows and reads through the gate (the gated patron path).
    gate_shows: tuple[str, ...] = ()

    def _reaches_a_person(self, lookup: str, shown: tuple[str, ...] | None = None) -> bool:
        """Return True if a lookup goes into a patron or a login other than through `shown`."""
        shown = self.gate_shows if shown is None else shown
        people = {patron_model(), _login_model()}
        model: Any = self.model
        parts = lookup.split(LOOKUP_SEP)
        for index, part in enumerate(parts):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return False
            if index == 0 and part in self.holding.identity + self.holding.free_text:
                return part not in shown
            if not field.is_relation:
                return False
            model = field.related_model
            if model in people:
                return LOOKUP_SEP.join(parts[: index + 1]) not in shown
        return False

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        """Refuse address filters into a patron or a login that the admin does not show."""
        if self._reaches_a_person(lookup):
            return False
        return bool(super().lookup_allowed(lookup, value, request))  # type: ignore[misc]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A pre-filled ?patron=<id> would render that patron next to the field,
        # read through no gate: the add form starts without people in it.
        initial = super().get_changeform_initial_data(request)  # type: ignore[misc]
        return {
            name: value for name, value in initial.items() if not self._reaches_a_person(name, ())
        }

    def has_autocomplete_permission(self, request: HttpRequest) -> bool:
        """Refuse: an autocomplete's answers are read through no gate."""
        return False

    def _log(self, request: HttpRequest, objects: Any, flag: int, message: Any) -> None:
        # The admin's log keeps an object's text for ever; here it is only its
        # kind and number, so no card number or name outlives the record.
        label = self.model._meta.verbose_name
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        LogEntry.objects.bulk_create(
            [
                LogEntry(
                    user_id=request.user.pk or 0,
                    content_type_id=content_type.pk,
                    object_id=str(obj.pk),
                    object_repr=f"{label} #{obj.pk}",
                    action_flag=flag,
                    change_message=message if isinstance(message, str) else json.dumps(message),
                )
                for obj in objects
            ]
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> None:
        self._log(request, [obj], ADDITION, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> None:
        self._log(request, [obj], CHANGE, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:
        self._log(request, list(queryset), DELETION, "")


class GatedAdminMixin(InventoryAdminMixin):
    """Scope a ModelAdmin's queryset, gate each object it opens and log what its lists show."""

    # Each row shown is a logged read: a page shows what a desk needs, not a hundred patrons.
    list_per_page = 25
    gate_category: DataCategory = DataCategory.IDENTITY
    gate_purpose: Purpose = Purpose.REGISTRATION
    gate_patron_path: str = ""  # "" when the model is Patron itself

    def _works_here(self, request: HttpRequest) -> bool:
        # Model permissions alone (a superuser holds all of them) never write
        # patron data: the role must perform the operation the admin reads for.
        return may(request.user, self.gate_purpose)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._works_here(request) and bool(super().has_add_permission(request, *args))  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._works_here(request) and bool(super().has_change_permission(request, obj))  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._works_here(request) and bool(super().has_delete_permission(request, obj))  # type: ignore[misc]

    def _patron_id(self, obj: Model) -> int | None:
        if not self.gate_patron_path:
            return obj.pk
        return getattr(obj, f"{self.gate_patron_path}_id", None)

    def _patron_ids(self, obj: Model) -> list[int]:
        """Return every patron a row shows: its own, and the others the inventory names."""
        paths = [self.gate_patron_path, *self.holding.admin_also_shows]
        ids = [obj.pk if not path else getattr(obj, f"{path}_id", None) for path in paths]
        return [pk for pk in ids if pk is not None]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return access.restrict_to_readable(
            queryset,
            patron_path=self.gate_patron_path,
            user=request.user,
            category=self.gate_category,
            purpose=self.gate_purpose,
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Look the object up unscoped so the gate, not the queryset, decides:
        # a refusal then names the patron in the audit trail, and the answer
        # (not found) is the same as for an id that does not exist.
        model = self.model
        cache_key = (model._meta.label, str(object_id))
        cached = getattr(request, "_gated_object", None)
        if cached is not None and cached[0] == cache_key:
            return cached[1]  # already read through the gate during this request
        field: Any = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            obj = model._default_manager.get(**{field.name: field.to_python(object_id)})
        except (ObjectDoesNotExist, ValidationError, ValueError):
            obj = None
        patron_id = self._patron_id(obj) if obj is not None else None
        patron: Patron | None = None
        if patron_id is not None:
            model = patron_model()
            patron = obj if isinstance(obj, model) else model.objects.get(pk=patron_id)
        access.read(request.user, patron, self.gate_category, self.gate_purpose)
        if obj is not None:
            for other in self._patron_ids(obj)[1:]:
                shown = patron_model().objects.get(pk=other)
                access.read(request.user, shown, self.gate_category, self.gate_purpose)
        request._gated_object = (cache_key, obj)  # type: ignore[attr-defined]
        return obj

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        # The admin saves inside transaction.atomic; ask the gate before that, so
        # a refusal's audit entry is not rolled back with the exception.
        if object_id is not None and request.method == "POST":
            self.get_object(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self.get_object(request, object_id)
        return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            ids = [pk for obj in changelist.result_list for pk in self._patron_ids(obj)]
            access.record_list_read(
                request.user, list(dict.fromkeys(ids)), self.gate_category, self.gate_purpose
            )
        return response


class HiddenPatronMixin(InventoryAdminMixin):
    """Never show a row's patron: the link is left out of forms and lists."""

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])  # type: ignore[misc]
        return [*excluded, *[name for name in self._hidden_fields() if name not in excluded]]

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)  # type: ignore[misc]
        return [name for name in shown if name not in self._hidden_fields()]

    def _hidden_fields(self) -> list[str]:
        path = self.holding.patron
        return [path.split(LOOKUP_SEP)[0]] if path else []


class PatronLoginsHiddenMixin(InventoryAdminMixin):
    """Show logins of staff and agents only: a patron's login is not the admin's to see or set."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return queryset.filter(patron__isnull=True)


def _mode(holding: Holding) -> type[InventoryAdminMixin]:
    if holding.model == inventory.LOGIN_MODEL:
        return PatronLoginsHiddenMixin
    if holding.patron is not None and holding.admin_purpose is not None:
        return GatedAdminMixin
    return HiddenPatronMixin


def gate_model_admin(model: type[Model], model_admin: admin.ModelAdmin) -> admin.ModelAdmin:
    """Return the model admin put behind the gate the inventory asks for (a guard of the site)."""
    holding = inventory.holding_for(model)
    if holding is None or isinstance(model_admin, InventoryAdminMixin):
        return model_admin
    mode = _mode(holding)
    attributes: dict[str, Any] = {"holding": holding, "__module__": type(model_admin).__module__}
    if mode is GatedAdminMixin:
        assert holding.category is not None and holding.patron is not None
        attributes.update(
            gate_category=holding.category,
            gate_purpose=holding.admin_purpose,
            gate_patron_path=holding.patron,
            gate_shows=(holding.patron,) if holding.patron else (),
        )
        if not holding.patron:  # the patron itself: its own fields are what is read
            attributes["gate_shows"] = holding.identity
    cls = type(model_admin.__class__.__name__, (mode, model_admin.__class__), attributes)
    return cls(model, model_admin.admin_site)
