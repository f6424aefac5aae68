"""Admin screens for cameras, legal orders' footage scopes and recording holds.

Recordings, stills, incidents and releases have no admin screens: footage is
seen only through facilities.access (CAM-3) and incidents name patrons, who are
shown only through privacy.access (CONF-10); their staff pages do both.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from facilities.models import Camera, FootageOrderScope, RecordingHold


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    """Public-space cameras only; form, full_clean and database refuse others (CAM-2)."""

    list_display = ["name", "branch", "location_type", "location_description", "active"]
    list_filter = ["location_type", "branch", "active"]
    list_select_related = ["branch"]
    search_fields = ["name", "location_description"]


@admin.register(FootageOrderScope)
class FootageOrderScopeAdmin(admin.ModelAdmin):
    """Which cameras and which window of time a legal order covers (CAM-6)."""

    list_display = ["order", "starts_at", "ends_at", "added_by", "added_at"]
    list_select_related = ["order", "added_by"]
    search_fields = ["=order__case_number"]
    raw_id_fields = ["order"]
    filter_horizontal = ["cameras"]
    readonly_fields = ["added_by", "added_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RecordingHold)
class RecordingHoldAdmin(admin.ModelAdmin):
    """Holds are placed from the recording's page; here they are looked up and lifted."""

    list_display = ["recording", "incident", "placed_by", "placed_at"]
    list_select_related = ["placed_by"]
    search_fields = ["=recording__id", "=incident__id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
