from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from library.roles import Role, roles_of
from privacy.models import AuditEntry

# django-auditlog registers its own admin for the entry model; ours replaces it.
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only, and for auditors alone: the trail is append-only and auditors only look.

    A superuser without the auditor role does not see it either, as on the
    auditors' own pages (privacy.audit_views).
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
    list_filter = ["action", "decision", "category"]
    search_fields = ["=actor_name", "=object_pk", "=clause"]
    show_full_result_count = False
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
