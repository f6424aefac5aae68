"""The Django admin reads patron data through the same gate as every page."""

import pytest
from django.contrib.auth.models import User

from audit.models import AuditEntry
from library.roles import Role
from tests.conftest import page_text
from tests.factories import FineFactory, PatronFactory

pytestmark = pytest.mark.django_db

PATRONS = "/staff/admin/patrons/patron/"


def _reads(**filters):
    return AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, **filters)


def test_desk_list_of_patrons_logs_one_read_per_patron_shown(client, desk):
    shown = PatronFactory.create_batch(3)
    client.force_login(desk)
    response = client.get(PATRONS)
    assert response.status_code == 200
    assert set(
        _reads(actor_id=desk.pk, purpose="registration").values_list("object_id", flat=True)
    ) == {p.pk for p in shown}


def test_desk_opening_a_patron_logs_the_read_with_purpose_and_clause(client, desk, alice):
    client.force_login(desk)
    response = client.get(f"{PATRONS}{alice.pk}/change/")
    assert response.status_code == 200
    assert response.context["original"] == alice
    entry = _reads(object_id=alice.pk).latest()
    assert (entry.category, entry.purpose, entry.clause, entry.decision) == (
        "identity",
        "registration",
        "CONF-3",
        "allowed",
    )


def test_superuser_without_a_role_sees_no_patrons_and_gets_not_found(client, alice):
    root = User.objects.create_superuser("root", "root@example.org", "x-long-password-1")
    client.force_login(root)
    listing = client.get(PATRONS)
    assert alice.card_number not in listing.content.decode()
    existing = client.get(f"{PATRONS}{alice.pk}/change/")
    missing = client.get(f"{PATRONS}999999/change/")
    assert existing.status_code == missing.status_code == 404
    assert page_text(existing) == page_text(missing)
    assert _reads(object_id=alice.pk, decision="refused").exists()


def test_patron_history_page_goes_through_the_gate(client, alice):
    root = User.objects.create_superuser("root", "root@example.org", "x-long-password-1")
    client.force_login(root)
    assert client.get(f"{PATRONS}{alice.pk}/history/").status_code == 404


def test_fines_list_is_scoped_by_purpose(client, staff):
    fine = FineFactory()
    guard = staff(Role.SECURITY_GUARD)
    guard.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="view_fine")
    )
    client.force_login(guard)
    response = client.get("/staff/admin/circulation/fine/")
    assert fine.patron.card_number not in response.content.decode()


def test_admin_login_page_is_public(client):
    assert client.get("/staff/admin/login/").status_code == 200
