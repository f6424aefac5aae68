"""Admin screens over the disclosure records privacy owns; the site puts them behind the gate."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from privacy.models import Consent, IdentityCheck


@admin.register(IdentityCheck)
class IdentityCheckAdmin(admin.ModelAdmin):
    list_display = ["checked_at", "patron", "responsible_adult", "document_kind", "checked_by"]
    list_filter = ["document_kind"]
    list_select_related = ["patron", "responsible_adult", "checked_by"]
    search_fields = ["=patron__card_number"]
    raw_id_fields = ["patron"]
    readonly_fields = ["checked_by", "checked_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Refuse edits: an identity check records what happened at the desk."""
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The form does not show who checked: it is whoever records the check.
        if not change:
            obj.checked_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["patron", "recipient", "category", "granted_at", "withdrawn_at"]
    list_filter = ["category"]
    list_select_related = ["patron"]
    search_fields = ["=patron__card_number", "recipient"]
    raw_id_fields = ["patron"]
    readonly_fields = ["granted_at", "recorded_by"]

    # A consent comes from the patron: in the portal, or at the consent desk
    # after an identity check (CONF-4, CONF-7). Typed in or edited here, a
    # recipient or category could be changed without the patron.
    def has_add_permission(self, request: HttpRequest) -> bool:
        """Refuse: consents are recorded through the portal or the consent desk."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Refuse: a consent is withdrawn, never rewritten."""
        return False
