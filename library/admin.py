from django.contrib import admin
from django_otp.plugins.otp_static import admin as otp_static_admin
from django_otp.plugins.otp_static.models import StaticDevice

from library.models import Branch, StaffProfile

# Recovery codes are issued and revoked only through library.authenticators,
# which records who did it for whom; django-otp's admin for them would add
# codes unrecorded (and show them on its add page).
assert otp_static_admin  # imported so that its registration comes first
if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)


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
