"""Every auditors' page is for the auditor role alone; everyone else gets the same 404."""

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, reverse

from audit.models import AuditEntry
from auditors import urls as audit_urls
from library.declarations import Declaration, declaration_of
from library.roles import Role
from tests.conftest import page_text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AUDIT_PAGES = [pattern for pattern in audit_urls.urlpatterns if isinstance(pattern, URLPattern)]
OUTSIDERS = [*(role for role in Role if role is not Role.AUDITOR), "patron", "anonymous", "root"]


def _url(pattern, patron):
    args = [patron.pk] if "<int:pk>" in str(pattern.pattern) else []
    return reverse(f"audit:{pattern.name}", args=args)


def _outsider(kind, client, staff, alice):
    if kind == "anonymous":
        return
    if kind == "patron":
        user = alice.user
    elif kind == "root":
        user = User.objects.create_superuser("root", "root@example.org", "x-long-password-1")
    else:
        user = staff(kind)
    client.force_login(user)


def test_there_are_auditors_pages_to_check():
    assert len(AUDIT_PAGES) >= 16


@pytest.mark.parametrize("pattern", AUDIT_PAGES, ids=lambda pattern: pattern.name)
def test_every_auditors_page_is_declared_as_serving_patron_data(pattern):
    assert declaration_of(pattern.callback) is Declaration.PATRON_DATA


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_every_auditors_page_is_not_found_for_anyone_but_an_auditor(client, staff, alice, kind):
    _outsider(kind, client, staff, alice)
    # The same page this visitor gets for an address that does not exist.
    not_found = page_text(client.get("/audit/no-such-page/"))
    for pattern in AUDIT_PAGES:
        url = _url(pattern, alice)
        for response in (client.get(url), client.post(url, {"card_number": alice.card_number})):
            assert response.status_code == 404, (kind, url)
            assert page_text(response) == not_found, (kind, url)
            assert "no-store" in response["Cache-Control"]


def test_an_outsider_leaves_no_read_of_the_patron(client, staff, alice):
    client.force_login(staff(Role.DIRECTOR))
    before = AuditEntry.objects.count()
    client.get(reverse("audit:patron_history", args=[alice.pk]))
    client.post(reverse("audit:patron_find"), {"card_number": alice.card_number})
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("pattern", AUDIT_PAGES, ids=lambda pattern: pattern.name)
def test_every_auditors_page_opens_for_an_auditor(client, auditor, alice, pattern):
    client.force_login(auditor)
    response = client.get(_url(pattern, alice))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_staff_member_who_is_also_an_auditor_gets_in(client, alice):
    both = UserFactory(username="both", role=Role.AUDITOR)
    both.groups.add(*UserFactory(username="d", role=Role.DIRECTOR).groups.all())
    client.force_login(both)
    assert client.get(reverse("audit:index")).status_code == 200


@pytest.mark.parametrize(
    "pattern",
    [pattern for pattern in AUDIT_PAGES if pattern.name not in {"entries", "patron_find"}],
    ids=lambda pattern: pattern.name,
)
def test_auditors_pages_answer_only_get(client, auditor, alice, pattern):
    client.force_login(auditor)
    assert client.post(_url(pattern, alice)).status_code == 405


def test_audit_entries_in_the_admin_are_for_auditors_alone(client, staff, auditor):
    url = reverse("admin:audit_auditentry_changelist")
    root = User.objects.create_superuser("root", "root@example.org", "x-long-password-1")
    for user in (root, staff(Role.DIRECTOR)):
        client.force_login(user)
        assert client.get(url).status_code == 404  # a refusal answers as absence
    client.force_login(auditor)
    assert client.get(url).status_code == 200
