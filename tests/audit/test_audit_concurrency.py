"""Appends from many requests at once still make one linear chain (PostgreSQL advisory lock)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DataError, connection
from psycopg.pq import TransactionStatus

from audit.chain import chain_append_many
from audit.models import AuditEntry
from audit.verify import verify_chain
from patrons.models import Patron

THREADS = 8
ROUNDS = 60  # each round appends one entry alone and a page's worth of four together
PER_ROUND = 5


def _entry(content_type_id, thread, number):
    return AuditEntry(
        content_type_id=content_type_id,
        object_pk=str(number),
        object_id=number,
        action=AuditEntry.Action.ACCESS,
        category="identity",
        decision="allowed",
        additional_data={"thread": thread},
    )


@pytest.mark.django_db(transaction=True)
def test_the_chain_verifies_after_thousands_of_concurrent_appends(on_postgres):
    content_type_id = ContentType.objects.get_for_model(Patron).pk
    start = threading.Barrier(THREADS)

    def append(thread):
        try:
            start.wait()
            for number in range(ROUNDS):
                _entry(content_type_id, thread, number).save()
                chain_append_many([_entry(content_type_id, thread, number) for _ in range(4)])
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(append, range(THREADS)))

    total = THREADS * ROUNDS * PER_ROUND
    report = verify_chain()
    assert report.intact and report.checked == total == 2400
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    timestamps = list(AuditEntry.objects.order_by("seq").values_list("timestamp", flat=True))
    assert timestamps == sorted(timestamps)


@pytest.mark.django_db(transaction=True)
def test_an_append_the_database_refuses_leaves_no_entry_and_no_transaction_open(on_postgres):
    # Outside any transaction an append is one statement committing on its own:
    # one the database refuses (here, a category longer than its column)
    # must roll back and release the chain lock, and take no number.
    content_type_id = ContentType.objects.get_for_model(Patron).pk
    chain_append_many([_entry(content_type_id, 0, 1)])
    too_long = _entry(content_type_id, 0, 2)
    too_long.category = "x" * 50
    with pytest.raises(DataError):
        chain_append_many([too_long])

    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    chain_append_many([_entry(content_type_id, 0, 3)])
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "object_id")) == [
        (1, 1),
        (2, 3),
    ]
    assert verify_chain().intact
