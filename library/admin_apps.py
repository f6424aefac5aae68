from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Install StaffAdminSite as the admin site (named in INSTALLED_APPS)."""

    default_site = "library.admin_site.StaffAdminSite"
