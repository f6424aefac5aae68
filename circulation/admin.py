from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from circulation.models import Fine, Hold, Item, Loan, LoanRule

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
    list_display = ["item_type", "loan_days", "renewal_limit", "fine_per_day", "max_fine"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["barcode", "title", "author", "call_number", "item_type", "branch", "withdrawn"]
    list_filter = ["item_type", "branch", "withdrawn"]
    list_select_related = ["branch"]
    search_fields = ["=barcode", "title", "author"]
    show_full_result_count = False


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "branch", "checked_out_at", "due_at", "returned_at", "renewals"]
    list_filter = ["branch"]
    list_select_related = ["item", "branch"]
    search_fields = ["=item__barcode"]
    show_full_result_count = False


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "pickup_branch", "status", "placed_at", "ready_until"]
    list_filter = ["status", "pickup_branch"]
    list_select_related = ["item", "pickup_branch"]
    search_fields = ["=item__barcode"]


@admin.register(Fine)
class FineAdmin(ReadOnlyAdmin):
    list_display = ["id", "patron", "reason", "amount", "created_at", "paid_at", "waived_at"]
    list_filter = ["reason"]
    list_select_related = ["patron"]
    search_fields = ["=patron__card_number"]
    exclude = ["loan"]
