"""Notice writes: the nightly rows, hold notices, sending one notice, letters, templates.

Privacy (CONF-9): a notice row never holds its text. It names the items only
at send time, only in an email, and only to a patron who chose that
(`Patron.notices_name_items`); a letter, which a household may open, never
names them. A loan notice keeps no item at all (its items are the patron's
open loans due that day, read when it is sent), and a hold notice keeps its
item and hold only until it is sent; check-in cuts the item sooner
(privacy.inventory `unlink_on_check_in`).
"""

import datetime
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Case, CharField, DateField, QuerySet, Value, When
from django.utils import timezone

from circulation.models import Hold, Loan
from notices.defaults import default_words
from notices.models import NIGHTLY_KINDS, Channel, Kind, Notice, NoticeTemplate
from notices.rendering import Rendered, render_or_default, template_problems
from patrons.models import Patron

NOT_LETTERS = "Choose letters that are waiting to be printed."

OVERDUE_KINDS = (Kind.OVERDUE_FIRST, Kind.OVERDUE_SECOND, Kind.OVERDUE_FINAL)
LOAN_KINDS = (Kind.PRE_DUE, *OVERDUE_KINDS)


class NoticeError(ValueError):
    """A notice or template could not be written; nothing was changed."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def due_day_of(*, kind: str, created_on: datetime.date) -> datetime.date:
    """Return the due day a loan notice made on `created_on` is about (settings.NOTICES_*)."""
    if kind == Kind.PRE_DUE:
        return created_on + datetime.timedelta(days=settings.NOTICES_PRE_DUE_DAYS)
    days = settings.NOTICES_OVERDUE_DAYS[OVERDUE_KINDS.index(Kind(kind))]
    return created_on - datetime.timedelta(days=days)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the library's local midnight starting `day` and the one ending it."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, zone)
    return start, end


def loans_due_on(day: datetime.date) -> QuerySet[Loan]:
    """Return the open loans due on a library day.

    `patron__isnull=False` matches the predicate of loan_patron_idx (patron,
    due_at) WHERE patron IS NOT NULL, which holds only linked loans (returned
    loans forget their patron): a scan of it finds a day's due loans among 10
    million loans in about 0.2 s (docs/notices.md), with no index of its own.
    """
    start, end = _day_bounds(day)
    return Loan.objects.filter(
        returned_at__isnull=True, patron__isnull=False, due_at__gte=start, due_at__lt=end
    )


def _channel_of_patron() -> Case:
    """The channel as SQL: email for a patron with an address, else a letter."""
    return Case(
        When(email="", then=Value(Channel.LETTER.value)),
        default=Value(Channel.EMAIL.value),
        output_field=CharField(),
    )


def _due_patrons(kind: Kind, today: datetime.date) -> QuerySet[Patron]:
    if kind == Kind.CARD_EXPIRING:
        expires = today + datetime.timedelta(days=settings.NOTICES_CARD_EXPIRY_DAYS)
        return Patron.objects.filter(card_expires_on=expires).exclude(status=Patron.Status.EXPIRED)
    loans = loans_due_on(due_day_of(kind=kind, created_on=today))
    return Patron.objects.filter(pk__in=loans.values("patron_id"))


def _insert_select(patrons: QuerySet[Patron], *, kind: Kind, today: datetime.date) -> int:
    """Insert one notice of `kind` per patron in `patrons` in one INSERT ... SELECT; skip repeats.

    The SELECT is the ORM's own SQL; the unique constraint notice_nightly_once_a_day
    makes a second run on the same day insert nothing (ON CONFLICT DO NOTHING).
    """
    rows = (
        patrons.order_by()
        .annotate(
            notice_kind=Value(kind.value, output_field=CharField()),
            notice_channel=_channel_of_patron(),
            notice_created_on=Value(today, output_field=DateField()),
        )
        .values_list("pk", "notice_kind", "notice_channel", "notice_created_on")
    )
    select, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(Notice._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(name) for name in ("patron_id", "kind", "channel", "created_on")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) {select} ON CONFLICT DO NOTHING",
            params,
        )
        return max(cursor.rowcount, 0)


@transaction.atomic
def notices_create_due(*, today: datetime.date | None = None) -> dict[str, int]:
    """Make today's nightly notices, set-based; return how many of each kind were new.

    One INSERT ... SELECT per kind: pre-due (settings.NOTICES_PRE_DUE_DAYS
    before the due day), overdue first, second and final (NOTICES_OVERDUE_DAYS
    after it) and card expiring (NOTICES_CARD_EXPIRY_DAYS before the expiry
    day). A patron gets one notice of a kind a day, whatever the number of
    items; running again on the same day makes none.
    """
    today = today or timezone.localdate()
    return {
        kind.value: _insert_select(_due_patrons(kind, today), kind=kind, today=today)
        for kind in NIGHTLY_KINDS
    }


# Unsent emails made this many days before today are queued again by the nightly
# run: a mail server down longer than the task's retries last (about 1.6 hours)
# delays a notice by a day; an older one is no longer timely, and retention
# deletes it.
REQUEUE_DAYS = 1


def unsent_emails(*, today: datetime.date) -> QuerySet[Notice]:
    """Return the email notices made today or the day before not sent yet (notice_unsent_idx)."""
    return Notice.objects.filter(
        channel=Channel.EMAIL,
        created_on__gte=today - datetime.timedelta(days=REQUEUE_DAYS),
        created_on__lte=today,
        sent_on__isnull=True,
    ).order_by("pk")


@dataclass(frozen=True)
class HoldFacts:
    """What the hold signals tell, beyond the patron: for the words of a hold notice."""

    title: str
    pickup_branch: str
    ready_until: datetime.date | None = None


def notice_for_hold(
    *, kind: Kind, patron_id: int, hold_id: int | None = None, today: datetime.date | None = None
) -> Notice | None:
    """Make a hold-ready or hold-expired notice for a patron; None if there is nothing to make.

    A hold-ready notice keeps the hold and its item until it is sent, so that
    it is not sent for a hold already collected or cancelled, and so that
    check-in can cut the item (CONF-9).
    """
    patron = Patron.objects.filter(pk=patron_id).only("email").first()
    if patron is None:
        return None
    hold = Hold.objects.filter(pk=hold_id).only("item_id").first() if hold_id else None
    if kind == Kind.HOLD_READY and hold is None:
        return None
    if hold is not None and Notice.objects.filter(hold=hold, sent_on__isnull=True).exists():
        return None  # announced already and not sent yet: one notice a hold
    notice = Notice(
        patron_id=patron_id,
        kind=kind,
        channel=Channel.EMAIL if patron.email else Channel.LETTER,
        created_on=today or timezone.localdate(),
        hold=hold,
        item_id=hold.item_id if hold else None,
    )
    notice.full_clean()
    notice.save()
    return notice


def _template(kind: str, channel: str) -> NoticeTemplate:
    """Return the library's template of a notice, or the default words if it has none."""
    template = NoticeTemplate.objects.filter(kind=kind, channel=channel).first()
    if template is None:
        subject, body = default_words(kind, channel)
        template = NoticeTemplate(kind=kind, channel=channel, subject=subject, body=body)
    return template


