from django.contrib import admin

from library.models import Branch


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address"]
    search_fields = ["code", "name"]
