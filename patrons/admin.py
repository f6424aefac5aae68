from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from library.admin_search import is_searching
from library.paginators import CappedCountPaginator
from patrons import services
from patrons.models import Patron, ResponsibleAdult

LOGINS_ISSUED = (
    "Portal login issued to {count} patron(s); each was mailed a link to set a password."
)

# Patron foreign keys use raw id fields, not autocomplete: the lookup popup is
# the gated change list, so every patron shown in it is logged. The site puts
# these admins behind the gate from the inventory (privacy.admin_gate).


class ResponsibleAdultInline(admin.TabularInline):
    model = ResponsibleAdult
    fk_name = "minor"
    extra = 0
    raw_id_fields = ["adult"]
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
    paginator = CappedCountPaginator  # a broad search over a million patrons counts to 1,000

    def get_ordering(self, request: HttpRequest) -> Any:
        # Search results come newest first, in primary-key order: matches for a
        # common name are spread evenly over the ids, so a page is found at once,
        # while in alphabetical order they sit together and PostgreSQL would
        # read through every name before them. A column header still sorts.
        if is_searching(request):
            return ["-pk"]
        return super().get_ordering(request)

    # Which login a patron record belongs to is never edited by hand: a login is
    # issued by the action below, which mails the patron a set-password link.
    readonly_fields = [
        "user",
        "registered_on",
        "keeps_reading_history",
        "reading_history_changed_at",
    ]
    actions = ["issue_portal_login"]

    @admin.action(description="Issue a portal login (the patron sets the password)")
    def issue_portal_login(self, request: HttpRequest, queryset: QuerySet[Patron]) -> None:
        """Give each chosen patron a login; the set-password link goes to their own address."""
        issued = 0
        for patron in queryset:
            try:
                services.patron_login_issue(
                    patron=patron, domain=request.get_host(), use_https=request.is_secure()
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                issued += 1
        if issued:
            self.message_user(request, LOGINS_ISSUED.format(count=issued), messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: Patron, form: Any, change: bool) -> None:
        old_email = form.initial.get("email", "") if change else ""
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            services.patron_email_changed(patron=obj, old_email=old_email)

    def delete_model(self, request: HttpRequest, obj: Patron) -> None:
        services.patron_delete(patron=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Patron]) -> None:
        for patron in queryset:
            services.patron_delete(patron=patron)

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
    raw_id_fields = ["minor", "adult"]
    readonly_fields = ["listed_at", "listed_by"]

    def save_model(
        self, request: HttpRequest, obj: ResponsibleAdult, form: Any, change: bool
    ) -> None:
        # Who listed an adult on a minor's account is part of the record (CONF-4).
        if not change:
            obj.listed_by_id = request.user.pk
        super().save_model(request, obj, form, change)
