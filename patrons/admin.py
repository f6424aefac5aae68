from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from patrons.models import Consent, IdentityCheck, Patron, ResponsibleAdult


class ResponsibleAdultInline(admin.TabularInline):
    model = ResponsibleAdult
    fk_name = "minor"
    extra = 0
    autocomplete_fields = ["adult"]
    readonly_fields = ["listed_at", "listed_by"]


@admin.register(Patron)
class PatronAdmin(admin.ModelAdmin):
    list_display = [
        "card_number",
        "last_name",
        "first_name",
        "home_branch",
        "status",
        "card_expires_on",
    ]
    list_filter = ["status", "home_branch"]
    search_fields = ["=card_number", "last_name", "first_name"]
    list_select_related = ["home_branch"]
    show_full_result_count = False
    readonly_fields = ["registered_on", "keeps_reading_history", "reading_history_changed_at"]
    autocomplete_fields = ["user"]
    inlines = [ResponsibleAdultInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "card_number",
                    "status",
                    "card_expires_on",
                    "home_branch",
                    "registered_on",
                ]
            },
        ),
        ("Identity", {"fields": ["first_name", "last_name", "date_of_birth"]}),
        ("Contact", {"fields": ["address_line", "city", "postal_code", "phone", "email"]}),
        (
            "Account",
            {"fields": ["user", "keeps_reading_history", "reading_history_changed_at"]},
        ),
    ]


@admin.register(ResponsibleAdult)
class ResponsibleAdultAdmin(admin.ModelAdmin):
    list_display = ["minor", "display_name", "relationship", "listed_at"]
    list_select_related = ["minor", "adult"]
    search_fields = ["=minor__card_number", "=adult__card_number", "adult_name"]
    autocomplete_fields = ["minor", "adult"]
    readonly_fields = ["listed_at", "listed_by"]


@admin.register(IdentityCheck)
class IdentityCheckAdmin(admin.ModelAdmin):
    list_display = ["checked_at", "patron", "responsible_adult", "document_kind", "checked_by"]
    list_filter = ["document_kind"]
    list_select_related = ["patron", "responsible_adult", "checked_by"]
    search_fields = ["=patron__card_number"]
    autocomplete_fields = ["patron"]
    readonly_fields = ["checked_by", "checked_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Refuse edits: an identity check records what happened at the desk."""
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["patron", "recipient", "category", "granted_at", "withdrawn_at"]
    list_filter = ["category"]
    list_select_related = ["patron"]
    search_fields = ["=patron__card_number", "recipient"]
    autocomplete_fields = ["patron"]
    readonly_fields = ["granted_at", "recorded_by"]
