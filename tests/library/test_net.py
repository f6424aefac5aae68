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
