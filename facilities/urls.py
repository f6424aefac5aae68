from django.urls import path

from facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.index, name="index"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new/", views.incident_create, name="incident_create"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/people/", views.incident_person_add, name="incident_person_add"),
    path("incidents/<int:pk>/police/", views.incident_police, name="incident_police"),
    path("incidents/<int:pk>/bans/new/", views.ban_create, name="ban_create"),
    path("bans/", views.ban_list, name="ban_list"),
    path("bans/<int:pk>/end/", views.ban_end, name="ban_end"),
    path("cameras/", views.camera_list, name="camera_list"),
    path("recordings/", views.recording_list, name="recording_list"),
    path("recordings/<int:pk>/", views.recording_detail, name="recording_detail"),
    path("recordings/<int:pk>/file/", views.recording_file, name="recording_file"),
    path("recordings/<int:pk>/hold/", views.recording_hold, name="recording_hold"),
    path("recordings/<int:pk>/stills/new/", views.still_create, name="still_create"),
    path("stills/", views.stills_shared, name="stills_shared"),
    path("stills/<int:pk>/image/", views.still_image, name="still_image"),
    path("requests/", views.request_queue, name="request_queue"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.release_create, name="request_release"),
    path("requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("releases/new/", views.release_create, name="release_create"),
]
