from django.contrib import admin
from django.urls import include, path

from library import views
from privacy.urls import agent_urlpatterns

urlpatterns = [
    path("", views.home, name="home"),
    # /healthz and /readyz are answered by library.health.HealthCheckMiddleware.
    path("portal/", include("portal.urls")),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/second-factor/", views.second_factor, name="second_factor"),
    path("staff/logins/", views.logins_second_factor, name="logins_second_factor"),
    path("staff/admin/", admin.site.urls),
    path("staff/privacy/", include("privacy.urls")),
    path("agent/", include((agent_urlpatterns, "agent"))),
    path("staff/facilities/", include("facilities.urls")),
    path("audit/", include("auditors.urls")),
    path("staff/circulation/", include("circulation.urls")),
    path("staff/activity/", include("activity.urls")),
    path("staff/patrons/", include("patrons.urls")),
    path("staff/notices/", include("notices.urls")),
]
