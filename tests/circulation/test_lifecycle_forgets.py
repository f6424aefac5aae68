"""CONF-9: after a full life cycle, no row anywhere ties the patron to the item.

Check-out, renewal, a late check-in with its fine and its payment go through
the desk pages; opting in, a second loan and opting out go through the
services. Then every column of every table in the database is read back and
no single row may name both the patron (id or card number) and the item (id,
barcode, title, or the id of one of its loans).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from circulation import reading_history as patron_services
from circulation import services
from circulation.models import Fine, Loan
from tests.factories import (
    BranchFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    PatronFactory,
)

PATRON_ID, ITEM_ID, LOAN_START = 770077, 880088, 990099
CARD, BARCODE, TITLE = "21007700770077", "31008800880088", "Zanzibar Quintessence Almanac"


def _mark(value):
    # Whole tokens only, so a hash or a timestamp that happens to contain the digits is no hit.
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(str(value))}(?![0-9A-Za-z])")


def _rows():
    """Yield (table, row text) for every row of every table, all columns as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                yield (
                    table,
                    " | ".join(
                        value.hex() if isinstance(value, bytes | memoryview) else str(value)
                        for value in row
                        if value is not None
                    ),
                )


def rows_linking(patron, item, loan_ids):
    patron_marks = [_mark(patron.pk), _mark(patron.card_number)]
    item_marks = [_mark(item.pk), _mark(item.barcode), re.compile(re.escape(item.record.title))]
    item_marks += [_mark(loan_id) for loan_id in loan_ids]
    return [
        (table, text)
        for table, text in _rows()
        if any(m.search(text) for m in patron_marks) and any(m.search(text) for m in item_marks)
    ]


