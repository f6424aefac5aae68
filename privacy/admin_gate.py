"""The admin's way to patron data: the same gate as every other page (CONF-1, CONF-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from privacy import access
from privacy.policy import DataCategory, Purpose
from privacy.subjects import patron_model

if TYPE_CHECKING:
    from patrons.models import Patron


class GatedAdminMixin:
    """Scope a ModelAdmin's queryset, gate each object it opens and log what its lists show."""

    # Each row shown is a logged read: a page shows what a desk needs, not a hundred patrons.
    list_per_page = 25
    gate_category: DataCategory = DataCategory.IDENTITY
    gate_purpose: Purpose = Purpose.REGISTRATION
    gate_patron_path: str = ""  # "" when the model is Patron itself
    model: type[Model]  # provided by ModelAdmin

    def _patron_id(self, obj: Model) -> int | None:
        if not self.gate_patron_path:
            return obj.pk
        return getattr(obj, f"{self.gate_patron_path}_id", None)

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
            ids = [self._patron_id(obj) for obj in changelist.result_list]
            access.record_list_read(
                request.user,
                [pk for pk in ids if pk is not None],
                self.gate_category,
                self.gate_purpose,
            )
        return response
