"""A template that fails on some notice's data: refused when saved, and never a broken send."""

import datetime
import logging

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from library.roles import Role
from notices import tasks
from notices.models import Channel, Kind, Notice, NoticeTemplate
from notices.rendering import FILTER_NOT_ALLOWED, template_problems
from tests.conftest import page_text
from tests.factories import PatronFactory
from tests.notices.helpers import loan_due, notice_templates

pytestmark = pytest.mark.django_db

# Passes a trial on the sample patron "Ada" and fails for everyone else.
ADA_ONLY = '{% if first_name == "Ada" %}ok{% else %}{{ count|divisibleby:0 }}{% endif %}'


@pytest.fixture(autouse=True)
def _templates(db):
    notice_templates()


@pytest.fixture
def pic(staff):
    return staff(Role.PERSON_IN_CHARGE)


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "notices.rendering"]


def _overdue(channel: str, **patron_fields) -> Notice:
    patron = PatronFactory(**patron_fields)
    today = timezone.localdate()
    loan_due(patron, today - datetime.timedelta(days=1))
    return Notice.objects.create(
        patron=patron, kind=Kind.OVERDUE_FIRST, channel=channel, created_on=today
    )


def _break(channel: str) -> None:
    """Store a failing body directly, as a template saved before the checks were stricter."""
    NoticeTemplate.objects.filter(kind=Kind.OVERDUE_FIRST, channel=channel).update(body=ADA_ONLY)


@pytest.mark.parametrize(
    "body",
    [
        ADA_ONLY,
        "{% if count == 2 %}two{% else %}{{ 1|divisibleby:count }}{% endif %}",
        "{% if items %}{% else %}{{ days_overdue|divisibleby:0 }}{% endif %}",
        '{% if first_name %}{{ count|divisibleby:"0" }}{% endif %}',
        "{% with n=count %}{{ 6|divisibleby:n }}{% endwith %}",
    ],
)
def test_a_template_that_fails_on_some_data_is_refused_when_saved(body):
    assert template_problems(body, kind=Kind.OVERDUE_FIRST, part="body")


def test_a_filter_that_fails_on_zero_is_refused_unless_given_a_whole_number_other_than_0():
    problems = template_problems("{{ count|divisibleby:count }}", kind=Kind.PRE_DUE, part="body")
    assert FILTER_NOT_ALLOWED.format(part="body", name="divisibleby", argument="count") in problems
    assert template_problems("{{ count|divisibleby:2 }}", kind=Kind.PRE_DUE, part="body") == []


def test_a_branch_taken_only_for_no_titles_or_a_count_of_3_is_tried():
    body = "{% if count > 2 %}{{ first_name|add:count|date:'x' }}{{ count.x.y|length }}{% endif %}"
    assert template_problems(body, kind=Kind.PRE_DUE, part="body") == []  # renders everywhere
    failing = "{% if count == 3 %}{{ count|divisibleby:first_name }}{% endif %}"
    assert template_problems(failing, kind=Kind.PRE_DUE, part="body")


def test_the_edit_page_refuses_the_ada_only_template(client, pic):
    template = NoticeTemplate.objects.get(kind=Kind.OVERDUE_FIRST, channel=Channel.LETTER)
    before = template.body
    client.force_login(pic)
    response = client.post(
        reverse("notices:template_edit", args=[template.pk]), {"subject": "Due", "body": ADA_ONLY}
    )
    assert response.status_code == 200
    assert "divisibleby" in page_text(response)
    template.refresh_from_db()
    assert template.body == before


def test_letters_print_with_the_default_words_when_a_template_fails(client, desk, caplog):
    _break(Channel.LETTER)
    for name in ("Lena", "Ada", "Bea"):
        _overdue(Channel.LETTER, email="", first_name=name, last_name="Post")
    client.force_login(desk)
    with caplog.at_level(logging.WARNING, logger="notices.rendering"):
        response = client.get(reverse("notices:letters_print"))
    assert response.status_code == 200
    text = page_text(response)
    assert text.count("Please return or renew it soon.") == 2  # Lena and Bea: the defaults
    assert "Lena Post" in text and "Bea Post" in text
    warnings = _warnings(caplog)
    assert len(warnings) == 2 and all("overdue_1" in message for message in warnings)
    assert not any("Lena" in message or "Post" in message for message in warnings)


def test_emails_go_with_the_default_words_when_a_template_fails(caplog):
    _break(Channel.EMAIL)
    notices = [_overdue(Channel.EMAIL, first_name=name) for name in ("Lena", "Ada", "Bea")]
    with caplog.at_level(logging.WARNING, logger="notices.rendering"):
        sent = tasks.notices_send.delay(notice_ids=[notice.pk for notice in notices]).get()
    assert sent == 3
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert bodies[notices[1].patron.email] == "ok\n"
    for notice in (notices[0], notices[2]):
        assert bodies[notice.patron.email].startswith(f"Dear {notice.patron.first_name},")
    assert Notice.objects.filter(sent_on__isnull=True).count() == 0
    messages = _warnings(caplog)
    assert len(messages) == 2 and all("overdue_1" in message for message in messages)
    assert not any(notice.patron.email in " ".join(messages) for notice in notices)
