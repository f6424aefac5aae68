from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import AuditEntry
from library.paginators import CappedCountPaginator
from library.roles import Role, roles_of
from privacy.policy import DataCategory

# django-auditlog registers its own admin for the entry model; ours replaces it.
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


class _FixedChoicesFilter(admin.SimpleListFilter):
    """Filter on a field whose values are known: the list of choices costs no query.

    Django's default filter for a plain text field asks for its distinct values,
    which over ten million entries takes seconds.
    """

    options: list[tuple[str, str]] = []

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return self.options

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(**{str(self.parameter_name): value}) if value else queryset


class DecisionFilter(_FixedChoicesFilter):
    title = "decision"
    parameter_name = "decision"
    options = [("allowed", "allowed"), ("refused", "refused")]


class CategoryFilter(_FixedChoicesFilter):
    title = "category"
    parameter_name = "category"
    options = [*DataCategory.choices, ("footage", "Camera footage")]  # facilities.access


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only, and for auditors alone: the trail is append-only and auditors only look.

    A superuser without the auditor role does not see it either, as on the
    auditors' own pages (auditors.views).
    """

    list_display = [
        "seq",
        "timestamp",
        "actor_name",
        "action",
        "object_repr",
        "category",
        "purpose",
        "clause",
        "decision",
    ]
    list_filter = ["action", DecisionFilter, CategoryFilter]
    search_fields = ["=actor_name", "=object_pk", "=clause"]
    show_full_result_count = False
    paginator = CappedCountPaginator  # counting ten million entries takes most of a second
    exclude = ["serialized_data"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return Role.AUDITOR in roles_of(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return Role.AUDITOR in roles_of(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
