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


def test_a_save_after_a_request_writes_its_entry_while_another_request_is_served(rf, desk):
    """auditlog's receivers are global: another thread's request sees this thread's saves."""
    import threading

    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    request.user = desk
    serve(request)  # this thread has served a request and is idle again

    serving, done = threading.Event(), threading.Event()

    def slow_view(request):
        serving.set()
        done.wait(10)
        return HttpResponse()

    def other_request():
        request = rf.get("/", REMOTE_ADDR="10.9.9.9")
        request.user = AnonymousUser()
        AuditContextMiddleware(slow_view)(request)

    other = threading.Thread(target=other_request)
    other.start()
    try:
        assert serving.wait(10)
        patron = PatronFactory()  # a job's save, outside any request
    finally:
        done.set()
        other.join()
    entry = AuditEntry.objects.filter(object_pk=str(patron.pk)).get()
    assert (entry.actor_id, entry.remote_addr) == (None, None)


def test_a_later_save_on_the_thread_carries_nothing_of_the_last_request(client, desk):
    from audit.verify import verify_chain

    client.force_login(desk)
    patron = PatronFactory()
    client.get(f"/staff/admin/patrons/patron/{patron.pk}/change/", REMOTE_ADDR="10.1.2.3")
    later = PatronFactory()  # the test client served that request on this thread
    entry = AuditEntry.objects.filter(object_pk=str(later.pk)).get()
    assert (entry.actor_id, entry.actor_name, entry.remote_addr) == (None, "", None)
    assert verify_chain().intact


def test_a_thread_that_served_a_request_is_left_with_no_audit_context(rf):
    import threading

    from auditlog.context import auditlog_value
    from django.contrib.auth.models import AnonymousUser

    seen = []

    def thread():
        request = rf.get("/", REMOTE_ADDR="10.1.2.3")
        request.user = AnonymousUser()
        AuditContextMiddleware(lambda request: HttpResponse())(request)
        seen.append(auditlog_value.get("unset"))

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    assert seen == ["unset"]