@dataclass(frozen=True)
class Preloaded:
    """What rendering many notices needs, read in two queries instead of some per notice."""

    # patron id -> (due day, title) of each open loan
    loans: dict[int, list[tuple[datetime.date, str]]]
    holds: dict[int, Hold]


def preload(notices: list[Notice]) -> Preloaded:
    """Read the open loans and the holds a list of notices is about, in one query each."""
    patron_ids = {notice.patron_id for notice in notices if notice.kind in LOAN_KINDS}
    loans: dict[int, list[tuple[datetime.date, str]]] = {}
    rows = (
        Loan.objects.filter(patron_id__in=patron_ids, returned_at__isnull=True)
        .order_by("due_at", "pk")
        .values_list("patron_id", "due_at", "item__record__title")
    )
    for patron_id, due_at, title in rows:
        loans.setdefault(patron_id, []).append((timezone.localdate(due_at), title))
    hold_ids = [notice.hold_id for notice in notices if notice.hold_id is not None]
    holds = Hold.objects.select_related("pickup_branch", "record").in_bulk(hold_ids)
    return Preloaded(loans=loans, holds=holds)


def _loan_titles(notice: Notice, due_day: datetime.date, preloaded: Preloaded | None) -> list[str]:
    if preloaded is not None:
        return [title for day, title in preloaded.loans.get(notice.patron_id, []) if day == due_day]
    return list(
        loans_due_on(due_day)
        .filter(patron_id=notice.patron_id)
        .order_by("due_at", "pk")
        .values_list("item__record__title", flat=True)
    )


