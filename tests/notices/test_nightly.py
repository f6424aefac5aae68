"""The nightly run: each kind made on its day, once, and sent with titles only where chosen."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from library import dates
from notices.models import Channel, Kind, Notice
from notices.services import notices_create_due
from tests.factories import PatronFactory
from tests.notices.helpers import loan_due

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def notice_settings(settings):
    settings.NOTICES_PRE_DUE_DAYS = 3
    settings.NOTICES_OVERDUE_DAYS = (1, 8, 15)
    settings.NOTICES_CARD_EXPIRY_DAYS = 30
    return settings


def kinds_made(patron) -> list[str]:
    return sorted(Notice.objects.filter(patron=patron).values_list("kind", flat=True))


@pytest.mark.parametrize(
    ("due_offset", "kind"),
    [
        (3, Kind.PRE_DUE),
        (-1, Kind.OVERDUE_FIRST),
        (-8, Kind.OVERDUE_SECOND),
        (-15, Kind.OVERDUE_FINAL),
    ],
)
def test_each_loan_kind_is_made_on_its_day_only(notice_settings, due_offset, kind):
    patron = PatronFactory()
    loan_due(patron, TODAY + days(due_offset))
    for offset in (-2, -1, 1, 2):  # the days around it make nothing
        assert notices_create_due(today=TODAY + days(offset))[kind] == 0
    assert notices_create_due(today=TODAY)[kind] == 1
    notice = Notice.objects.get(patron=patron)
    assert (notice.kind, notice.channel, notice.created_on) == (kind, Channel.EMAIL, TODAY)


def test_a_due_day_is_the_library_day(notice_settings):
    zone = timezone.get_current_timezone()
    first_moment = datetime.datetime.combine(TODAY + days(3), datetime.time.min, zone)
    inside, outside = PatronFactory(), PatronFactory()
    loan_due(inside, TODAY + days(3)).__class__.objects.filter(patron=inside).update(
        due_at=first_moment
    )
    loan_due(outside, TODAY + days(4)).__class__.objects.filter(patron=outside).update(
        due_at=first_moment + days(1)  # the first moment of the next day
    )
    notices_create_due(today=TODAY)
    assert kinds_made(inside) == [Kind.PRE_DUE]
    assert kinds_made(outside) == []


def test_card_expiring_is_made_on_its_day(notice_settings):
    patron = PatronFactory(card_expires_on=TODAY + days(30))
    PatronFactory(card_expires_on=TODAY + days(31))
    assert notices_create_due(today=TODAY)[Kind.CARD_EXPIRING] == 1
    assert kinds_made(patron) == [Kind.CARD_EXPIRING]


def test_a_rerun_the_same_day_makes_no_second_notice(notice_settings):
    patron = PatronFactory(card_expires_on=TODAY + days(30))
    loan_due(patron, TODAY + days(3))
    loan_due(patron, TODAY + days(3))
    loan_due(patron, TODAY - days(1))
    first = notices_create_due(today=TODAY)
    assert sum(first.values()) == 3  # one a kind, however many items
    assert sum(notices_create_due(today=TODAY).values()) == 0
    assert kinds_made(patron) == sorted([Kind.PRE_DUE, Kind.OVERDUE_FIRST, Kind.CARD_EXPIRING])


def test_returned_loans_and_other_days_make_nothing(notice_settings):
    patron = PatronFactory()
    loan = loan_due(patron, TODAY + days(3))
    loan.returned_at = timezone.now()
    loan.patron = None
    loan.save()
    assert sum(notices_create_due(today=TODAY).values()) == 0


def test_a_patron_without_email_gets_a_letter(notice_settings):
    patron = PatronFactory(email="")
    loan_due(patron, TODAY - days(1))
    notices_create_due(today=TODAY)
    assert Notice.objects.get(patron=patron).channel == Channel.LETTER


def run(*extra: str) -> str:
    out = io.StringIO()
    call_command("send_notices", "--date", TODAY.isoformat(), *extra, stdout=out)
    return out.getvalue()


def _send_for(patron, *, name_items: bool, due_offset: int = 3):
    patron.notices_name_items = name_items
    patron.save()
    loan = loan_due(patron, TODAY + days(due_offset))
    run()
    return loan


def test_the_command_sends_the_email_once(notice_settings):
    patron = PatronFactory()
    _send_for(patron, name_items=False)
    assert len(mail.outbox) == 1
    run()
    assert len(mail.outbox) == 1
    assert Notice.objects.get(patron=patron).sent_on == timezone.localdate()
    assert mail.outbox[0].to == [patron.email]


def test_the_title_is_named_when_the_patron_chose_that(notice_settings):
    patron = PatronFactory()
    loan = _send_for(patron, name_items=True)
    assert loan.item.record.title in mail.outbox[0].body
    assert "1 item you borrowed is due" in mail.outbox[0].body


def test_the_title_is_not_named_by_default(notice_settings):
    patron = PatronFactory()
    assert patron.notices_name_items is False
    loan = _send_for(patron, name_items=False)
    message = mail.outbox[0]
    assert loan.item.record.title not in message.body
    assert loan.item.record.title not in message.subject
    assert "1 item you borrowed is due" in message.body


def test_an_overdue_email_counts_the_days(notice_settings):
    patron = PatronFactory()
    loan = _send_for(patron, name_items=True, due_offset=-8)
    body = mail.outbox[0].body
    assert "8 days overdue" in body
    assert loan.item.record.title in body
    assert mail.outbox[0].subject == "Second notice: library items overdue"


def test_a_notice_whose_loans_came_back_is_not_sent(notice_settings):
    patron = PatronFactory()
    loan = loan_due(patron, TODAY + days(3))
    run("--no-queue")
    loan.returned_at = timezone.now()
    loan.patron = None
    loan.save()
    run()
    assert mail.outbox == []
    assert not Notice.objects.filter(patron=patron).exists()


def test_the_command_queues_in_batches(notice_settings, monkeypatch):
    from notices import tasks

    queued = []
    monkeypatch.setattr(tasks, "notices_send_queue", lambda **kw: queued.append(kw["notice_ids"]))
    for _ in range(5):
        loan_due(PatronFactory(), TODAY + days(3))
    assert run("--batch-size", "2").endswith("queued 5 emails in 3 tasks.\n")
    assert [len(batch) for batch in queued] == [2, 2, 1]


def test_what_the_log_shows_of_a_task_names_nothing(notice_settings, monkeypatch):
    from notices import tasks

    calls = []
    monkeypatch.setattr(tasks.notices_send, "apply_async", lambda **kw: calls.append(kw))
    tasks.notices_send_queue(notice_ids=[1, 2, 3], hold={"title": "Secret Book"})
    assert "Secret Book" not in calls[0]["kwargsrepr"]
    assert calls[0]["kwargsrepr"].startswith("{'notice_ids': <3 ids>")


def test_yesterdays_unsent_emails_are_queued_again_older_ones_not(notice_settings, monkeypatch):
    from notices import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks, "notices_send_queue", lambda **kw: queued.extend(kw["notice_ids"]))
    patron = PatronFactory()
    made = {
        age: Notice.objects.create(
            patron=patron, kind=Kind.HOLD_EXPIRED, channel=Channel.EMAIL,
            created_on=TODAY - days(age),
        )
        for age in (0, 1, 2)
    }  # fmt: skip
    run()
    assert sorted(queued) == sorted([made[0].pk, made[1].pk])


def test_a_kind_without_a_template_row_is_sent_with_the_default_words(notice_settings):
    from notices.models import NoticeTemplate

    NoticeTemplate.objects.all().delete()
    _send_for(PatronFactory(), name_items=False)
    (message,) = mail.outbox
    assert message.subject == f"Library items due {dates.day(TODAY + days(3))}"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_at_the_calendars_ends_is_refused_and_writes_nothing(notice_settings, day):
    from django.core.management import CommandError

    from notices.management.commands.send_notices import DATE_OUT_OF_RANGE

    PatronFactory()
    with pytest.raises(CommandError, match=DATE_OUT_OF_RANGE):
        call_command("send_notices", "--date", day, stdout=io.StringIO())
    assert not Notice.objects.exists()


def test_a_batch_size_below_one_is_refused(notice_settings):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run("--batch-size", "0")
