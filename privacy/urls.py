from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/workers/", views.order_add_worker, name="order_add_worker"),
    path("orders/<int:pk>/release/", views.order_release, name="order_release"),
    path(
        "orders/<int:pk>/releases/<int:release_pk>/",
        views.order_release_document,
        name="order_release_document",
    ),
    path("orders/<int:pk>/<slug:action>/", views.order_decide, name="order_decide"),
    path("agents/", views.agent_list, name="agent_list"),
    path("agents/<int:pk>/", views.agent_detail, name="agent_detail"),
    path("consents/", views.consent_desk, name="consent_desk"),
    path("inquiries/", views.inquiry_desk, name="inquiry_desk"),
]

# The contracted agents' own pages, mounted at /agent/ with the namespace "agent".
agent_urlpatterns = [
    path("", views.agent_accounts, name="accounts"),
    path("<int:pk>/", views.agent_account, name="account"),
]