def _items(
    notice: Notice, facts: HoldFacts | None, preloaded: Preloaded | None = None
) -> tuple[list[str], int, dict[str, Any]]:
    """Return the titles, how many items, and the kind's own variables; count 0 when moot."""
    if notice.kind in LOAN_KINDS:
        due_day = due_day_of(kind=notice.kind, created_on=notice.created_on)
        titles = _loan_titles(notice, due_day, preloaded)
        extra: dict[str, Any] = {"due_date": due_day}
        if notice.kind in OVERDUE_KINDS:
            extra["days_overdue"] = (notice.created_on - due_day).days
        return titles, len(titles), extra
    if notice.kind == Kind.HOLD_READY:
        if notice.hold_id is None:  # collected or cancelled before the notice went
            return [], 0, {}
        holds = Hold.objects.select_related("pickup_branch", "record")
        if preloaded is not None:
            found = preloaded.holds.get(notice.hold_id)
        else:
            found = holds.filter(pk=notice.hold_id).first()
        if found is None:  # gone since the notice was read
            return [], 0, {}
        hold = found
        return (
            [hold.record.title],
            1,
            {"pickup_branch": hold.pickup_branch.name, "ready_until": hold.ready_until},
        )
    if notice.kind == Kind.HOLD_EXPIRED:
        titles = [facts.title] if facts and facts.title else []
        return titles, 1, {"pickup_branch": facts.pickup_branch if facts else ""}
    return [], 1, {"card_expires_on": notice.patron.card_expires_on}


def notice_render(
    *,
    notice: Notice,
    today: datetime.date,
    facts: HoldFacts | None = None,
    preloaded: Preloaded | None = None,
    templates: dict[tuple[str, str], NoticeTemplate] | None = None,
) -> Rendered | None:
    """Render a notice's subject and body now; None when there is nothing left to tell.

    Titles are given to the template only for an email to a patron who chose
    to have items named (CONF-9); a letter never gets them.
    """
    titles, count, extra = _items(notice, facts, preloaded)
    if count == 0:
        return None
    patron = notice.patron
    named = notice.channel == Channel.EMAIL and patron.notices_name_items
    template = (templates or {}).get((notice.kind, notice.channel)) or _template(
        notice.kind, notice.channel
    )
    context = {
        "first_name": patron.first_name,
        "name": patron.full_name,
        "today": today,
        "items": titles if named else [],
        "count": count,
        **extra,
    }
    return render_or_default(
        kind=notice.kind,
        channel=notice.channel,
        subject=template.subject,
        body=template.body,
        context=context,
    )


