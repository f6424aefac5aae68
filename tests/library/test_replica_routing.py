"""Reads that may lag go to a replica; the gate, the audit chain and all writes stay on the primary.

The replica here is a second alias, `replica_1`, a test mirror of default
(TEST["MIRROR"]): a second connection to the same test database, as a
streaming replica is a second server holding the primary's rows. It is opened
for these tests alone (the suite's settings have no replica), and the tests
are transactional, so what default writes is committed and the mirror sees it.
"""

import datetime
from collections.abc import Iterator

import pytest
from django.db import connections, router, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from circulation.models import BibliographicRecord, CirculationDay, Item
from circulation.statistics.report import Dimension, Period, statistics_report
from library.db import PRIMARY, PrimaryRouter, lagging_reads
from library.models import Branch
from portal import selectors
from privacy import access
from privacy.policy import DataCategory, Purpose
from tests.factories import BranchFactory, CirculationDayFactory, ItemFactory

REPLICA = "replica_1"
DAY = datetime.date(2026, 5, 12)
# Tables no lagging read may touch: the trail, the gate's facts, patrons, sessions.
PRIMARY_ONLY_TABLES = (
    "privacy_auditentry",
    "patrons_",
    "privacy_",
    "django_session",
    "auth_",
    "circulation_loan",
    "circulation_hold",
)
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def replica(transactional_db: None, settings: object) -> Iterator[str]:
    """Open `replica_1`, a mirror of the test database, and name it as the one replica.

    The connection is made here rather than in DATABASES, so the rest of the
    suite runs with the single database it always has; Django lets a test use
    a connection made while it runs.
    """
    primary = connections[PRIMARY].settings_dict
    mirror = {**primary, "TEST": {**primary["TEST"], "MIRROR": PRIMARY}}
    connections[REPLICA] = load_backend(primary["ENGINE"]).DatabaseWrapper(mirror, alias=REPLICA)
    settings.REPLICA_DATABASES = [REPLICA]  # type: ignore[attr-defined]
    try:
        yield REPLICA
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]


