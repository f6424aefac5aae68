from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from circulation.models import BibliographicRecord, Fine, Hold, Item, Loan, LoanRule

# Reading history entries are deliberately not registered: they are kept for
# the patron's own use and no staff screen shows them (CONF-9). Loans and holds
# never show their patron; fines show it through the gate. The site applies
# both from the inventory (privacy.inventory, privacy.admin_gate).


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through the desk's services, never by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoanRule)
class LoanRuleAdmin(admin.ModelAdmin):
    list_display = [
        "item_type",
        "patron_category",
        "loan_days",
        "renewal_limit",
        "fine_per_day",
        "max_fine",
    ]


class ItemInline(admin.TabularInline):
    model = Item
    fields = ["barcode", "call_number", "shelving_location", "item_type", "branch", "status"]
    readonly_fields = ["status"]
    extra = 0
    show_change_link = True


@admin.register(BibliographicRecord)
class BibliographicRecordAdmin(admin.ModelAdmin):
    list_display = ["title", "authors", "isbn", "publisher", "publication_year"]
    search_fields = ["=isbn", "title", "authors"]
    inlines = [ItemInline]
    show_full_result_count = False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["barcode", "record", "call_number", "item_type", "branch", "status"]
    list_filter = ["item_type", "branch", "status"]
    list_select_related = ["record", "branch"]
    search_fields = ["=barcode", "record__title"]
    autocomplete_fields = ["record"]
    # Status and whereabouts change through the desk's services (check-out,
    # check-in, transit), never by hand, so a hold and its copy cannot disagree.
    readonly_fields = ["status", "status_since", "current_branch", "transit_to"]
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Item, form: Any, change: bool) -> None:
        if not change:
            obj.current_branch = obj.branch
        super().save_model(request, obj, form, change)


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "branch", "checked_out_at", "due_at", "returned_at", "renewals"]
    list_filter = ["branch"]
    list_select_related = ["item", "branch"]
    search_fields = ["=item__barcode"]
    show_full_result_count = False


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["id", "record", "item", "pickup_branch", "status", "placed_at", "ready_until"]
    list_filter = ["status", "pickup_branch"]
    list_select_related = ["record", "item", "pickup_branch"]
    search_fields = ["=item__barcode"]


@admin.register(Fine)
class FineAdmin(ReadOnlyAdmin):
    list_display = ["id", "patron", "reason", "amount", "created_at", "paid_at", "waived_at"]
    list_filter = ["reason"]
    list_select_related = ["patron"]
    search_fields = ["=patron__card_number"]
    exclude = ["loan"]
