"""The audit trail in the admin: filters that cost no query over the whole trail, a capped count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from library.paginators import CappedCountPaginator
from privacy import access
from privacy.gate import Refused
from privacy.policy import DataCategory, Purpose
from tests.conftest import page_text

pytestmark = pytest.mark.django_db

ENTRIES = "/staff/admin/audit/auditentry/"


def test_filtering_by_decision_and_category_lists_only_those_entries(client, auditor, alice, bob):
    access.read(alice.user, alice, DataCategory.IDENTITY, Purpose.SELF_SERVICE)
    with pytest.raises(Refused):
        access.read(alice.user, bob, DataCategory.READING_HISTORY, Purpose.SELF_SERVICE)
    client.force_login(auditor)

    refused = client.get(ENTRIES, {"decision": "refused"}).context["cl"].result_list
    identity = client.get(ENTRIES, {"category": "identity"}).context["cl"].result_list

    assert [(e.decision, e.category) for e in refused] == [("refused", "reading_history")]
    assert {e.category for e in identity} == {"identity"} and len(identity) >= 1


def test_the_list_asks_for_no_distinct_values_and_caps_its_count(
    client, auditor, alice, monkeypatch
):
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    for _ in range(3):
        access.read(alice.user, alice, DataCategory.IDENTITY, Purpose.SELF_SERVICE)
    assert AuditEntry.objects.count() > 2
    client.force_login(auditor)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(ENTRIES)

    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]
    assert "More than 2 audit entries match" in page_text(response)
    assert "refused" in page_text(response).lower()  # the decision filter's own choices
