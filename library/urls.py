from django.contrib import admin
from django.urls import path

from library import views

admin.site.site_header = "Library staff"
admin.site.site_title = "Library staff"
admin.site.index_title = "Records"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("staff/admin/", admin.site.urls),
]
