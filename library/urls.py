from django.contrib import admin
from django.urls import include, path

from library import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("staff/admin/", admin.site.urls),
    path("staff/circulation/", include("circulation.urls")),
    path("staff/activity/", include("activity.urls")),
]
