"""An entry's hash covers what the database stores and hands back, so an untouched entry verifies.

Run on SQLite and on PostgreSQL (DATABASE_URL): an address, a JSON number or a
timestamp that the database writes in another form than Python would hash it
made verify_audit report an untouched entry as altered.
"""

import contextvars
import datetime
import ipaddress
import math
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audit import chain, verify
from audit.models import AuditEntry
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

# A past date, given to the chain's first entry: only that one keeps its time
# as given (later ones are raised to the head's, and none may be in the future).
EARLIER = datetime.datetime(2025, 3, 1, 12, 0, 0, 250_001, tzinfo=datetime.UTC)
UUID = uuid.UUID("9b2e1f0c-58f4-4ac4-9a4b-5a6c2b0d7e11")


def append(**fields):
    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(AuditEntry),
        action=AuditEntry.Action.ACCESS,
        **{"object_pk": "-", **fields},
    )
    entry.save()
    return entry


def assert_verifies(entry):
    stored = AuditEntry.objects.get(seq=entry.seq)
    assert stored.entry_hash == entry.entry_hash
    # Read back through the ORM (archiving's reading) and by the walk (verify_audit's).
    assert verify.contents_match(stored)
    report = verify.verify_chain()
    assert report.intact, report.first_break
    return stored


def test_an_ipv4_client_of_a_server_listening_on_ipv6_does_not_raise_a_false_alarm(
    client, desk, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    patron = PatronFactory()
    client.force_login(desk)
    client.get(f"/staff/admin/patrons/patron/{patron.pk}/change/", REMOTE_ADDR="::ffff:192.0.2.10")
    read = AuditEntry.objects.filter(object_id=patron.pk, action=AuditEntry.Action.ACCESS).get()
    assert read.remote_addr == "192.0.2.10"
    assert verify.verify_chain().intact


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("::ffff:192.0.2.10", "192.0.2.10"),
        ("::ffff:c000:20a", "192.0.2.10"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:DB8::A", "2001:db8::a"),
        ("2001:db8:0:0:0:0:0:a", "2001:db8::a"),
        ("::ffff:0:102:304", "::ffff:0:102:304"),
        ("64:ff9b::c000:20a", "64:ff9b::c000:20a"),
        ("::", "::"),
        ("10.0.0.1", "10.0.0.1"),
        ("not an address", None),
    ],
)
def test_an_address_is_hashed_as_the_database_keeps_it(given, stored):
    assert assert_verifies(append(remote_addr=given)).remote_addr == stored


def test_an_ipv4_compatible_address_verifies_whichever_form_the_database_writes():
    # PostgreSQL writes ::1.2.3.4 where Python (and so SQLite) writes ::102:304.
    assert_verifies(append(remote_addr="::1.2.3.4"))


def test_an_address_set_through_auditlogs_own_context_verifies():
    from auditlog.context import set_actor

    def job():
        with set_actor(None, remote_addr="::ffff:192.0.2.10", remote_port="443"):
            return append()

    # In a context of its own: auditlog's set_actor leaves its value set on the way out.
    entry = contextvars.copy_context().run(job)
    assert (assert_verifies(entry).remote_addr, entry.remote_port) == ("192.0.2.10", 443)


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        1,
        1e16,
        -1.5e16,
        1e23,
        1.5e300,
        -0.0,
        1e-7,
        5e-324,
        2**70,
        -(2**63),
        0.1,
        True,
        "Ünïcødé 😀 \u2028 \ufeff \uffff",
        "x" * 200_000,
        [1.0, {"n": 1e16, "nested": [-0.0, None]}],
        {"1": "a", "b": [1e20]},
    ],
)
def test_a_json_value_is_hashed_as_the_database_hands_it_back(value):
    assert_verifies(append(additional_data={"value": value}, changes={"field": [value, None]}))


@pytest.mark.parametrize(
    "fields",
    [
        {"additional_data": {"value": math.nan}},
        {"additional_data": {"value": math.inf}},
        {"changes": {"field": [-math.inf, 1]}},
        {"additional_data": {"value": "a\x00b"}},
        {"additional_data": {"key\x00": 1}},
        {"additional_data": {"value": "\ud800"}},
        {"object_repr": "patron\x00"},
        {"changes_text": "\udfff"},
    ],
)
def test_a_value_the_database_cannot_keep_as_it_is_is_refused_and_nothing_is_appended(fields):
    before = chain.chain_head()
    with pytest.raises(chain.UnstorableValue) as refused:
        append(**fields)
    assert str(refused.value) == chain.UNSTORABLE_VALUE.format(field=next(iter(fields)))
    assert chain.chain_head() == before
    assert verify.verify_chain().intact