def letters_render(*, letters: list[Notice], today: datetime.date) -> list[tuple[Notice, Rendered]]:
    """Render letters for printing, in a fixed number of queries; drop those with nothing to tell.

    A letter never names an item (CONF-9): notice_render gives it no titles.
    """
    preloaded = preload(letters)
    templates = {
        (template.kind, template.channel): template
        for template in NoticeTemplate.objects.filter(channel=Channel.LETTER)
    }
    pages = []
    for letter in letters:
        rendered = notice_render(
            notice=letter, today=today, preloaded=preloaded, templates=templates
        )
        if rendered is not None:
            pages.append((letter, rendered))
    return pages


class Unsent(Exception):
    """The mail server did not take the message; the notice stays unsent."""


class Outcome(enum.Enum):
    SENT = "sent"
    # Already sent, not an email, or nothing left to tell (dropped).
    DONE = "done"
    # Locked by another transaction: another worker is sending it, or a killed
    # worker's connection is still being closed. Try again a little later.
    BUSY = "busy"


def notice_send(
    *, notice_id: int, facts: HoldFacts | None = None, today: datetime.date | None = None
) -> Outcome:
    """Email one notice at most once; say whether this call sent it, or found it busy.

    The row is locked (skipping a row another worker holds), re-read, and
    marked sent in the same transaction as the send, so a worker that dies
    before the commit leaves it unsent for the next one, and one that
    committed is never sent again. Raises Unsent (rolled back) when the mail
    server refuses. A notice with nothing left to tell (all its loans
    returned, its hold collected) is dropped.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patron")
            .filter(pk=notice_id, channel=Channel.EMAIL, sent_on__isnull=True)
            .first()
        )
        if notice is None:  # sent, not an email, or locked by another transaction
            waiting = Notice.objects.filter(
                pk=notice_id, channel=Channel.EMAIL, sent_on__isnull=True
            )
            return Outcome.BUSY if waiting.exists() else Outcome.DONE
        rendered = notice_render(notice=notice, today=today, facts=facts)
        if rendered is None or not notice.patron.email:
            notice.delete()
            return Outcome.DONE
        message = EmailMessage(
            subject=rendered.subject,
            body=rendered.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notice.patron.email],
        )
        try:
            message.send()
        except OSError as error:  # smtplib's errors are OSErrors, as is a refused connection
            raise Unsent(type(error).__name__) from None
        _mark_sent(Notice.objects.filter(pk=notice.pk), today)
    return Outcome.SENT


def _mark_sent(notices: QuerySet[Notice], today: datetime.date) -> int:
    # Sent: the item and hold it was rendered from are no longer needed (CONF-9).
    return notices.update(sent_on=today, item=None, hold=None)


@transaction.atomic
def letters_mark_sent(*, notice_ids: Iterable[int], today: datetime.date | None = None) -> int:
    """Mark letters printed and posted; return how many. Raise NoticeError for any other notice."""
    ids = set(notice_ids)
    letters = Notice.objects.select_for_update().filter(
        pk__in=ids, channel=Channel.LETTER, sent_on__isnull=True
    )
    if not ids or len(list(letters.values_list("pk", flat=True))) != len(ids):
        raise NoticeError([NOT_LETTERS])
    return _mark_sent(letters, today or timezone.localdate())


@transaction.atomic
def notice_template_update(*, template: NoticeTemplate, subject: str, body: str) -> NoticeTemplate:
    """Save a template's new words; raise NoticeError (nothing saved) if they cannot be used."""
    problems = template_problems(subject, kind=template.kind, part="subject")
    problems += template_problems(body, kind=template.kind, part="body")
    if problems:
        raise NoticeError(problems)
    template.subject = subject
    template.body = body
    template.changed_at = timezone.now()
    template.full_clean()
    template.save(update_fields=["subject", "body", "changed_at"])
    return template


@transaction.atomic
def patron_notices_name_items_set(*, patron: Patron, name_items: bool) -> Patron:
    """Turn on or off the naming of items in the patron's emailed notices (CONF-9)."""
    patron.notices_name_items = name_items
    patron.save(update_fields=["notices_name_items"])
    return patron
