import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEntry
from audit.verify import verify_chain
from circulation.models import Fine, Loan, ReadingHistoryEntry
from patrons.models import Patron

pytestmark = pytest.mark.django_db


def test_seed_scale_keeps_the_applications_rules(on_postgres):
    call_command("seed_scale", patrons=300, loans=3000, audit_entries=500, stdout=io.StringIO())
    assert Patron.objects.count() == 300 and Loan.objects.count() == 3000
    returned_with_patron = Loan.objects.filter(returned_at__isnull=False, patron__isnull=False)
    assert not returned_with_patron.exclude(
        fines__paid_at__isnull=True, fines__waived_at__isnull=True
    ).exists()
    assert returned_with_patron.count() == Fine.objects.filter(loan__isnull=False).count()
    assert not Patron.objects.minors().filter(responsible_adults__isnull=True).exists()
    assert not ReadingHistoryEntry.objects.filter(patron__keeps_reading_history=False).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).count() == 500
    assert verify_chain().intact


def test_seed_scale_says_in_one_line_that_it_needs_postgres():
    if connection.vendor == "postgresql":
        pytest.skip("runs on SQLite only")
    with pytest.raises(CommandError, match="PostgreSQL's COPY"):
        call_command("seed_scale", patrons=10, loans=10)
