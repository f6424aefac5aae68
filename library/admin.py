from django.contrib import admin

from library.models import Branch, StaffProfile


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address"]
    search_fields = ["code", "name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "branch"]
    list_select_related = ["user", "branch"]
    list_filter = ["branch"]
    search_fields = ["user__username"]
