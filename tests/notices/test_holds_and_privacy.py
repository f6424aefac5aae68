"""Hold notices from circulation's signals; letters never name items; check-in cuts the item."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from circulation import services as circulation
from circulation.models import Hold
from circulation.signals import hold_expired, hold_ready
from notices.models import Channel, Kind, Notice
from notices.services import notice_render
from tests.factories import HoldFactory, LoanRuleFactory, PatronFactory
from tests.notices.helpers import loan_due

pytestmark = pytest.mark.django_db


def ready_hold(patron) -> Hold:
    hold = HoldFactory(
        patron=patron,
        status=Hold.Status.READY,
        ready_until=timezone.localdate() + datetime.timedelta(days=7),
    )
    return hold


def announce_ready(hold: Hold) -> None:
    hold_ready.send(
        sender=None,
        hold_id=hold.pk,
        patron_id=hold.patron_id,
        title=hold.record.title,
        pickup_branch=hold.pickup_branch.name,
        ready_until=hold.ready_until,
    )


def test_a_ready_hold_is_emailed_without_its_title_by_default():
    hold = ready_hold(PatronFactory())
    announce_ready(hold)
    notice = Notice.objects.get(patron=hold.patron)
    assert (notice.kind, notice.channel) == (Kind.HOLD_READY, Channel.EMAIL)
    assert notice.sent_on is not None
    assert (notice.item_id, notice.hold_id) == (None, None)  # sent: the links are gone
    (message,) = mail.outbox
    assert hold.record.title not in message.body
    assert "An item you placed a hold on is ready for you at " + hold.pickup_branch.name in (
        message.body
    )


def test_a_ready_hold_names_its_title_when_the_patron_chose_that():
    hold = ready_hold(PatronFactory(notices_name_items=True))
    announce_ready(hold)
    (message,) = mail.outbox
    assert f"{hold.record.title} is ready for you" in message.body


def test_an_expired_hold_is_emailed_with_the_title_from_the_signal_only_if_chosen():
    named, unnamed = PatronFactory(notices_name_items=True), PatronFactory()
    for patron in (named, unnamed):
        hold_expired.send(
            sender=None, patron_id=patron.pk, title="Secret Garden", pickup_branch="X"
        )
    by_address = {message.to[0]: message.body for message in mail.outbox}
    assert "Secret Garden was not collected" in by_address[named.email]
    assert "Secret Garden" not in by_address[unnamed.email]
    kept = Notice.objects.filter(kind=Kind.HOLD_EXPIRED)
    assert kept.count() == 2 and all(n.sent_on and n.item_id is None for n in kept)


def test_a_patron_without_email_gets_a_letter_that_names_no_item():
    patron = PatronFactory(email="", notices_name_items=True)
    hold = ready_hold(patron)
    announce_ready(hold)
    assert mail.outbox == []
    notice = Notice.objects.get(patron=patron)
    assert notice.channel == Channel.LETTER and notice.sent_on is None
    rendered = notice_render(notice=notice, today=timezone.localdate())
    assert rendered is not None
    assert hold.record.title not in rendered.body
    assert patron.full_name in rendered.body


def test_a_loan_letter_names_no_item_even_when_the_patron_chose_that(settings):
    patron = PatronFactory(email="", notices_name_items=True)
    today = timezone.localdate()
    loan = loan_due(patron, today - datetime.timedelta(days=1))
    from notices.services import notices_create_due

    notices_create_due(today=today)
    notice = Notice.objects.get(patron=patron)
    assert notice.channel == Channel.LETTER
    rendered = notice_render(notice=notice, today=today)
    assert rendered is not None
    assert loan.item.record.title not in rendered.body + rendered.subject
    assert "1 item due back on" in rendered.body


def test_a_hold_collected_before_its_notice_went_is_not_announced():
    hold = ready_hold(PatronFactory(email=""))
    announce_ready(hold)
    notice = Notice.objects.get(patron=hold.patron)
    hold.delete()
    notice.refresh_from_db()
    assert notice.hold_id is None
    assert notice_render(notice=notice, today=timezone.localdate()) is None


def test_check_in_cuts_the_notice_item_link():
    LoanRuleFactory()
    patron = PatronFactory(email="")  # a letter waits unsent, so its link is still there
    hold = ready_hold(patron)
    announce_ready(hold)
    notice = Notice.objects.get(patron=patron)
    assert notice.item_id == hold.item_id
    loan = circulation.loan_checkout(
        patron=patron, barcode=hold.item.barcode, branch=hold.item.branch
    )
    circulation.loan_checkin(barcode=loan.item.barcode, branch=hold.item.branch)
    notice.refresh_from_db()
    assert notice.item_id is None
    assert Notice.objects.filter(item=hold.item).count() == 0


def test_check_in_leaves_other_patrons_notice_links():
    LoanRuleFactory()
    waiting = PatronFactory(email="")
    hold = ready_hold(waiting)
    announce_ready(hold)
    other = PatronFactory()
    loan = loan_due(other, timezone.localdate() + datetime.timedelta(days=5))
    circulation.loan_checkin(barcode=loan.item.barcode, branch=loan.item.branch)
    assert Notice.objects.get(patron=waiting).item_id == hold.item_id


def test_a_hold_announced_twice_gets_one_notice():
    hold = ready_hold(PatronFactory(email=""))
    announce_ready(hold)
    announce_ready(hold)
    assert Notice.objects.filter(patron=hold.patron).count() == 1
