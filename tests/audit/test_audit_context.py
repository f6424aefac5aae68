"""What a request puts into the entries made while serving it: who, and from where; nothing
a client chooses."""

import pytest
from django.http import HttpResponse

from audit.middleware import AuditContextMiddleware
from audit.models import AuditEntry
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


def serve(request):
    def view(request):
        PatronFactory()
        return HttpResponse()

    return AuditContextMiddleware(view)(request)


def test_entries_name_the_actor_and_the_connections_address(rf, desk, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6")
    request.user = desk
    serve(request)
    entry = AuditEntry.objects.latest()
    assert (entry.actor_id, entry.actor_name, entry.remote_addr) == (
        desk.pk,
        "circulation",
        "10.1.2.3",
    )
    assert entry.actor_email is None and entry.remote_port is None


def test_a_client_cannot_write_a_correlation_id_into_the_trail(rf, desk):
    request = rf.get("/", HTTP_X_CORRELATION_ID="Alice Archer lives at 12 Elm St")
    request.user = desk
    serve(request)
    assert AuditEntry.objects.latest().cid is None


def test_work_done_after_a_request_is_not_put_down_to_its_user(rf, desk):
    from audit.entries import record_summary
    from audit.models import AuditEntry as Entry

    request = rf.get("/")
    request.user = desk
    serve(request)
    entry = record_summary(model=Entry, action=Entry.Action.UPDATE, count=0, reason="nightly job")
    assert entry.actor_id is None
