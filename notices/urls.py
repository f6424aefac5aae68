from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("letters/", views.letters, name="letters"),
    path("letters/print/", views.letters_print, name="letters_print"),
    path("letters/sent/", views.letters_sent, name="letters_sent"),
    path("templates/", views.templates, name="templates"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
]
