"""Circulation desk writes: check-out, check-in, renewals, holds and fines (CONF-3, CONF-9).

Every function locks the rows it decides on (`select_for_update`; on SQLite the
IMMEDIATE transaction mode serialises writers instead), so two desks acting on
the same item at once cannot both succeed. Bad input raises CirculationError
with one of the messages below before anything is written.

Forgetting (CONF-9): a returned loan keeps only the day it went out, was due
and came back, and loses its patron in the check-in transaction unless a fine
on it is unpaid; settling the last such fine removes the link then.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, NotSupportedError, connection, transaction
from django.db.models import DateTimeField, DecimalField, Exists, F, Func, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from circulation.models import (
    CirculationDay,
    Fine,
    FinePayment,
    FoundItem,
    Hold,
    Item,
    Loan,
    LoanRule,
    PatronCategory,
    ReadingHistoryEntry,
)
from library.models import Branch
from patrons.models import Patron, PatronBlock
from privacy.inventory import check_in_unlinks

UNKNOWN_BARCODE = "No item has that barcode."
ITEM_WITHDRAWN = "That item has been withdrawn from the collection."
ITEM_ALREADY_OUT = "That item is already checked out; check it in first."
ITEM_NOT_OUT = "That item is not checked out."
PATRON_BLOCKED = "This card is blocked: no check-outs, renewals or holds."
CARD_EXPIRED = "This card has expired: renew the card first."
FINES_OVER_LIMIT = "Unpaid fines have reached the limit: take a payment first."
RENEWAL_LIMIT = "This loan has been renewed as many times as its item type allows."
ITEM_HELD_FOR_ANOTHER = "Another patron has a hold on that item."
NO_LOAN_RULE = "There is no loan rule for this type of item."
LOAN_NOT_FOUND = "That loan is not on this card."
HOLD_ALREADY_PLACED = "This card already has a hold on that item."
HOLD_ON_OWN_LOAN = "That item is checked out to this card already."
HOLD_NOT_FOUND = "That hold is not on this card."
FINE_NOT_FOUND = "That fine is not on this card."
FINE_ALREADY_SETTLED = "That fine has already been paid or waived."
ITEM_LOST = "That item is marked lost; check it in and clear it before it goes out again."
PAYMENT_NOT_POSITIVE = "Enter an amount of at least $0.01."
PAYMENT_OVER_BALANCE = "${amount} is more than the ${balance} still owed on this fine."
WAIVE_REASON_NEEDED = "Choose why the fine is waived."
CHARGE_REASONS = "Only a lost or a damaged item is charged this way."
NO_REPLACEMENT_COST = "This item has no replacement cost on file: enter the amount to charge."
CHARGE_NOT_POSITIVE = "Enter an amount of at least $0.01 to charge."


class CirculationError(ValidationError):
    """Bad input at the desk; nothing was changed. `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str = "barcode") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CheckinResult:
    item: Item
    fine: Fine | None  # charged now for lateness
    hold: Hold | None  # the hold this return made ready for pickup


def day_start(moment: datetime.datetime) -> datetime.datetime:
    """Return the library's local midnight of the day `moment` falls on."""
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def due_at_for(start: datetime.datetime, days: int) -> datetime.datetime:
    """Return the end of the library day `days` days after `start`."""
    day = timezone.localdate(start) + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def fine_limit() -> Decimal:
    return Decimal(settings.CIRCULATION_FINE_LIMIT_CENTS) / 100


ZERO = Decimal("0.00")


def paid_toward() -> Coalesce:
    """Return an expression for what has been paid toward a fine so far (for annotate)."""
    paid = (
        FinePayment.objects.filter(fine=OuterRef("pk"))
        .order_by()
        .values("fine")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(paid, ZERO, output_field=DecimalField(max_digits=10, decimal_places=2))


def fines_owed(patron: Patron) -> Decimal:
    """Return what the patron still owes: unpaid, unwaived fines less the payments toward them."""
    fines = Fine.objects.filter(patron=patron, paid_at__isnull=True, waived_at__isnull=True)
    total = fines.aggregate(total=Sum("amount"))["total"] or ZERO
    paid = (
        FinePayment.objects.filter(fine__in=fines).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    return total - paid


def fine_balance(fine: Fine) -> Decimal:
    """Return what is still owed on a fine: its amount less the payments toward it."""
    paid = fine.payments.aggregate(total=Sum("amount"))["total"] or ZERO
    return fine.amount - paid


def patron_category(patron: Patron, day: datetime.date) -> str:
    return PatronCategory.MINOR if patron.is_minor_on(day) else PatronCategory.ADULT


def _check_card(patron: Patron, today: datetime.date) -> None:
    # A block in force stops the card whatever its status says (patrons.services.patron_block).
    if (
        patron.status == Patron.Status.BLOCKED
        or PatronBlock.objects.filter(patron=patron).active().exists()
    ):
        raise CirculationError(PATRON_BLOCKED)
    if patron.status == Patron.Status.EXPIRED or patron.card_expires_on < today:
        raise CirculationError(CARD_EXPIRED)


def _locked_item(barcode: str) -> Item:
    item = Item.objects.select_for_update().filter(barcode=barcode.strip()).first()
    if item is None:
        raise CirculationError(UNKNOWN_BARCODE)
    return item


def _rule(item: Item) -> LoanRule:
    rule = LoanRule.objects.filter(item_type=item.item_type).first()
    if rule is None:
        raise CirculationError(NO_LOAN_RULE)
    return rule


def _count(*, day: datetime.date, branch: Branch, item: Item, patron: Patron, field: str) -> None:
    """Add one to an anonymous daily count: no patron, no item (CONF-9)."""
    row, _ = CirculationDay.objects.get_or_create(
        day=day,
        branch=branch,
        item_type=item.item_type,
        patron_category=patron_category(patron, day),
    )
    CirculationDay.objects.filter(pk=row.pk).update(**{field: F(field) + 1})


def _front_of_queue(item: Item) -> Hold | None:
    """Return the hold the item goes to next: a ready one, else the oldest waiting one."""
    return (
        Hold.objects.filter(item=item)
        .order_by(F("ready_until").asc(nulls_last=True), "placed_at", "pk")
        .first()
    )


def _promote_next_hold(item: Item, today: datetime.date) -> Hold | None:
    """Put the oldest waiting hold on the hold shelf when the item is free and none is ready."""
    if Hold.objects.filter(item=item, status=Hold.Status.READY).exists():
        return None
    if Loan.objects.filter(item=item, returned_at__isnull=True).exists():
        return None
    hold = Hold.objects.filter(item=item).order_by("placed_at", "pk").first()
    if hold is None:
        return None
    hold.status = Hold.Status.READY
    hold.ready_until = today + datetime.timedelta(days=settings.CIRCULATION_HOLD_PICKUP_DAYS)
    hold.full_clean()
    hold.save(update_fields=["status", "ready_until"])
    return hold


def _cut_item_links(*, patron: Patron, item: Item) -> None:
    """Cut, in every table the inventory names, the rows that tie this patron to this item (CONF-9).

    The loan forgets its patron itself (loan_forget); a found library item
    registered with the borrower's card, say, forgets the item.
    """
    for model, holding in check_in_unlinks():
        assert holding.patron and holding.item and holding.unlink_on_check_in
        model._default_manager.filter(**{holding.patron: patron, holding.item: item}).update(
            **{holding.unlink_on_check_in: None}
        )


def loan_forget(*, loan: Loan) -> None:
    """Cut a returned loan's link to its patron and keep only its days (CONF-9)."""
    loan.patron = None
    loan.checked_out_at = day_start(loan.checked_out_at)
    loan.due_at = max(day_start(loan.due_at), loan.checked_out_at + datetime.timedelta(days=1))
    if loan.returned_at is not None:
        loan.returned_at = day_start(loan.returned_at)
    loan.full_clean()
    loan.save(update_fields=["patron", "checked_out_at", "due_at", "returned_at"])


class LocalMidnight(Func):
    """The library's local midnight of a timestamp's day, still a timestamp with time zone.

    Django's TruncDay(tzinfo=...) stores UTC midnight of the local date when
    used in an UPDATE, which is off by the zone's offset; this is what
    `day_start` computes, in SQL (PostgreSQL only).
    """

    output_field = DateTimeField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        raise NotSupportedError("LocalMidnight is written for PostgreSQL.")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        zone = timezone.get_current_timezone_name()
        return f"(DATE_TRUNC('day', {sql} AT TIME ZONE %s) AT TIME ZONE %s)", [*params, zone, zone]


def loans_still_linked() -> QuerySet[Loan]:
    """Return returned loans that still name their patron though no unpaid fine needs it."""
    unpaid = Fine.objects.filter(loan=OuterRef("pk"), paid_at__isnull=True, waived_at__isnull=True)
    return Loan.objects.filter(returned_at__isnull=False, patron__isnull=False).filter(
        ~Exists(unpaid)
    )


def loans_forget_returned(*, batch_size: int = 10_000, actor: Any = None) -> int:
    """Forget the patron of every returned loan that no unpaid fine needs (CONF-9); return how many.

    Check-in forgets each loan as it comes back and paying the last fine forgets
    it then; this set-based sweep is the safety net that `purge_expired` runs,
    so a loan no path forgot (an interrupted run, a fine settled by hand) does
    not keep its patron. One audit summary per batch: how many, never whose.
    """
    from audit import entries
    from audit.models import AuditEntry

    def forget_batch() -> int:
        if connection.vendor == "postgresql":
            # One UPDATE a batch, straight from a limited subquery; the same
            # filter outside it lets both sides use the small partial index
            # instead of scanning every loan.
            linked = loans_still_linked()
            batch = linked.filter(pk__in=linked.order_by().values("pk")[:batch_size])
            return batch.update(
                patron=None,
                checked_out_at=LocalMidnight("checked_out_at"),
                due_at=Greatest(
                    LocalMidnight("due_at"),
                    LocalMidnight("checked_out_at") + datetime.timedelta(days=1),
                ),
                returned_at=LocalMidnight("returned_at"),
            )
        loans = list(loans_still_linked()[:batch_size])
        for loan in loans:
            loan_forget(loan=loan)
        return len(loans)

    return entries.summarised_batches(
        forget_batch,
        batch_size=batch_size,
        model=Loan,
        action=AuditEntry.Action.UPDATE,
        reason="returned loans forgotten",
        clause="CONF-9",
        actor=actor,
    )


@transaction.atomic
def loan_checkout(
    *, patron: Patron, barcode: str, branch: Branch, now: datetime.datetime | None = None
) -> Loan:
    """Lend an item to a patron until the end of the day its loan rule gives; collect their hold."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    patron.refresh_from_db(fields=["status", "card_expires_on"])
    _check_card(patron, today)
    if fines_owed(patron) >= fine_limit():
        raise CirculationError(FINES_OVER_LIMIT)
    item = _locked_item(barcode)
    if item.withdrawn:
        raise CirculationError(ITEM_WITHDRAWN)
    if item.lost_at is not None:
        raise CirculationError(ITEM_LOST)
    if Loan.objects.filter(item=item, returned_at__isnull=True).exists():
        raise CirculationError(ITEM_ALREADY_OUT)
    front = _front_of_queue(item)
    if front is not None and front.patron_id != patron.pk:
        raise CirculationError(ITEM_HELD_FOR_ANOTHER)
    rule = _rule(item)
    loan = Loan(
        item=item,
        patron=patron,
        branch=branch,
        checked_out_at=now,
        due_at=due_at_for(now, rule.loan_days),
    )
    loan.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError:  # the row lock makes this unreachable; the constraint is the backstop
        raise CirculationError(ITEM_ALREADY_OUT) from None
    if front is not None:
        # A collected hold is deleted: kept, it would tie the patron to the item.
        front.delete()
    _count(day=today, branch=branch, item=item, patron=patron, field="checkouts")
    return loan


def fine_assess(*, loan: Loan, patron: Patron, returned_at: datetime.datetime) -> Fine | None:
    """Charge the loan rule's fine for each day past due, up to its cap; None if on time."""
    days_late = (timezone.localdate(returned_at) - timezone.localdate(loan.due_at)).days
    if days_late <= 0:
        return None
    rule = _rule(loan.item)
    amount = min(rule.fine_per_day * days_late, rule.max_fine)
    if amount <= 0:
        return None
    fine = Fine(
        patron=patron,
        loan=loan,
        reason=Fine.Reason.OVERDUE,
        amount=amount.quantize(Decimal("0.01")),
        created_at=returned_at,
    )
    fine.full_clean()
    fine.save()
    return fine


@transaction.atomic
def loan_checkin(
    *, barcode: str, branch: Branch, now: datetime.datetime | None = None
) -> CheckinResult:
    """Take an item back: fine lateness, remember it for an opted-in patron, forget the patron."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    item = _locked_item(barcode)
    loan = Loan.objects.select_for_update().filter(item=item, returned_at__isnull=True).first()
    if loan is None:
        raise CirculationError(ITEM_NOT_OUT)
    # Locked so an opt-out cannot slip between reading the choice and acting on it.
    assert loan.patron_id is not None  # an open loan has a patron (loan_open_has_patron)
    patron = Patron.objects.select_for_update().get(pk=loan.patron_id)
    # Saved once, below, already cut to the day: the exact time is never written.
    loan.returned_at = now
    fine = fine_assess(loan=loan, patron=patron, returned_at=now)
    if patron.keeps_reading_history:
        entry = ReadingHistoryEntry(
            patron=patron,
            item=item,
            title=item.title,
            author=item.author,
            checked_out_on=timezone.localdate(loan.checked_out_at),
            returned_on=today,
        )
        entry.full_clean()
        entry.save()
    _count(day=today, branch=branch, item=item, patron=patron, field="returns")
    _cut_item_links(patron=patron, item=item)
    if (
        fine is None
        and not loan.fines.filter(paid_at__isnull=True, waived_at__isnull=True).exists()
    ):
        loan_forget(loan=loan)
    else:
        # Kept for the unpaid fine; its times are still cut to the day.
        loan.checked_out_at = day_start(loan.checked_out_at)
        loan.returned_at = day_start(now)
        loan.due_at = max(day_start(loan.due_at), loan.checked_out_at + datetime.timedelta(days=1))
        loan.save(update_fields=["checked_out_at", "due_at", "returned_at"])
    hold = _promote_next_hold(item, today)
    return CheckinResult(item=item, fine=fine, hold=hold)


@transaction.atomic
def loan_renew(*, patron: Patron, loan_id: int, now: datetime.datetime | None = None) -> Loan:
    """Extend a patron's loan by its rule's loan period, unless renewed out or held by another."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    loan = (
        Loan.objects.select_for_update()
        .filter(pk=loan_id, patron=patron, returned_at__isnull=True)
        .first()
    )
    if loan is None:
        raise CirculationError(LOAN_NOT_FOUND)
    item = Item.objects.select_for_update().get(pk=loan.item_id)
    patron.refresh_from_db(fields=["status", "card_expires_on"])
    _check_card(patron, today)
    rule = _rule(item)
    if loan.renewals >= rule.renewal_limit:
        raise CirculationError(RENEWAL_LIMIT)
    if Hold.objects.filter(item=item).exclude(patron=patron).exists():
        raise CirculationError(ITEM_HELD_FOR_ANOTHER)
    loan.due_at = max(loan.due_at, due_at_for(now, rule.loan_days))
    loan.renewals += 1
    loan.full_clean(validate_constraints=False)
    loan.save(update_fields=["due_at", "renewals"])
    _count(day=today, branch=loan.branch, item=item, patron=patron, field="renewals")
    return loan


@transaction.atomic
def hold_place(
    *,
    patron: Patron,
    barcode: str,
    pickup_branch: Branch,
    now: datetime.datetime | None = None,
) -> Hold:
    """Queue a patron for an item; ready at once when it is on the shelf and nobody is ahead."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    patron.refresh_from_db(fields=["status", "card_expires_on"])
    _check_card(patron, today)
    item = _locked_item(barcode)
    if item.withdrawn:
        raise CirculationError(ITEM_WITHDRAWN)
    if Hold.objects.filter(item=item, patron=patron).exists():
        raise CirculationError(HOLD_ALREADY_PLACED)
    open_loan = Loan.objects.filter(item=item, returned_at__isnull=True).first()
    if open_loan is not None and open_loan.patron_id == patron.pk:
        raise CirculationError(HOLD_ON_OWN_LOAN)
    hold = Hold(item=item, patron=patron, pickup_branch=pickup_branch, placed_at=now)
    hold.full_clean()
    hold.save()
    _promote_next_hold(item, today)
    hold.refresh_from_db(fields=["status", "ready_until"])
    return hold


@transaction.atomic
def hold_cancel(*, patron: Patron, hold_id: int, now: datetime.datetime | None = None) -> None:
    """Delete a patron's hold (nothing of it is kept); the next in the queue moves up."""
    now = now or timezone.now()
    hold = Hold.objects.select_for_update().filter(pk=hold_id, patron=patron).first()
    if hold is None:
        raise CirculationError(HOLD_NOT_FOUND, field="hold")
    item = Item.objects.select_for_update().get(pk=hold.item_id)
    hold.delete()
    _promote_next_hold(item, timezone.localdate(now))


def _locked_fine(*, patron: Patron, fine_id: int) -> Fine:
    fine = Fine.objects.select_for_update().filter(pk=fine_id, patron=patron).first()
    if fine is None:
        raise CirculationError(FINE_NOT_FOUND, field="fine")
    if not fine.is_outstanding:
        raise CirculationError(FINE_ALREADY_SETTLED, field="fine")
    return fine


def _fine_settle(*, fine: Fine, field: str, now: datetime.datetime) -> Fine:
    """Mark a locked, outstanding fine paid or waived and cut its links (CONF-9)."""
    loan_id = fine.loan_id
    setattr(fine, field, now)
    # A settled fine keeps neither the item nor the patron: who paid how much,
    # on which day, joined to the anonymised loans returned that day, would
    # name the borrower (CONF-9).
    fine.loan = None
    fine.patron = None
    fine.full_clean()
    fine.save(update_fields=[field, "loan", "patron", "waive_reason"])
    if loan_id is not None:
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        unpaid = loan.fines.filter(paid_at__isnull=True, waived_at__isnull=True).exists()
        if loan.returned_at is not None and loan.patron_id is not None and not unpaid:
            loan_forget(loan=loan)
    return fine


@transaction.atomic
def fine_pay(
    *,
    patron: Patron,
    fine_id: int,
    amount: Decimal | None = None,
    method: str = FinePayment.Method.CASH,
    received_by: Any = None,
    branch: Branch | None = None,
    now: datetime.datetime | None = None,
) -> FinePayment:
    """Take a payment toward a fine (all that is owed if no amount); paid in full, it is settled.

    The fine's row lock serialises payments, so two desks taking money for the
    same fine at once cannot together take more than is owed.
    """
    now = now or timezone.now()
    fine = _locked_fine(patron=patron, fine_id=fine_id)
    balance = fine_balance(fine)
    amount = balance if amount is None else amount
    if amount <= 0:
        raise CirculationError(PAYMENT_NOT_POSITIVE, field="amount")
    if amount > balance:
        raise CirculationError(
            PAYMENT_OVER_BALANCE.format(amount=amount, balance=balance), field="amount"
        )
    if branch is None:
        branch = patron.home_branch
    payment = FinePayment(
        fine=fine,
        amount=amount,
        method=method,
        received_by=received_by,
        received_at=now,
        branch=branch,
    )
    payment.full_clean()
    payment.save()
    if amount == balance:
        _fine_settle(fine=fine, field="paid_at", now=now)
    return payment


@transaction.atomic
def fine_waive(
    *, patron: Patron, fine_id: int, reason: str, now: datetime.datetime | None = None
) -> Fine:
    """Waive what is still owed on a fine, for one of the listed reasons; it is then settled."""
    if reason not in Fine.WaiveReason.values:
        raise CirculationError(WAIVE_REASON_NEEDED, field="reason")
    fine = _locked_fine(patron=patron, fine_id=fine_id)
    fine.waive_reason = reason
    return _fine_settle(fine=fine, field="waived_at", now=now or timezone.now())


@transaction.atomic
def fine_charge(
    *,
    patron: Patron,
    loan_id: int,
    reason: str,
    amount: Decimal | None = None,
    now: datetime.datetime | None = None,
) -> Fine:
    """Charge for a patron's lost or damaged item: the entered amount, else its replacement cost.

    A lost item's loan ends (it is not a return: not counted, not remembered)
    and the item is marked lost; the unpaid fine keeps the loan's link to the
    patron until it is settled (CONF-9). A damaged item's loan stays open.
    """
    now = now or timezone.now()
    if reason not in (Fine.Reason.LOST, Fine.Reason.DAMAGED):
        raise CirculationError(CHARGE_REASONS, field="reason")
    loan = (
        Loan.objects.select_for_update()
        .filter(pk=loan_id, patron=patron, returned_at__isnull=True)
        .first()
    )
    if loan is None:
        raise CirculationError(LOAN_NOT_FOUND, field="loan")
    item = Item.objects.select_for_update().get(pk=loan.item_id)
    if amount is None:
        amount = item.replacement_cost
        if amount is None:
            raise CirculationError(NO_REPLACEMENT_COST, field="amount")
    if amount <= 0:
        raise CirculationError(CHARGE_NOT_POSITIVE, field="amount")
    fine = Fine(patron=patron, loan=loan, reason=reason, amount=amount, created_at=now)
    fine.full_clean()
    fine.save()
    if reason == Fine.Reason.LOST:
        item.lost_at = now
        item.save(update_fields=["lost_at"])
        # Ended, with its times cut to the day like any returned loan; kept
        # tied to the patron only for the unpaid fine.
        loan.checked_out_at = day_start(loan.checked_out_at)
        loan.returned_at = day_start(now)
        loan.due_at = max(day_start(loan.due_at), loan.checked_out_at + datetime.timedelta(days=1))
        loan.full_clean(validate_constraints=False)
        loan.save(update_fields=["checked_out_at", "due_at", "returned_at"])
    return fine


@dataclass(frozen=True)
class RenewalOutcome:
    title: str
    loan: Loan | None  # renewed
    refusal: str = ""  # why not, when not renewed


@transaction.atomic
def loans_renew_all(
    *, patron: Patron, now: datetime.datetime | None = None
) -> list[RenewalOutcome]:
    """Renew each of a patron's open loans that may be renewed; say for each why not otherwise."""
    now = now or timezone.now()
    loans = list(
        Loan.objects.filter(patron=patron, returned_at__isnull=True)
        .select_related("item")
        .order_by("due_at", "pk")
    )
    outcomes = []
    for loan in loans:
        try:
            with transaction.atomic():  # a refusal rolls back only its own loan
                renewed = loan_renew(patron=patron, loan_id=loan.pk, now=now)
        except CirculationError as error:
            refusal = str(error.message)
            outcomes.append(RenewalOutcome(title=loan.item.title, loan=None, refusal=refusal))
        else:
            outcomes.append(RenewalOutcome(title=loan.item.title, loan=renewed))
    return outcomes


@transaction.atomic
def loan_checkin_for(
    *, patron: Patron, loan_id: int, branch: Branch, now: datetime.datetime | None = None
) -> CheckinResult:
    """Check in one of this patron's loans from their page, as a scan of its item would."""
    loan = (
        Loan.objects.select_for_update()
        .filter(pk=loan_id, patron=patron, returned_at__isnull=True)
        .select_related("item")
        .first()
    )
    if loan is None:
        raise CirculationError(LOAN_NOT_FOUND)
    return loan_checkin(barcode=loan.item.barcode, branch=branch, now=now)


# Found items (CONF-8): the library contacts the owner itself; the finder's
# record holds a link to the owner, never their contact details.

OWNER_HAS_NO_EMAIL = "This patron has no email address on file: choose a letter or a call."
FOUND_ITEM_NOT_MATCHED = "Match the item to its owner first."
FOUND_ITEM_CLOSED = "This found item has already been returned."
FOUND_EMAIL_SUBJECT = "Something of yours may be at the library"
FOUND_EMAIL_BODY = (
    "Hello {first_name},\n\n"
    "Staff at {branch} found {kind} that may be yours ({description}).\n"
    "Please ask at the desk there and bring identification.\n\n"
    "Your library"
)


@transaction.atomic
def found_item_register(
    *,
    kind: str,
    description: str,
    branch: Branch,
    registered_by: Any,
    barcode: str = "",
    finder_name: str = "",
    finder_contact: str = "",
    now: datetime.datetime | None = None,
) -> FoundItem:
    """Record something found; a library item is named by its barcode."""
    item = None
    if kind == FoundItem.Kind.LIBRARY_ITEM:
        item = Item.objects.filter(barcode=barcode.strip()).first()
        if item is None:
            raise CirculationError(UNKNOWN_BARCODE)
    found = FoundItem(
        kind=kind,
        description=description,
        branch=branch,
        registered_by=registered_by,
        item=item,
        finder_name=finder_name,
        finder_contact=finder_contact,
        found_at=now or timezone.now(),
    )
    found.full_clean()
    found.save()
    return found


@transaction.atomic
def found_item_match(
    *, found_item: FoundItem, owner: Patron, now: datetime.datetime | None = None
) -> FoundItem:
    """Link a found item to the patron staff found through the gate (purpose found_item)."""
    found = FoundItem.objects.select_for_update().get(pk=found_item.pk)
    if found.status == FoundItem.Status.RETURNED:
        raise CirculationError(FOUND_ITEM_CLOSED, field="owner")
    found.owner = owner
    found.matched_at = now or timezone.now()
    found.full_clean()
    found.save(update_fields=["owner", "matched_at"])
    return found


@transaction.atomic
def found_item_contact(
    *, found_item: FoundItem, channel: str, now: datetime.datetime | None = None
) -> FoundItem:
    """Email the owner now, or leave staff a letter or phone task; the finder is never told."""
    now = now or timezone.now()
    found = (
        FoundItem.objects.select_for_update(of=("self",))
        .select_related("owner", "branch")
        .get(pk=found_item.pk)
    )
    if found.status == FoundItem.Status.RETURNED:
        raise CirculationError(FOUND_ITEM_CLOSED, field="channel")
    owner = found.owner
    if owner is None:
        raise CirculationError(FOUND_ITEM_NOT_MATCHED, field="channel")
    found.contact_channel = channel
    if channel == FoundItem.Channel.EMAIL:
        if not owner.email:
            raise CirculationError(OWNER_HAS_NO_EMAIL, field="channel")
        body = FOUND_EMAIL_BODY.format(
            first_name=owner.first_name,
            branch=found.branch.name,
            kind=found.get_kind_display().lower(),
            description=found.description,
        )
        send_mail(FOUND_EMAIL_SUBJECT, body, None, [owner.email])
        found.contacted_at = now
        found.status = FoundItem.Status.CONTACTED
    else:
        found.contacted_at = None  # a task for staff until they mark it done
    found.full_clean()
    found.save(update_fields=["contact_channel", "contacted_at", "status"])
    return found


@transaction.atomic
def found_item_contact_done(
    *, found_item: FoundItem, now: datetime.datetime | None = None
) -> FoundItem:
    """Mark a letter sent or a call made."""
    found = FoundItem.objects.select_for_update().get(pk=found_item.pk)
    if not found.contact_channel:
        raise CirculationError(FOUND_ITEM_NOT_MATCHED, field="channel")
    found.contacted_at = now or timezone.now()
    found.status = FoundItem.Status.CONTACTED
    found.full_clean()
    found.save(update_fields=["contacted_at", "status"])
    return found


@transaction.atomic
def found_item_return(*, found_item: FoundItem, now: datetime.datetime | None = None) -> FoundItem:
    """Close a found item as back with its owner and drop the link to them (no longer needed)."""
    now = now or timezone.now()
    found = FoundItem.objects.select_for_update().get(pk=found_item.pk)
    if found.status == FoundItem.Status.RETURNED:
        raise CirculationError(FOUND_ITEM_CLOSED, field="owner")
    if found.item_id is not None:
        item = Item.objects.get(pk=found.item_id)
        if Loan.objects.filter(item=item, returned_at__isnull=True).exists():
            loan_checkin(barcode=item.barcode, branch=found.branch, now=now)
    found.status = FoundItem.Status.RETURNED
    found.returned_at = now
    found.owner = None
    found.full_clean()
    found.save(update_fields=["status", "returned_at", "owner"])
    return found


def holds_promote_waiting(*, now: datetime.datetime | None = None) -> int:
    """Ready the next waiting hold on every free item that has none ready; return how many."""
    today = timezone.localdate(now or timezone.now())
    items = (
        Item.objects.filter(pk__in=Hold.objects.values("item_id"))
        .exclude(pk__in=Hold.objects.filter(status=Hold.Status.READY).values("item_id"))
        .exclude(pk__in=Loan.objects.filter(returned_at__isnull=True).values("item_id"))
    )
    promoted = 0
    for item in items.iterator():
        with transaction.atomic():
            locked = Item.objects.select_for_update().get(pk=item.pk)
            promoted += _promote_next_hold(locked, today) is not None
    return promoted
