from django.urls import path

from activity import views

app_name = "activity"

urlpatterns = [
    path("computers/", views.computers, name="computers"),
    path("computers/lookup/", views.computers_patron, name="computers_lookup"),
    path("computers/patrons/<int:pk>/", views.computers_patron, name="computers_patron"),
    path("computers/<int:session_id>/end/", views.computer_end, name="computer_end"),
    path("reference/", views.reference, name="reference"),
    path("reference/lookup/", views.reference_patron, name="reference_lookup"),
    path("reference/patrons/<int:pk>/", views.reference_patron, name="reference_patron"),
    path("events/", views.events, name="events"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path(
        "events/<int:pk>/signups/<int:signup_id>/cancel/",
        views.event_signup_cancel,
        name="event_signup_cancel",
    ),
]