def _restart_loan_ids():
    """Give loans ids no other number in the database shares, so a text scan can find them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE circulation_loan ALTER COLUMN id RESTART WITH {LOAN_START}"
            )
    else:  # SQLite gives the next row the highest id plus one
        taken = timezone.now() - datetime.timedelta(days=3)
        LoanFactory(
            pk=LOAN_START - 1,
            patron=None,
            checked_out_at=taken,
            returned_at=taken + datetime.timedelta(days=1),
        )


@pytest.mark.django_db
def test_a_full_life_cycle_leaves_no_row_tying_the_patron_to_the_item(client, desk):
    branch = BranchFactory(code="CEN")
    _restart_loan_ids()
    LoanRuleFactory()
    patron = PatronFactory(pk=PATRON_ID, card_number=CARD, home_branch=branch)
    item = ItemFactory(pk=ITEM_ID, barcode=BARCODE, title=TITLE, branch=branch)
    client.force_login(desk)
    patron_url = f"/staff/circulation/desk/patrons/{patron.pk}/"

    # Desk: look the card up, check out, renew (through the pages).
    assert client.post("/staff/circulation/desk/", {"card_number": CARD}).status_code == 302
    response = client.post(patron_url + "checkout/", {"checkout-barcode": BARCODE})
    assert response.status_code == 302
    loan = Loan.objects.get(item=item)
    assert loan.pk >= LOAN_START
    assert client.post(patron_url + "loan/renew/", {"loan": loan.pk}).status_code == 302

    # The scan can fail: while the loan is open the loan row itself ties them.
    assert [table for table, _ in rows_linking(patron, item, [loan.pk])] == ["circulation_loan"]

    # Make it late, check it in at the desk (a fine), pay the fine at the desk.
    Loan.objects.filter(pk=loan.pk).update(
        checked_out_at=timezone.now() - datetime.timedelta(days=60),
        due_at=timezone.now() - datetime.timedelta(days=10),
    )
    response = client.post("/staff/circulation/desk/checkin/", {"checkin-barcode": BARCODE})
    assert response.status_code == 302
    fine = Fine.objects.get(patron=patron)
    assert fine.loan_id == loan.pk
    # Paid in two parts: the first leaves the fine (and the link) open, the second settles it.
    part = fine.amount - Decimal("0.25")
    pay = {f"pay-{fine.pk}-amount": str(part), f"pay-{fine.pk}-method": "cash"}
    assert client.post(patron_url + f"fines/{fine.pk}/pay/", pay).status_code == 302
    assert Fine.objects.get(pk=fine.pk).loan_id == loan.pk
    pay = {f"pay-{fine.pk}-amount": "0.25", f"pay-{fine.pk}-method": "card"}
    assert client.post(patron_url + f"fines/{fine.pk}/pay/", pay).status_code == 302
    assert Fine.objects.get(pk=fine.pk).paid_at is not None

    # Opt in, borrow and return again (history kept), then opt out.
    patron_services.patron_reading_history_opt_in(patron=patron)
    second = services.loan_checkout(patron=patron, barcode=BARCODE, branch=branch)
    services.loan_checkin(barcode=BARCODE, branch=branch)
    assert patron.reading_history.count() == 1
    assert patron_services.patron_reading_history_opt_out(patron=patron) == 1

    linking = rows_linking(patron, item, [loan.pk, second.pk])
    assert linking == []
    # The records themselves survive, anonymised.
    assert Loan.objects.filter(item=item, patron__isnull=True).count() == 2
    assert Fine.objects.get(pk=fine.pk).paid_at is not None


@pytest.mark.django_db
def test_the_scan_reads_every_table_including_audit_admin_log_and_sessions(client, desk):
    from privacy import access
    from privacy.policy import DataCategory, Purpose

    client.force_login(desk)
    access.read(desk, PatronFactory(), DataCategory.CIRCULATION, Purpose.CIRCULATION)
    names = connection.introspection.table_names()
    for expected in (
        "privacy_auditentry",
        "django_admin_log",
        "django_session",
        "circulation_circulationday",
        "patrons_patronuserobjectpermission",
    ):
        assert expected in names
    visited = {table for table, _ in _rows()}
    assert {"privacy_auditentry", "django_session", "patrons_patron"} <= visited


@pytest.mark.django_db
def test_after_a_late_return_a_found_item_and_a_waived_fine_nothing_links_or_joins_them(
    client, desk
):
    """The scan again, with a found library item and a waived fine, plus the linkage test.

    No row ties the patron to the item (the whole-database scan), no model the
    inventory says links both keeps such a row, and no row that still names the
    patron keeps what would join it to the anonymised loan: the fine's amount or
    the day the late loan came back (issue 14, cases 7 and 8).
    """
    from django.apps import apps

    from circulation.models import FoundItem
    from privacy.inventory import INVENTORY

    branch = BranchFactory(code="CEN")
    _restart_loan_ids()
    LoanRuleFactory()
    patron = PatronFactory(pk=PATRON_ID, card_number=CARD, home_branch=branch)
    item = ItemFactory(pk=ITEM_ID, barcode=BARCODE, title=TITLE, branch=branch)
    # Back 20 days ago, three weeks late: a day nothing else of the patron's falls on.
    back = timezone.now() - datetime.timedelta(days=20)
    loan = services.loan_checkout(
        patron=patron, barcode=BARCODE, branch=branch, now=back - datetime.timedelta(days=45)
    )
    found = services.found_item_register(
        kind=FoundItem.Kind.LIBRARY_ITEM,
        description="Left on a study table",
        branch=branch,
        registered_by=desk,
        barcode=BARCODE,
    )
    services.found_item_match(found_item=found, owner=patron)
    fine = services.loan_checkin(barcode=BARCODE, branch=branch, now=back).fine
    assert fine is not None
    services.fine_waive(patron=patron, fine_id=fine.pk, reason="staff_error")

    assert rows_linking(patron, item, [loan.pk]) == []
    for holding in INVENTORY:
        if holding.patron and holding.item:
            model = apps.get_model(holding.model)
            linked = model._default_manager.filter(**{holding.patron: patron, holding.item: item})
            assert not linked.exists(), holding.model
    amount, day = str(fine.amount), timezone.localdate(back).isoformat()
    joining = [
        table
        for table, text in _rows()
        if _mark(patron.pk).search(text) and (amount in text or day in text)
    ]
    assert joining == []