def _sql(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


def _statements(context: CaptureQueriesContext, verbs: tuple[str, ...]) -> list[str]:
    return [sql for sql in _sql(context) if sql.lstrip().upper().startswith(verbs)]


def _touching(context: CaptureQueriesContext, tables: tuple[str, ...]) -> list[str]:
    return [sql for sql in _sql(context) if any(table in sql for table in tables)]


def test_without_a_replica_lagging_reads_use_the_primary(settings):
    settings.REPLICA_DATABASES = []
    assert lagging_reads() == PRIMARY


def test_the_router_sends_every_read_and_write_to_the_primary_and_migrates_only_there(settings):
    settings.REPLICA_DATABASES = [REPLICA]
    routing = PrimaryRouter()
    for model in (AuditEntry, BibliographicRecord, CirculationDay, Branch):
        assert routing.db_for_read(model) == PRIMARY
        assert routing.db_for_write(model) == PRIMARY
    assert routing.allow_migrate(PRIMARY, "circulation")
    assert not routing.allow_migrate(REPLICA, "circulation")
    assert not routing.allow_migrate("archiver", "audit")
    assert lagging_reads() == REPLICA
    # The project's router is this one.
    assert router.db_for_read(AuditEntry) == router.db_for_write(Item) == PRIMARY


def test_the_catalogue_search_and_availability_read_from_the_replica(replica):
    ItemFactory.create_batch(2, title="Lantern Songs")

    with (
        CaptureQueriesContext(connections[replica]) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        found = list(selectors.catalogue_search("lantern"))
        by_barcode = list(selectors.catalogue_search(found[0].items.first().barcode))
        where = selectors.availability([record.pk for record in found])

    assert [record.title for record in found] == ["Lantern Songs", "Lantern Songs"]
    assert {record._state.db for record in found + by_barcode} == {replica}
    assert sum(line.copies for record in found for line in where[record.pk]) == 2
    assert any("circulation_bibliographicrecord" in sql for sql in _sql(on_replica))
    assert any("circulation_item" in sql for sql in _sql(on_replica))
    # Only the test's own look-up of a barcode (a relation of a record read
    # from the replica) is answered by the primary: the router's default.
    assert not _touching(on_primary, ("circulation_bibliographicrecord",))
    assert not _statements(on_replica, WRITES)


def test_a_lagging_read_inside_a_transaction_stays_on_the_primary(replica):
    ItemFactory(title="Lantern Songs")
    assert lagging_reads() == replica
    with transaction.atomic():
        assert lagging_reads() == PRIMARY
        record = selectors.catalogue_search("lantern").get()
    assert record._state.db == PRIMARY


def test_the_statistics_report_reads_from_the_replica(replica):
    branch = BranchFactory(name="Central")
    # Every day of DAY's week counted: a day is suppressed with the rest of its week.
    monday = DAY - datetime.timedelta(days=DAY.weekday())
    for offset in range(7):
        day = monday + datetime.timedelta(days=offset)
        CirculationDayFactory(day=day, branch=branch, checkouts=40, returns=30, renewals=10)

    with (
        CaptureQueriesContext(connections[replica]) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        report = statistics_report(
            start=DAY, end=DAY, period=Period.DAY, dimensions=[Dimension.BRANCH], minimum=5
        )

    assert report.columns == ["Central"]
    assert report.tables[0].rows[0].cells == ["40"]
    assert _touching(on_replica, ("circulation_circulationday",))
    assert _touching(on_replica, ("library_branch",))
    assert not _sql(on_primary)
    assert not _statements(on_replica, WRITES)


def test_the_statistics_page_reads_its_counts_from_the_replica(replica, client, desk):
    CirculationDayFactory(day=DAY, branch=BranchFactory(name="Central"), checkouts=40)
    client.force_login(desk)

    with (
        CaptureQueriesContext(connections[replica]) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        response = client.get(
            "/staff/circulation/statistics/",
            {"date_from": DAY.isoformat(), "date_to": DAY.isoformat(), "period": "day"},
        )

    assert response.status_code == 200
    assert _touching(on_replica, ("circulation_circulationday",))
    assert not _touching(on_primary, ("circulation_circulationday",))
    # Who the desk is, their session and second factor: the primary's.
    assert _touching(on_primary, ("django_session",))
    assert not _touching(on_replica, PRIMARY_ONLY_TABLES)
    assert not _statements(on_replica, WRITES)


def test_the_catalogue_page_gates_and_audits_on_the_primary_and_searches_the_replica(
    replica, client, alice
):
    ItemFactory.create_batch(2, title="Lantern Songs")
    client.force_login(alice.user)
    before = AuditEntry.objects.count()

    with (
        CaptureQueriesContext(connections[replica]) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        response = client.get(reverse("portal:catalogue"), {"q": "lantern"})

    assert response.status_code == 200
    assert "Lantern Songs" in response.content.decode()
    # The search, its count and the copies per branch: the replica.
    assert _touching(on_replica, ("circulation_bibliographicrecord",))
    assert _touching(on_replica, ("circulation_item",))
    # The gate's decision and its entry in the chain, the patron's own loans
    # and holds among the titles: the primary, and nothing of them on the replica.
    assert _statements(on_primary, ("INSERT",))
    assert _touching(on_primary, ("privacy_auditentry",))
    assert _touching(on_primary, ("circulation_loan", "circulation_hold"))
    assert not _touching(on_replica, PRIMARY_ONLY_TABLES)
    assert not _statements(on_replica, WRITES)
    assert AuditEntry.objects.filter(actor=alice.user).count() > 0
    assert AuditEntry.objects.count() > before


def test_a_gated_page_and_a_gate_decision_never_touch_the_replica(replica, client, alice):
    client.force_login(alice.user)

    with CaptureQueriesContext(connections[replica]) as on_replica:
        assert client.get(reverse("portal:account")).status_code == 200
        decision = access.read(
            alice.user, alice, DataCategory.READING_HISTORY, Purpose.SELF_SERVICE
        )

    assert decision.allowed
    assert not _sql(on_replica)
    assert AuditEntry.objects.filter(actor=alice.user, category="reading_history").exists()


def test_a_record_read_from_the_replica_is_saved_on_the_primary(replica):
    ItemFactory(title="Lantern Songs")
    record = selectors.catalogue_search("lantern").get()
    assert record._state.db == replica

    record.title = "Lantern Songs, revised"
    with (
        CaptureQueriesContext(connections[replica]) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        record.save()

    assert _statements(on_primary, ("UPDATE",))
    assert not _sql(on_replica)
    assert BibliographicRecord.objects.get(pk=record.pk).title == "Lantern Songs, revised"
