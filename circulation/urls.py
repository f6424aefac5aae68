from django.urls import path

from circulation import found_views, rule_views, views
from circulation.statistics import views as statistics_views

app_name = "circulation"

urlpatterns = [
    path("desk/", views.desk_home, name="desk"),
    path("desk/branch/", views.desk_branch_set, name="desk_branch"),
    path("desk/checkin/", views.desk_checkin, name="desk_checkin"),
    path("desk/patrons/<int:pk>/", views.desk_patron, name="desk_patron"),
    path("desk/patrons/<int:pk>/checkout/", views.desk_checkout, name="desk_checkout"),
    path("desk/patrons/<int:pk>/receipt/", views.desk_checkout_receipt, name="desk_receipt"),
    path("desk/patrons/<int:pk>/loans/renew/", views.desk_renew_all, name="desk_renew_all"),
    # The loan is posted, never in the address: an access log keeps addresses, and a
    # patron beside a loan that is later returned would tie them to the item (CONF-9).
    path("desk/patrons/<int:pk>/loan/renew/", views.desk_renew, name="desk_renew"),
    path(
        "desk/patrons/<int:pk>/loan/checkin/",
        views.desk_loan_checkin,
        name="desk_loan_checkin",
    ),
    path(
        "desk/patrons/<int:pk>/loan/charge/",
        views.desk_fine_charge,
        name="desk_fine_charge",
    ),
    path("desk/patrons/<int:pk>/holds/", views.desk_hold_place, name="desk_hold_place"),
    path(
        "desk/patrons/<int:pk>/holds/<int:hold_id>/cancel/",
        views.desk_hold_cancel,
        name="desk_hold_cancel",
    ),
    path(
        "desk/patrons/<int:pk>/fines/<int:fine_id>/pay/",
        views.desk_fine_pay,
        name="desk_fine_pay",
    ),
    path(
        "desk/patrons/<int:pk>/fines/<int:fine_id>/waive/",
        views.desk_fine_waive,
        name="desk_fine_waive",
    ),
    path("desk/holds/<int:hold_id>/slip/", views.desk_hold_slip, name="desk_hold_slip"),
    path("desk/pull-list/", views.pull_list, name="pull_list"),
    path("desk/in-transit/", views.in_transit, name="in_transit"),
    path("desk/hold-shelf/", views.hold_shelf, name="hold_shelf"),
    path(
        "desk/payments/<int:payment_id>/receipt/",
        views.desk_payment_receipt,
        name="desk_payment_receipt",
    ),
    path("statistics/", statistics_views.statistics, name="statistics"),
    path("statistics.csv", statistics_views.statistics_csv, name="statistics_csv"),
    path("loan-rules/", rule_views.loan_rules, name="loan_rules"),
    path("loan-rules/new/", rule_views.loan_rule_new, name="loan_rule_new"),
    path("loan-rules/<int:pk>/", rule_views.loan_rule_edit, name="loan_rule_edit"),
    path("found/", found_views.found_list, name="found_list"),
    path("found/tasks/", found_views.found_tasks, name="found_tasks"),
    path("found/<int:pk>/", found_views.found_detail, name="found_detail"),
    path("found/<int:pk>/match/card/", found_views.found_match_card, name="found_match_card"),
    path("found/<int:pk>/match/name/", found_views.found_match_name, name="found_match_name"),
    path(
        "found/<int:pk>/match/<int:patron_id>/",
        found_views.found_match_pick,
        name="found_match_pick",
    ),
    path("found/<int:pk>/contact/", found_views.found_contact, name="found_contact"),
    path("found/<int:pk>/contacted/", found_views.found_contact_done, name="found_contact_done"),
    path("found/<int:pk>/return/", found_views.found_return, name="found_return"),
]
