from django.contrib import admin
from django.urls import include, path

from library import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("staff/admin/", admin.site.urls),
    path("audit/", include("privacy.audit_urls")),
]