def test_a_naive_timestamp_is_taken_in_the_librarys_time_zone_as_the_database_takes_it(settings):
    settings.TIME_ZONE = "America/Chicago"
    naive = EARLIER.replace(tzinfo=None)
    stored = assert_verifies(append(timestamp=naive))
    assert stored.timestamp == naive.replace(tzinfo=ZoneInfo("America/Chicago"))


def test_an_aware_timestamp_in_another_zone_keeps_its_microseconds():
    kathmandu = EARLIER.astimezone(ZoneInfo("Asia/Kathmandu"))
    assert assert_verifies(append(timestamp=kathmandu)).timestamp == EARLIER


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({"object_id": "7", "object_pk": 7}, (7, "7")),
        ({"object_id": 7, "object_pk": "7"}, (7, "7")),
        (
            {"object_id": None, "object_pk": UUID},
            (None, "9b2e1f0c-58f4-4ac4-9a4b-5a6c2b0d7e11"),
        ),
    ],
)
def test_object_ids_are_hashed_as_the_database_types_them(fields, stored):
    entry = assert_verifies(append(**fields))
    assert (entry.object_id, entry.object_pk) == stored


# Addresses in the forms a server or a caller may hand over, garbage included.
ADDRESSES = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda address: address.exploded.upper()),
    st.ip_addresses(v=4).map(lambda address: f"::ffff:{address}"),
    st.ip_addresses(v=4).map(lambda address: str(ipaddress.IPv6Address(f"::ffff:{address}"))),
    st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv6Address(n))),  # IPv4-compatible
    st.tuples(st.ip_addresses(v=6), st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)).map(
        lambda pair: f"{pair[0]}%{pair[1]}"
    ),
    st.text(max_size=12),
    st.none(),
)
# Every code point, surrogates and NUL included: they must be refused, never mangled.
CHARACTERS = st.characters(exclude_categories=())
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(CHARACTERS, max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(CHARACTERS, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(address=ADDRESSES, value=JSON, text=st.text(CHARACTERS, max_size=40))
def test_whatever_is_appended_verifies_or_is_refused_whole(db, address, value, text):
    before = chain.chain_head()
    try:
        entry = append(
            remote_addr=address,
            object_repr=text,
            changes={text: [value, None]},
            additional_data={"value": value},
        )
    except chain.UnstorableValue:
        event("refused")
        assert chain.chain_head() == before
        return
    event("appended")
    assert_verifies(entry)


def hashed_as_before(entry, address):
    """Return the hash the entry would have had from the code before stored forms."""
    return chain.payload_hash({**chain.hashed_payload(entry), "remote_addr": address})


@pytest.mark.parametrize(
    ("stored", "hashed_then"),
    [("::ffff:192.0.2.10", "::ffff:c000:20a"), ("::ffff:10.20.1.5", "::ffff:a14:105")],
)
def test_an_entry_appended_before_stored_forms_verifies_with_its_address_as_it_was_hashed(
    stored, hashed_then, tmp_path
):
    from tests.audit import tamper

    old = append(remote_addr="192.0.2.99")
    # What the old code wrote: Django stored the dotted form, the hash covered
    # Python's (hash format 1, which every entry had then).
    tamper.alter(old.seq, remote_addr=stored, hash_format=1)
    old.refresh_from_db()
    tamper.alter(old.seq, entry_hash=hashed_as_before(old, hashed_then))
    assert verify.verify_chain().intact
    archived = tmp_path / "audit.jsonl"
    archived.write_text(verify.archive_line(AuditEntry.objects.get(seq=old.seq)) + "\n")
    assert verify.verify_archive(archived).intact


def test_an_old_entry_whose_address_was_changed_is_still_altered():
    from tests.audit import tamper

    old = append(remote_addr="192.0.2.99")
    tamper.alter(old.seq, remote_addr="::ffff:192.0.2.11", hash_format=1)
    old.refresh_from_db()
    # Hashed over another address than the one stored: an alteration, whatever its form.
    tamper.alter(old.seq, entry_hash=hashed_as_before(old, "::ffff:c000:20a"))
    broken = verify.verify_chain().first_break
    assert (broken.seq, broken.kind) == (old.seq, "altered")
