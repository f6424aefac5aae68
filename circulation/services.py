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
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, NotSupportedError, connection, models, transaction
from django.db.models import (
    DateTimeField,
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from circulation import signals
from circulation.models import (
    BibliographicRecord,
    CirculationDay,
    Fine,
    FinePayment,
    FoundItem,
    Hold,
    Item,
    ItemType,
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
ITEM_NOT_OUT = "That item is not checked out, and no hold needs it: put it back on the shelf."
PATRON_BLOCKED = "This card is blocked: no check-outs, renewals or holds."
CARD_EXPIRED = "This card has expired: renew the card first."
FINES_OVER_LIMIT = "Unpaid fines have reached the limit: take a payment first."
RENEWAL_LIMIT = "This loan has been renewed as many times as its item type allows."
ITEM_HELD_FOR_ANOTHER = "Another patron has a hold on that item."
NO_LOAN_RULE = "There is no loan rule for this type of item."
LOAN_NOT_FOUND = "That loan is not on this card."
HOLD_ALREADY_PLACED = "This card already has a hold on that title."
HOLD_ON_OWN_LOAN = "A copy of that title is checked out to this card already."
HOLD_NOT_FOUND = "That hold is not on this card."
FINE_NOT_FOUND = "That fine is not on this card."
FINE_ALREADY_SETTLED = "That fine has already been paid or waived."
ITEM_LOST = "That item is marked lost; check it in to put it back in circulation."
ITEM_DAMAGED = "That item is marked damaged and cannot go out or fill a hold."
ITEM_IN_TRANSIT = "That item is in transit; check it in first."
ITEM_ON_HOLD_SHELF = "That item is on the hold shelf for another patron."
NO_LENDABLE_COPY = "No copy of that title can be lent, so it cannot be held."
COPY_NOT_OF_TITLE = "That copy is not one of this title's."
PAYMENT_NOT_POSITIVE = "Enter an amount of at least $0.01."
PAYMENT_OVER_BALANCE = "${amount} is more than the ${balance} still owed on this fine."
WAIVE_REASON_NEEDED = "Choose why the fine is waived."
CHARGE_REASONS = "Only a lost or a damaged item is charged this way."
NO_REPLACEMENT_COST = "This item has no replacement cost on file: enter the amount to charge."
CHARGE_NOT_POSITIVE = "Enter an amount of at least $0.01 to charge."
LOAN_RULE_EXISTS = "There is already a rule for {item_type} and {category}: edit that rule instead."
LOAN_DAYS_MAX = 3650  # ten years: more is a typing slip, and due dates must stay in range
LOAN_DAYS_RANGE = f"Loan days must be a whole number from 1 to {LOAN_DAYS_MAX}."
MONEY_NOT_NEGATIVE = "Enter an amount of $0.00 or more."


class CirculationError(ValidationError):
    """Bad input at the desk; nothing was changed. `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str = "barcode") -> None:
        super().__init__(message)
        self.field = field


class Routing(models.TextChoices):
    """What the desk does with an item it has just scanned at check-in."""

    SHELVE = "shelve", "Put it back on the shelf."
    HOLD_SHELF = "hold_shelf", "Put it on the hold shelf."
    TRANSIT = "transit", "Send it to the pickup branch."
    SEND_ON = "send_on", "It is in transit to another branch: send it on."
    ALREADY_ROUTED = "already_routed", "It was already scanned for a hold."


@dataclass(frozen=True)
class CheckinResult:
    item: Item
    fine: Fine | None  # charged now for lateness
    hold: Hold | None  # the hold this scan trapped the item for (in transit or ready)
    routing: str = Routing.SHELVE  # a Routing value


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


def loan_rule_for(*, item_type: str, category: str) -> LoanRule:
    """Return the loan rule for this item type and patron category (PatronCategory value).

    The category's own rule wins; else the item type's rule for every category.
    Raises CirculationError(NO_LOAN_RULE) when neither exists.
    """
    rule = (
        LoanRule.objects.filter(item_type=item_type, patron_category__in=[category, ""])
        .order_by("-patron_category")
        .first()
    )
    if rule is None:
        raise CirculationError(NO_LOAN_RULE)
    return rule


@transaction.atomic
def loan_rule_save(
    *,
    rule: LoanRule | None,
    item_type: str,
    patron_category: str,
    loan_days: int,
    renewal_limit: int,
    fine_per_day: Decimal,
    max_fine: Decimal,
) -> LoanRule:
    """Create a loan rule (`rule` None) or change one; the next check-out uses it.

    Raises CirculationError naming its field: LOAN_RULE_EXISTS when another rule
    has this item type and category, LOAN_DAYS_RANGE, MONEY_NOT_NEGATIVE.
    Saved through the ORM, so django-auditlog records the change (circulation.audit).
    """
    if not 1 <= loan_days <= LOAN_DAYS_MAX:
        raise CirculationError(LOAN_DAYS_RANGE, field="loan_days")
    for name, amount in (("fine_per_day", fine_per_day), ("max_fine", max_fine)):
        if amount < 0:
            raise CirculationError(MONEY_NOT_NEGATIVE, field=name)
    others = LoanRule.objects.select_for_update().filter(
        item_type=item_type, patron_category=patron_category
    )
    if rule is not None:
        others = others.exclude(pk=rule.pk)
    if others.exists():
        raise _rule_exists(item_type, patron_category)
    rule = rule or LoanRule()
    rule.item_type = item_type
    rule.patron_category = patron_category
    rule.loan_days = loan_days
    rule.renewal_limit = renewal_limit
    rule.fine_per_day = fine_per_day
    rule.max_fine = max_fine
    rule.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        # Another editor saved the same type and category at the same moment.
        raise _rule_exists(item_type, patron_category) from None
    return rule


def _rule_exists(item_type: str, patron_category: str) -> CirculationError:
    category = (
        f"{PatronCategory(patron_category).label.lower()} patrons"
        if patron_category
        else "any patron"
    )
    message = LOAN_RULE_EXISTS.format(
        item_type=ItemType(item_type).label.lower(), category=category
    )
    return CirculationError(message, field="patron_category")


def _rule(item: Item, patron: Patron, day: datetime.date) -> LoanRule:
    return loan_rule_for(item_type=item.item_type, category=patron_category(patron, day))


def _count(*, day: datetime.date, branch: Branch, item: Item, patron: Patron, field: str) -> None:
    """Add one to an anonymous daily count: no patron, no item (CONF-9)."""
    row, _ = CirculationDay.objects.get_or_create(
        day=day,
        branch=branch,
        item_type=item.item_type,
        patron_category=patron_category(patron, day),
    )
    CirculationDay.objects.filter(pk=row.pk).update(**{field: F(field) + 1})


def _fillable_by(item: Item) -> QuerySet[Hold]:
    """Return the waiting holds this copy could fill: on its title, or on this very copy."""
    return Hold.objects.filter(record_id=item.record_id, status=Hold.Status.WAITING).filter(
        Q(item_level=False) | Q(item=item)
    )


def _needed_for_others(item: Item, patron: Patron) -> bool:
    """Whether lending this copy to `patron` would leave another patron's waiting hold unfillable.

    Other patrons' waiting holds this copy could fill are counted against the
    title's other copies on a shelf: a copy is needed while the holds outnumber them.
    """
    waiting = _fillable_by(item).exclude(patron=patron).count()
    if not waiting:
        return False
    spare = (
        Item.objects.filter(record_id=item.record_id, status=Item.Status.ON_SHELF)
        .exclude(pk=item.pk)
        .count()
    )
    return waiting > spare


def _lock_title(item: Item) -> None:
    """Lock the item's bibliographic record: every decision about a title's queue takes this lock.

    Two desks scanning two copies of one title at once would otherwise both
    trap the same waiting hold. Lock order everywhere: record, then item, then hold.
    """
    BibliographicRecord.objects.select_for_update().filter(pk=item.record_id).first()


def _hold_shelve(hold: Hold, item: Item, today: datetime.date) -> None:
    """Put a trapped copy on the hold shelf at the pickup branch and tell the patron (on commit)."""
    hold.item = item
    hold.status = Hold.Status.READY
    hold.ready_until = today + datetime.timedelta(days=settings.CIRCULATION_HOLD_PICKUP_DAYS)
    hold.full_clean(validate_constraints=False)
    hold.save(update_fields=["item", "status", "ready_until"])
    _item_move(item, Item.Status.ON_HOLD_SHELF, today, at=hold.pickup_branch)
    announce = {
        "hold_id": hold.pk,
        "patron_id": hold.patron_id,
        "title": hold.record.title,
        "pickup_branch": hold.pickup_branch.name,
        "ready_until": hold.ready_until,
    }
    transaction.on_commit(partial(signals.hold_ready.send, sender=Hold, **announce))


def _item_move(
    item: Item,
    status: str,
    today: datetime.date,
    *,
    at: Branch | None = None,
    to: Branch | None = None,
) -> None:
    """Give a locked item a new status; `at` is where it now is, `to` where it is going."""
    item.status = status
    item.status_since = today
    if at is not None:
        item.current_branch = at
    item.transit_to = to
    item.save(update_fields=["status", "status_since", "current_branch", "transit_to"])


def _route(item: Item, branch: Branch, today: datetime.date) -> tuple[Hold | None, str]:
    """Send a free, locked copy scanned at `branch` to the next hold it can fill, or to the shelf.

    The oldest waiting hold on its title (or on this copy) takes it: onto the
    hold shelf here if it is to be picked up here, else in transit to the
    pickup branch. The caller holds the record lock (_lock_title).
    """
    hold = (
        _fillable_by(item)
        .select_for_update()
        .select_related("record", "pickup_branch")
        .order_by("placed_at", "pk")
        .first()
    )
    if hold is None:
        _item_move(item, Item.Status.ON_SHELF, today, at=branch)
        return None, Routing.SHELVE
    if hold.pickup_branch_id == branch.pk:
        _hold_shelve(hold, item, today)
        return hold, Routing.HOLD_SHELF
    hold.item = item
    hold.status = Hold.Status.IN_TRANSIT
    hold.save(update_fields=["item", "status"])
    _item_move(item, Item.Status.IN_TRANSIT, today, at=branch, to=hold.pickup_branch)
    return hold, Routing.TRANSIT


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
    """Lend a copy to a patron until the end of the day its loan rule gives; collect their hold.

    Refused (CirculationError, nothing written) for a blocked or expired card,
    fines over the limit, an unknown, withdrawn, lost, damaged or in-transit
    copy, one already out, one on the hold shelf for someone else, and an
    on-shelf copy that other patrons' waiting holds need (CONF-3 for the reads).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    patron.refresh_from_db(fields=["status", "card_expires_on"])
    _check_card(patron, today)
    if fines_owed(patron) >= fine_limit():
        raise CirculationError(FINES_OVER_LIMIT)
    item = _scanned_item(barcode)
    refusal = {
        Item.Status.WITHDRAWN: ITEM_WITHDRAWN,
        Item.Status.LOST: ITEM_LOST,
        Item.Status.DAMAGED: ITEM_DAMAGED,
        Item.Status.IN_TRANSIT: ITEM_IN_TRANSIT,
        Item.Status.ON_LOAN: ITEM_ALREADY_OUT,
    }.get(Item.Status(item.status))
    if refusal:
        raise CirculationError(refusal)
    if Loan.objects.filter(item=item, returned_at__isnull=True).exists():
        raise CirculationError(ITEM_ALREADY_OUT)
    own = Hold.objects.select_for_update().filter(record_id=item.record_id, patron=patron).first()
    trapped = _trapped_hold(item) if item.status == Item.Status.ON_HOLD_SHELF else None
    if trapped is not None and trapped.patron_id != patron.pk:
        raise CirculationError(ITEM_ON_HOLD_SHELF)
    if trapped is None and _needed_for_others(item, patron):
        raise CirculationError(ITEM_HELD_FOR_ANOTHER)
    rule = _rule(item, patron, today)
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
    if own is not None:
        # The patron has the title now: their hold is done and deleted (kept, it
        # would tie them to the title). A copy trapped for it elsewhere is left
        # for the desk to clear from the hold shelf or to receive (loan_checkin).
        own.delete()
    _item_move(item, Item.Status.ON_LOAN, today, at=branch)
    _count(day=today, branch=branch, item=item, patron=patron, field="checkouts")
    return loan


def fine_assess(*, loan: Loan, patron: Patron, returned_at: datetime.datetime) -> Fine | None:
    """Charge the loan rule's fine for each day past due, up to its cap; None if on time."""
    days_late = (timezone.localdate(returned_at) - timezone.localdate(loan.due_at)).days
    if days_late <= 0:
        return None
    rule = _rule(loan.item, patron, timezone.localdate(loan.checked_out_at))
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
    """Take a copy back, or receive one, at `branch`, and say where it goes next.

    A copy on loan: fine lateness, remember it for an opted-in patron, forget
    the patron (CONF-9), then route it. A copy in transit to this branch
    arrives; a lost copy that turns up comes back into circulation; a copy on
    a shelf is scanned from the pull list. Each is then routed (see _route)
    to the next hold it can fill or to the shelf. A copy in transit elsewhere
    or already trapped for a hold is left as it is (Routing SEND_ON,
    ALREADY_ROUTED). Raises CirculationError for an unknown barcode, a
    withdrawn or damaged copy, and a copy on a shelf that no hold wants.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    item = _scanned_item(barcode)
    if item.status in (Item.Status.WITHDRAWN, Item.Status.DAMAGED):
        raise CirculationError(
            ITEM_WITHDRAWN if item.status == Item.Status.WITHDRAWN else ITEM_DAMAGED
        )
    if item.status == Item.Status.ON_HOLD_SHELF:
        hold = _trapped_hold(item)
        if hold is not None:
            return CheckinResult(item=item, fine=None, hold=hold, routing=Routing.ALREADY_ROUTED)
        # Its hold was cancelled or expired: taken off the hold shelf, it goes on.
        hold, routing = _route(item, branch, today)
        return CheckinResult(item=item, fine=None, hold=hold, routing=routing)
    if item.status == Item.Status.IN_TRANSIT:
        hold = _trapped_hold(item)
        if item.transit_to_id != branch.pk:
            return CheckinResult(item=item, fine=None, hold=hold, routing=Routing.SEND_ON)
        if hold is not None:
            _hold_shelve(hold, item, today)
            return CheckinResult(item=item, fine=None, hold=hold, routing=Routing.HOLD_SHELF)
        hold, routing = _route(item, branch, today)
        return CheckinResult(item=item, fine=None, hold=hold, routing=routing)
    fine = None
    loan = Loan.objects.select_for_update().filter(item=item, returned_at__isnull=True).first()
    if loan is not None:
        fine = _close_loan(loan=loan, item=item, branch=branch, now=now)
    elif item.status == Item.Status.ON_SHELF and not _fillable_by(item).exists():
        raise CirculationError(ITEM_NOT_OUT)
    hold, routing = _route(item, branch, today)
    return CheckinResult(item=item, fine=fine, hold=hold, routing=routing)


def _scanned_item(barcode: str) -> Item:
    """Return the locked copy with this barcode, its title locked first (record, then item)."""
    found = Item.objects.filter(barcode=barcode.strip()).values("pk", "record_id").first()
    if found is None:
        raise CirculationError(UNKNOWN_BARCODE)
    BibliographicRecord.objects.select_for_update().filter(pk=found["record_id"]).first()
    return Item.objects.select_for_update(of=("self",)).select_related("record").get(pk=found["pk"])


def _trapped_hold(item: Item) -> Hold | None:
    return (
        Hold.objects.select_for_update()
        .filter(item=item, status__in=[Hold.Status.IN_TRANSIT, Hold.Status.READY])
        .select_related("record", "pickup_branch")
        .first()
    )


def _close_loan(*, loan: Loan, item: Item, branch: Branch, now: datetime.datetime) -> Fine | None:
    """End an open loan at check-in: fine, reading history, count, and forget (CONF-9)."""
    today = timezone.localdate(now)
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
            title=item.record.title,
            author=item.record.authors,
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
    return fine


@transaction.atomic
def loan_renew(*, patron: Patron, loan_id: int, now: datetime.datetime | None = None) -> Loan:
    """Extend a patron's loan by its rule's loan period, unless renewed out or needed for a hold.

    A copy is needed when other patrons' waiting holds on its title outnumber
    the title's copies on a shelf (ITEM_HELD_FOR_ANOTHER).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    found = (
        Loan.objects.filter(pk=loan_id, patron=patron, returned_at__isnull=True)
        .values("item__barcode")
        .first()
    )
    if found is None:
        raise CirculationError(LOAN_NOT_FOUND)
    item = _scanned_item(found["item__barcode"])
    loan = (
        Loan.objects.select_for_update()
        .filter(pk=loan_id, patron=patron, returned_at__isnull=True)
        .first()
    )
    if loan is None:
        raise CirculationError(LOAN_NOT_FOUND)
    patron.refresh_from_db(fields=["status", "card_expires_on"])
    _check_card(patron, today)
    rule = _rule(item, patron, today)
    if loan.renewals >= rule.renewal_limit:
        raise CirculationError(RENEWAL_LIMIT)
    if _needed_for_others(item, patron):
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
    pickup_branch: Branch,
    record: BibliographicRecord | None = None,
    barcode: str = "",
    copy_only: bool = False,
    now: datetime.datetime | None = None,
) -> Hold:
    """Queue a patron for a title (any copy), or for one copy where they insist (`copy_only`).

    The title is `record`, or the title of the copy with `barcode`; `copy_only`
    needs the barcode. The hold waits: a copy on a shelf puts it on that
    branch's pull list and is trapped for it when scanned (loan_checkin), never
    at once. Raises CirculationError for a blocked card, an unknown barcode, a
    title with no copy that can be lent, a second hold on the title, and a
    title of which a copy is on loan to this patron.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    patron.refresh_from_db(fields=["status", "card_expires_on"])
    _check_card(patron, today)
    copy = None
    if barcode.strip():
        copy = Item.objects.filter(barcode=barcode.strip()).first()
        if copy is None:
            raise CirculationError(UNKNOWN_BARCODE)
        if record is not None and copy.record_id != record.pk:
            raise CirculationError(COPY_NOT_OF_TITLE)
        record_id = copy.record_id
    elif record is not None:
        record_id = record.pk
    else:
        raise CirculationError(UNKNOWN_BARCODE)
    title = BibliographicRecord.objects.select_for_update().get(pk=record_id)
    lendable = Item.objects.filter(record=title).exclude(
        status__in=[Item.Status.WITHDRAWN, Item.Status.LOST, Item.Status.DAMAGED]
    )
    if copy is not None and copy_only and not lendable.filter(pk=copy.pk).exists():
        raise CirculationError(
            ITEM_WITHDRAWN if copy.status == Item.Status.WITHDRAWN else NO_LENDABLE_COPY
        )
    if not lendable.exists():
        raise CirculationError(NO_LENDABLE_COPY)
    if Hold.objects.filter(record=title, patron=patron).exists():
        raise CirculationError(HOLD_ALREADY_PLACED)
    if Loan.objects.filter(item__record=title, patron=patron, returned_at__isnull=True).exists():
        raise CirculationError(HOLD_ON_OWN_LOAN)
    hold = Hold(
        record=title,
        item=copy if copy_only else None,
        item_level=copy_only and copy is not None,
        patron=patron,
        pickup_branch=pickup_branch,
        placed_at=now,
    )
    hold.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            hold.save()
    except IntegrityError:  # the record lock makes this unreachable; the constraint is the backstop
        raise CirculationError(HOLD_ALREADY_PLACED) from None
    return hold


@transaction.atomic
def hold_cancel(*, patron: Patron, hold_id: int, now: datetime.datetime | None = None) -> None:
    """Delete a patron's hold (nothing of it is kept).

    A copy on the hold shelf for it stays there until the desk takes it off and
    scans it (the hold shelf page lists it to clear), and only that scan passes
    it to the next patron in line, with a new slip: a hold is never made ready
    without a copy in hand. A copy in transit for it is routed when it arrives.
    Raises CirculationError(HOLD_NOT_FOUND) for a hold not on this card.
    """
    found = Hold.objects.filter(pk=hold_id, patron=patron).values("record_id").first()
    if found is None:
        raise CirculationError(HOLD_NOT_FOUND, field="hold")
    # The title's lock, as every queue decision takes it: a scan cannot trap
    # this hold while it is being deleted.
    BibliographicRecord.objects.select_for_update().filter(pk=found["record_id"]).first()
    hold = Hold.objects.select_for_update().filter(pk=hold_id, patron=patron).first()
    if hold is None:
        raise CirculationError(HOLD_NOT_FOUND, field="hold")
    hold.delete()


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
        _item_move(item, Item.Status.LOST, timezone.localdate(now))
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
        .select_related("item__record")
        .order_by("due_at", "pk")
    )
    outcomes = []
    for loan in loans:
        try:
            with transaction.atomic():  # a refusal rolls back only its own loan
                renewed = loan_renew(patron=patron, loan_id=loan.pk, now=now)
        except CirculationError as error:
            refusal = str(error.message)
            outcomes.append(
                RenewalOutcome(title=loan.item.record.title, loan=None, refusal=refusal)
            )
        else:
            outcomes.append(RenewalOutcome(title=loan.item.record.title, loan=renewed))
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


def holds_expire(holds: QuerySet[Hold], *, now: datetime.datetime | None = None) -> int:
    """Delete these locked, uncollected ready holds and tell each patron; return how many went.

    For purge_expired (circulation.retention). Each patron is told on commit
    (signals.hold_expired). The copy stays on the hold shelf, listed there to
    clear, until the desk takes it off and scans it: that scan passes it to
    the next patron in line with a new slip (loan_checkin), so nobody is told a
    copy is ready that still carries another patron's slip.
    """
    expired = list(holds.filter(status=Hold.Status.READY).select_related("record", "pickup_branch"))
    for hold in expired:
        told = {
            "patron_id": hold.patron_id,
            "title": hold.record.title,
            "pickup_branch": hold.pickup_branch.name,
        }
        hold.delete()
        transaction.on_commit(partial(signals.hold_expired.send, sender=Hold, **told))
    return len(expired)
