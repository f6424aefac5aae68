"""The auditors' pages, mounted at /audit/ (auditors.views)."""

from django.urls import path

from auditors import views as views

app_name = "audit"

urlpatterns = [
    path("", views.index, name="index"),
    path("entries/", views.entry_list, name="entries"),
    path("entries/export.csv", views.entry_export, name="entries_export"),
    path("patrons/", views.patron_find, name="patron_find"),
    path("patrons/<int:pk>/", views.patron_history_view, name="patron_history"),
    path("patrons/<int:pk>/export.csv", views.patron_history_export, name="patron_history_export"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/", views.staff_activity, name="staff_activity"),
    path("staff/<int:pk>/export.csv", views.staff_activity_export, name="staff_activity_export"),
    path("refused/", views.refused, name="refused"),
    path("refused/export.csv", views.refused_export, name="refused_export"),
    path("legal-orders/", views.legal_releases_view, name="legal_releases"),
    path("legal-orders/export.csv", views.legal_releases_export, name="legal_releases_export"),
    path("agents/", views.agent_reads_view, name="agent_reads"),
    path("agents/export.csv", views.agent_reads_export, name="agent_reads_export"),
    path("chart/", views.chart, name="chart"),
]
