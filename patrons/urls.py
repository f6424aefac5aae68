from django.urls import path

from patrons import views

app_name = "portal"

urlpatterns = [
    path("", views.account, name="account"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("minors/<int:pk>/", views.minor_account, name="minor_account"),
    path("consents/", views.consents, name="consents"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("who-has-seen-my-record/", views.access_history, name="access_history"),
    path("download/", views.download, name="download"),
]
