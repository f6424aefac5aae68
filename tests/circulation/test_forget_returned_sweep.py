"""The set-based safety net: returned loans that still name their patron are forgotten (CONF-9)."""

import datetime
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from circulation.models import Loan
from circulation.services import day_start, loans_forget_returned
from tests.factories import FineFactory, LoanFactory

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _returned_but_linked(**fields):
    taken = datetime.datetime(2026, 11, 20, 23, 30, tzinfo=CHICAGO)  # late evening, local
    return LoanFactory(
        checked_out_at=taken,
        due_at=taken + datetime.timedelta(days=21),
        returned_at=taken + datetime.timedelta(days=5, hours=1),
        **fields,
    )


def test_the_sweep_forgets_the_patron_and_keeps_only_local_days():
    loan = _returned_but_linked()
    taken, due, back = loan.checked_out_at, loan.due_at, loan.returned_at
    assert loans_forget_returned() == 1
    loan.refresh_from_db()
    assert loan.patron_id is None
    assert (loan.checked_out_at, loan.due_at, loan.returned_at) == (
        day_start(taken),
        day_start(due),
        day_start(back),
    )
    assert timezone.localtime(loan.checked_out_at, CHICAGO).hour == 0


def test_the_sweep_keeps_a_loan_whose_fine_is_unpaid_and_forgets_it_once_paid():
    loan = _returned_but_linked()
    fine = FineFactory(patron=loan.patron, loan=loan)
    assert loans_forget_returned() == 0
    fine.loan, fine.patron, fine.paid_at = None, None, timezone.now()  # settled by hand
    fine.save()
    assert loans_forget_returned() == 1


def test_the_sweep_leaves_open_loans_alone_and_writes_one_summary_per_batch():
    open_loan = LoanFactory()
    for _ in range(3):
        _returned_but_linked()
    assert loans_forget_returned(batch_size=2) == 3
    open_loan.refresh_from_db()
    assert open_loan.patron_id is not None
    summaries = AuditEntry.objects.filter(content_type__model="loan", object_pk="-")
    assert [entry.additional_data["count"] for entry in summaries.order_by("seq")] == [2, 1]
    assert not Loan.objects.filter(returned_at__isnull=False, patron__isnull=False).exists()


def test_purge_expired_runs_the_sweep_first():
    _returned_but_linked()
    out = io.StringIO()
    call_command("purge_expired", stdout=out, stderr=io.StringIO())
    assert "1 returned loans forgotten" in out.getvalue()
    assert not Loan.objects.filter(patron__isnull=False).exists()
