"""The letters page and the templates page: who opens them, what they show, what they refuse."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from library.roles import Role
from notices.models import Channel, Kind, Notice, NoticeTemplate
from notices.rendering import TAG_NOT_ALLOWED, UNKNOWN_VARIABLE
from tests.conftest import page_text
from tests.factories import PatronFactory
from tests.notices.helpers import loan_due, notice_templates

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _templates(db):
    notice_templates()


@pytest.fixture
def letter(db):
    patron = PatronFactory(email="", notices_name_items=True, first_name="Lena", last_name="Post")
    loan = loan_due(patron, timezone.localdate() - datetime.timedelta(days=1))
    notice = Notice.objects.create(
        patron=patron,
        kind=Kind.OVERDUE_FIRST,
        channel=Channel.LETTER,
        created_on=timezone.localdate(),
    )
    return notice, loan


def test_the_desk_sees_waiting_letters_with_names_and_addresses(client, desk, letter):
    notice, _ = letter
    client.force_login(desk)
    text = page_text(client.get(reverse("notices:letters")))
    assert "Lena Post" in text
    assert notice.patron.address_line in text


def test_listing_letters_logs_a_read_of_each_patron(client, desk, letter):
    notice, _ = letter
    client.force_login(desk)
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    client.get(reverse("notices:letters"))
    reads = AuditEntry.objects.filter(seq__gt=before, object_pk=str(notice.patron_id))
    assert reads.exists()


def test_the_printed_letter_names_no_item(client, desk, letter):
    _, loan = letter
    client.force_login(desk)
    text = page_text(client.get(reverse("notices:letters_print")))
    assert "Lena Post" in text
    assert "1 item due back on" in text
    assert loan.item.record.title not in text


def test_marking_letters_posted_sends_them(client, desk, letter):
    notice, _ = letter
    client.force_login(desk)
    response = client.post(reverse("notices:letters_sent"), {"notices": [notice.pk]})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.sent_on == timezone.localdate()
    assert "Lena Post" not in page_text(client.get(reverse("notices:letters")))


def test_an_email_notice_cannot_be_marked_as_a_letter(client, desk, letter):
    email = Notice.objects.create(
        patron=PatronFactory(),
        kind=Kind.PRE_DUE,
        channel=Channel.EMAIL,
        created_on=timezone.localdate(),
    )
    client.force_login(desk)
    response = client.post(reverse("notices:letters_sent"), {"notices": [email.pk]})
    assert response.status_code == 400
    email.refresh_from_db()
    assert email.sent_on is None


@pytest.mark.parametrize("role", [Role.REFERENCE, Role.SECURITY_GUARD, Role.AUDITOR])
def test_roles_off_the_desk_get_not_found(client, staff, letter, role):
    client.force_login(staff(role))
    assert client.get(reverse("notices:letters")).status_code == 404


def test_a_patron_gets_not_found(client, alice, letter):
    client.force_login(alice.user)
    assert client.get(reverse("notices:letters")).status_code == 404


@pytest.fixture
def pic(staff):
    return staff(Role.PERSON_IN_CHARGE)


def _edit(client, template, subject, body):
    return client.post(
        reverse("notices:template_edit", args=[template.pk]), {"subject": subject, "body": body}
    )


def test_the_defaults_exist_for_every_kind_and_channel():
    assert NoticeTemplate.objects.count() == len(Kind) * len(Channel)


def test_the_person_in_charge_edits_a_template(client, pic):
    template = NoticeTemplate.objects.get(kind=Kind.CARD_EXPIRING, channel=Channel.EMAIL)
    client.force_login(pic)
    response = _edit(client, template, "Renew, {{ first_name }}", "Expires {{ card_expires_on }}.")
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == "Expires {{ card_expires_on }}."


def test_a_template_that_does_not_compile_is_refused(client, pic):
    template = NoticeTemplate.objects.get(kind=Kind.PRE_DUE, channel=Channel.EMAIL)
    before = template.body
    client.force_login(pic)
    response = _edit(client, template, "Due", "{% if items %}unclosed")
    assert response.status_code == 200
    assert "The body does not compile" in page_text(response)
    template.refresh_from_db()
    assert template.body == before


def test_an_unknown_variable_is_refused_with_the_known_ones(client, pic):
    template = NoticeTemplate.objects.get(kind=Kind.PRE_DUE, channel=Channel.EMAIL)
    client.force_login(pic)
    response = _edit(client, template, "Due", "Dear {{ patron.email }}")
    expected = UNKNOWN_VARIABLE.format(
        part="body", name="patron", known="count, due_date, first_name, items, name, today"
    )
    assert expected in page_text(response)


def test_a_variable_of_another_kind_is_refused(client, pic):
    template = NoticeTemplate.objects.get(kind=Kind.CARD_EXPIRING, channel=Channel.EMAIL)
    client.force_login(pic)
    response = _edit(client, template, "Hi", "{% for t in items %}{{ t }}{% endfor %}")
    assert "The body uses the variable items, which this notice does not have" in page_text(
        response
    )


def test_other_tags_are_refused(client, pic):
    template = NoticeTemplate.objects.get(kind=Kind.PRE_DUE, channel=Channel.EMAIL)
    client.force_login(pic)
    response = _edit(client, template, "Due", "{% include 'base.html' %}")
    assert TAG_NOT_ALLOWED.format(part="body", tag="include") in page_text(response)


def test_loop_and_with_variables_are_allowed(client, pic):
    template = NoticeTemplate.objects.get(kind=Kind.PRE_DUE, channel=Channel.EMAIL)
    client.force_login(pic)
    body = (
        "{% with n=count %}{{ n }}{% endwith %}"
        "{% for t in items %}{{ forloop.counter }} {{ t|upper }}{% endfor %}"
        "{% if count > 1 and not items %}x{% endif %}"
    )
    assert _edit(client, template, "Due {{ due_date|date:'M j' }}", body).status_code == 302


@pytest.mark.parametrize("role", [Role.CIRCULATION, Role.REFERENCE, Role.DIRECTOR])
def test_other_roles_cannot_edit_templates(client, staff, role):
    client.force_login(staff(role))
    assert client.get(reverse("notices:templates")).status_code == 404


def _print_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("notices:letters_print")).status_code == 200
    return len(queries)


def _letters_for_a_new_patron() -> None:
    from circulation.models import Hold
    from tests.factories import HoldFactory

    today = timezone.localdate()
    patron = PatronFactory(email="")
    loan_due(patron, today - datetime.timedelta(days=1))
    hold = HoldFactory(
        patron=patron, status=Hold.Status.READY, ready_until=today + datetime.timedelta(days=3)
    )
    for kind, hold_link in ((Kind.OVERDUE_FIRST, None), (Kind.HOLD_READY, hold)):
        Notice.objects.create(
            patron=patron, kind=kind, channel=Channel.LETTER, created_on=today,
            hold=hold_link, item=hold_link.item if hold_link else None,
        )  # fmt: skip


def test_printing_costs_the_same_queries_for_one_letter_or_many(client, desk):
    client.force_login(desk)
    _letters_for_a_new_patron()
    _print_queries(client)  # the first page of a session reads more (the session, the branch)
    one = _print_queries(client)
    for _ in range(4):
        _letters_for_a_new_patron()
    text = page_text(client.get(reverse("notices:letters_print")))
    assert text.count("An item you placed a hold on is ready for you") == 5
    assert _print_queries(client) == one
