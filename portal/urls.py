from django.urls import path

from portal import views

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
    path("password/", views.password_change, name="password_change"),
    path("password/changed/", views.password_change_done, name="password_change_done"),
    path("contact/", views.contact, name="contact"),
    path("notices/", views.notice_items, name="notice_items"),
    path("minors/<int:pk>/", views.minor_account, name="minor_account"),
    path("consents/", views.consents, name="consents"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("who-has-seen-my-record/", views.access_history, name="access_history"),
    path("download/", views.download, name="download"),
    path("loans/<int:pk>/renew/", views.loan_renew, name="loan_renew"),
    path("holds/<int:pk>/cancel/", views.hold_cancel, name="hold_cancel"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:pk>/hold/", views.hold_place, name="hold_place"),
    path("reading-history/", views.reading_history, name="reading_history"),
    path("reading-history/on/", views.reading_history_on, name="reading_history_on"),
    path("reading-history/off/", views.reading_history_off, name="reading_history_off"),
    path("reading-history/delete-all/", views.reading_history_clear, name="reading_history_clear"),
    path(
        "reading-history/<int:pk>/delete/",
        views.reading_history_entry_delete,
        name="reading_history_entry_delete",
    ),
    path(
        "reading-history/export.csv",
        views.reading_history_export,
        {"fmt": "csv"},
        name="reading_history_csv",
    ),
    path(
        "reading-history/export.json",
        views.reading_history_export,
        {"fmt": "json"},
        name="reading_history_json",
    ),
]
