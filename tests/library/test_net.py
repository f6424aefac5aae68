import pytest
from django.test import RequestFactory

from library.net import client_ip

rf = RequestFactory()


def _request(xff=None, remote="10.0.0.5"):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return rf.get("/", **extra)


def test_forged_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(xff="6.6.6.6")) == "10.0.0.5"


def test_one_trusted_proxy_gives_the_address_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forged 6.6.6.6; the proxy appended the real 203.0.113.9.
    assert client_ip(_request(xff="6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_two_trusted_proxies_count_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(xff="6.6.6.6, 203.0.113.9, 10.1.1.1")) == "203.0.113.9"


def test_a_short_header_falls_back_to_the_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(xff="203.0.113.9")) == "10.0.0.5"


@pytest.mark.parametrize("junk", ["not-an-ip", "", "999.1.1.1"])
def test_junk_addresses_become_none(settings, junk):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(xff=junk, remote="")) is None


def test_audit_entries_record_the_connection_address_not_a_forged_header(
    client, db, desk, settings
):
    from audit.models import AuditEntry
    from tests.factories import PatronFactory

    settings.TRUSTED_PROXY_COUNT = 0
    patron = PatronFactory()
    client.force_login(desk)
    client.get(f"/staff/admin/patrons/patron/{patron.pk}/change/", HTTP_X_FORWARDED_FOR="6.6.6.6")
    entry = AuditEntry.objects.filter(object_id=patron.pk, action=AuditEntry.Action.ACCESS).latest()
    assert entry.remote_addr == "127.0.0.1"


@pytest.mark.parametrize(
    ("forwarded", "address"),
    [
        ("198.51.100.7:50123", "198.51.100.7"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:DB8:0:0::7", "2001:db8::7"),
        ("fe80::1%eth0", "fe80::1"),
        ("[fe80::1%eth0]:443", "fe80::1"),
        ("::ffff:192.0.2.10", "192.0.2.10"),
        ("[::ffff:c000:20a]:8080", "192.0.2.10"),
        ("  198.51.100.7:50123  ", "198.51.100.7"),
        ("6.6.6.6,198.51.100.7:50123", "198.51.100.7"),
        ("[2001:db8::6]:1, [2001:db8::7]:2", "2001:db8::7"),
    ],
)
def test_one_trusted_proxy_gives_the_address_whatever_form_it_writes(settings, forwarded, address):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(xff=forwarded)) == address


@pytest.mark.parametrize(
    "junk",
    [
        "unknown",
        "_hidden",
        "198.51.100.7:",
        "198.51.100.7:99999",
        "198.51.100.7:80:90",
        "198.51.100.7:http",
        "[198.51.100.7]:80",
        "[2001:db8::7",
        "2001:db8::7]:443",
        "[2001:db8::7]443",
        "[2001:db8::7]:",
        "fe80::1%",
        "198.51.100.7%eth0",
        "2001:db8::7 443",
    ],
)
def test_what_is_not_an_address_is_still_refused(settings, junk):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(xff=junk)) is None


@pytest.mark.parametrize(
    ("remote", "address"),
    [
        ("::ffff:192.0.2.10", "192.0.2.10"),
        ("fe80::1%eth0", "fe80::1"),
        ("2001:DB8::A", "2001:db8::a"),
    ],
)
def test_the_connections_address_is_read_the_same_way(settings, remote, address):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(remote=remote)) == address


@pytest.mark.parametrize(
    ("forwarded", "recorded"),
    [
        ("198.51.100.7:50123", "198.51.100.7"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("6.6.6.6, [fe80::7%en0]:443", "fe80::7"),
    ],
)
def test_audit_entries_record_a_forwarded_address_given_with_a_port(
    client, db, desk, settings, forwarded, recorded
):
    from audit.models import AuditEntry
    from audit.verify import verify_chain
    from tests.factories import PatronFactory

    settings.TRUSTED_PROXY_COUNT = 1
    patron = PatronFactory()
    client.force_login(desk)
    client.get(
        f"/staff/admin/patrons/patron/{patron.pk}/change/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    entry = AuditEntry.objects.filter(object_id=patron.pk, action=AuditEntry.Action.ACCESS).latest()
    assert (entry.remote_addr, entry.remote_port) == (recorded, None)
    assert verify_chain().intact


def test_sign_in_lockouts_count_a_forwarded_client_whatever_its_port(client, alice, settings):
    from axes.models import AccessAttempt
    from django.urls import reverse

    settings.TRUSTED_PROXY_COUNT = 1

    def sign_in(password, forwarded):
        return client.post(
            reverse("portal:login"),
            {"username": alice.card_number, "password": password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for port in range(50001, 50006):
        sign_in("wrong-password-x", f"198.51.100.7:{port}")
    assert sign_in("correct-horse-battery", "198.51.100.7:50010").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    # Another client behind the same proxy is not locked out with it.
    assert sign_in("correct-horse-battery", "[2001:db8::7]:443").status_code == 302
