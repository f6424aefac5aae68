"""Library-system-sized data for benchmarks, loaded with PostgreSQL COPY.

The shapes follow the rules the application keeps: returned loans have
forgotten their patron (CONF-9) unless a fine on them is unpaid, reading
history exists only for patrons who opted in, every minor has a responsible
adult, and the audit trail is a valid hash chain continuing the existing one.
"""

import datetime
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from audit import chain
from audit.models import AuditEntry
from circulation.models import (
    BibliographicRecord,
    Fine,
    Hold,
    Item,
    ItemType,
    Loan,
    LoanRule,
    ReadingHistoryEntry,
)
from demo.seed import (
    BRANCHES,
    FIRST_NAMES,
    LAST_NAMES,
    LOAN_RULES,
    STREETS,
    TITLE_ADJECTIVES,
    TITLE_WORDS,
)
from library.models import Branch
from patrons.models import Patron, ResponsibleAdult
from privacy.policy import DataCategory, Purpose

NEEDS_POSTGRES = (
    "seed_scale loads data with PostgreSQL's COPY; set DATABASE_URL to a PostgreSQL database."
)
CARD_PREFIX = "5"
BARCODE_PREFIX = "6"
CHUNK = 100_000

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class ScaleShape:
    """The proportions of the data set; the defaults follow a large public library."""

    minor_share: float = 0.2
    opted_in_share: float = 0.1  # of adults
    open_loan_share: float = 0.03
    unpaid_fine_share: float = 0.002  # of returned loans, which keep their patron until paid
    # 10 million loans: 750,000 copies of 500,000 titles.
    items_per_loan: float = 0.075
    copies_per_title: float = 1.5
    holds_per_open_loan: float = 0.1


def _copy(
    model: type[models.Model],
    columns: list[str],
    rows: Iterable[tuple[Any, ...]],
    progress: Progress,
) -> int:
    table = model._meta.db_table
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
            if count % CHUNK == 0:
                progress(table, CHUNK)
    progress(table, count % CHUNK)
    return count


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _reset_sequence(model: type[models.Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608  (table names from models)
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
        )


def seed_scale(
    *,
    patrons: int,
    loans: int,
    audit_entries: int,
    seed: int = 2026,
    shape: ScaleShape = ScaleShape(),
    progress: Progress = lambda table, rows: None,
) -> dict[str, int]:
    """Append a data set of the given size to the database; return rows written per table."""
    if connection.vendor != "postgresql":
        raise ValueError(NEEDS_POSTGRES)
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    written: dict[str, int] = {}
    with transaction.atomic():
        branches = _branches()
        rules = _rules()
        item_count = max(
            int(loans * shape.items_per_loan), int(loans * shape.open_loan_share) + 1, 1000
        )
        open_count = min(int(loans * shape.open_loan_share), item_count)
        first_record = _next_id(BibliographicRecord)
        title_count = max(int(item_count / shape.copies_per_title), 1)
        written["bibliographic records"] = _copy(
            BibliographicRecord,
            ["id", "title", "authors", "isbn", "issn", "publisher", "publication_year"],
            _record_rows(rng, first_record, title_count),
            progress,
        )
        first_item = _next_id(Item)
        written["items"] = _copy(
            Item,
            ITEM_COLUMNS,
            _item_rows(
                rng, first_item, item_count, branches, first_record, title_count, open_count
            ),
            progress,
        )
        item_types = _item_types(first_item, item_count)

        first_patron = _next_id(Patron)
        patron_rows = list(_patron_rows(rng, first_patron, patrons, branches, today, now, shape))
        written["patrons"] = _copy(Patron, PATRON_COLUMNS, patron_rows, progress)
        minors = [row[0] for row in patron_rows if row[9] > _adult_cutoff(today)]
        adults = [row[0] for row in patron_rows if row[9] <= _adult_cutoff(today)]
        opted_in = {row[0] for row in patron_rows if row[15]}
        written["responsible adults"] = _copy(
            ResponsibleAdult,
            ["minor_id", "adult_id", "adult_name", "relationship", "listed_at"],
            ((minor, rng.choice(adults), "", "parent", now) for minor in minors),
            progress,
        )

        first_loan = _next_id(Loan)
        loan_rows, fines, history = _loan_rows(
            rng, first_loan, loans, open_count, first_item, item_count, item_types, rules,
            branches, adults + minors, opted_in, now, shape,
        )  # fmt: skip
        written["loans"] = _copy(Loan, LOAN_COLUMNS, loan_rows, progress)
        written["fines"] = _copy(
            Fine,
            ["patron_id", "loan_id", "reason", "amount", "created_at", "waive_reason"],
            ((*fine, "") for fine in fines),  # unpaid: no waive reason
            progress,
        )
        written["reading history entries"] = _copy(
            ReadingHistoryEntry,
            ["patron_id", "item_id", "title", "author", "checked_out_on", "returned_on"],
            _history_rows(history, first_item),
            progress,
        )
        holders = adults + minors
        held = {
            (rng.choice(holders), first_record + index % title_count)
            for index in rng.sample(range(open_count), int(open_count * shape.holds_per_open_loan))
        }
        written["holds"] = _copy(
            Hold,
            [
                "record_id",
                "patron_id",
                "pickup_branch_id",
                "status",
                "placed_at",
                "ready_until",
                "item_level",
            ],
            (
                (record, patron, rng.choice(branches), "waiting", now, None, False)
                for patron, record in sorted(held)
            ),
            progress,
        )
        written["audit entries"] = _copy_audit(rng, audit_entries, first_patron, patrons, progress)
        for model in (
            BibliographicRecord,
            Item,
            Patron,
            ResponsibleAdult,
            Loan,
            Fine,
            ReadingHistoryEntry,
            Hold,
            AuditEntry,
        ):
            _reset_sequence(model)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return written


def _branches() -> list[int]:
    ids = []
    for code, name, address in BRANCHES:
        branch, _ = Branch.objects.get_or_create(
            code=code, defaults={"name": name, "address": address}
        )
        ids.append(branch.pk)
    return ids


def _rules() -> dict[str, LoanRule]:
    for item_type, (days, renewals, per_day, cap) in LOAN_RULES.items():
        LoanRule.objects.get_or_create(
            item_type=item_type,
            defaults={
                "loan_days": days,
                "renewal_limit": renewals,
                "fine_per_day": Decimal(per_day),
                "max_fine": Decimal(cap),
            },
        )
    return {rule.item_type: rule for rule in LoanRule.objects.all()}


def _adult_cutoff(today: datetime.date) -> datetime.date:
    from django.conf import settings

    from patrons.models import latest_adult_birth_date

    return latest_adult_birth_date(today, settings.LIBRARY_AGE_OF_MAJORITY)


_TYPES = [ItemType.BOOK] * 14 + [ItemType.AUDIOBOOK] * 2 + [ItemType.DVD] * 3 + [ItemType.MAGAZINE]


def _item_type(index: int) -> str:
    return str(_TYPES[(index * 7919) % len(_TYPES)])


def _item_types(first: int, count: int) -> list[str]:
    return [_item_type(index) for index in range(count)]


def _record_rows(rng: random.Random, first: int, count: int) -> Iterator[tuple[Any, ...]]:
    for index in range(count):
        yield (
            first + index,
            f"The {rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_WORDS)} {index}",
            f"{rng.choice(LAST_NAMES)}, {rng.choice(FIRST_NAMES)}",
            "",
            "",
            "",
            rng.randint(1950, 2026),
        )


ITEM_COLUMNS = [
    "id", "barcode", "record_id", "call_number", "shelving_location", "item_type", "branch_id",
    "current_branch_id", "status", "status_since",
]  # fmt: skip


def _item_rows(
    rng: random.Random,
    first: int,
    count: int,
    branches: list[int],
    first_record: int,
    title_count: int,
    open_count: int,
) -> Iterator[tuple[Any, ...]]:
    """Copies of the titles in turn; the first `open_count` are out on the open loans."""
    today = timezone.localdate()
    for index in range(count):
        branch = rng.choice(branches)
        yield (
            first + index,
            f"{BARCODE_PREFIX}{first + index:013d}",
            first_record + index % title_count,
            f"{rng.randint(100, 999)}.{rng.randint(10, 99)}",
            "",
            _item_type(index),
            branch,
            branch,
            Item.Status.ON_LOAN if index < open_count else Item.Status.ON_SHELF,
            today,
        )


# How far back returned loans go; patrons who keep reading history opted in then.
HISTORY_SINCE_DAYS = 3 * 365

PATRON_COLUMNS = [
    "id", "card_number", "first_name", "last_name", "address_line", "city", "postal_code", "phone",
    "email", "date_of_birth", "home_branch_id", "status", "registered_on", "card_expires_on",
    "reading_history_changed_at", "keeps_reading_history", "desk_note", "notices_name_items",
]  # fmt: skip


def _patron_rows(
    rng: random.Random,
    first: int,
    count: int,
    branches: list[int],
    today: datetime.date,
    now: datetime.datetime,
    shape: ScaleShape,
) -> Iterator[tuple[Any, ...]]:
    for index in range(count):
        pk = first + index
        minor = rng.random() < shape.minor_share
        age_days = rng.randint(5 * 365, 17 * 365) if minor else rng.randint(18 * 366, 85 * 365)
        opted_in = not minor and rng.random() < shape.opted_in_share
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        yield (
            pk,
            f"{CARD_PREFIX}{pk:013d}",
            first_name,
            last_name,
            f"{rng.randint(100, 9999)} {rng.choice(STREETS)}",
            "Lawrence",
            "66044",
            f"785-555-{rng.randint(0, 9999):04d}",
            f"{first_name.lower()}.{last_name.lower()}{pk}@example.org",
            today - datetime.timedelta(days=age_days),
            rng.choice(branches),
            "active",
            today - datetime.timedelta(days=rng.randint(1, 4000)),
            today + datetime.timedelta(days=rng.randint(30, 1500)),
            # Opted in before the oldest returned loan, so no history predates it (CONF-9).
            now - datetime.timedelta(days=HISTORY_SINCE_DAYS) if opted_in else None,
            opted_in,
            "",
            False,  # notices name no items unless the patron chooses (CONF-9)
        )


LOAN_COLUMNS = [
    "id", "item_id", "patron_id", "branch_id",
    "checked_out_at", "due_at", "returned_at", "renewals",
]  # fmt: skip


def _midnight(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _loan_rows(
    rng: random.Random,
    first: int,
    count: int,
    open_count: int,
    first_item: int,
    item_count: int,
    item_types: list[str],
    rules: dict[str, LoanRule],
    branches: list[int],
    borrowers: list[int],
    opted_in: set[int],
    now: datetime.datetime,
    shape: ScaleShape,
) -> tuple[
    Iterator[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[tuple[int, int, datetime.date, datetime.date]],
]:
    fines: list[tuple[Any, ...]] = []
    history: list[tuple[int, int, datetime.date, datetime.date]] = []
    opted = list(opted_in)

    def rows() -> Iterator[tuple[Any, ...]]:
        for index in range(count):
            pk = first + index
            item_index = index if index < open_count else rng.randrange(open_count, item_count)
            days = rules[item_types[item_index]].loan_days
            if index < open_count:
                taken = now - datetime.timedelta(
                    days=rng.randint(0, days + 10), minutes=rng.randint(0, 600)
                )
                yield (pk, first_item + item_index, rng.choice(borrowers), rng.choice(branches),
                       taken, taken + datetime.timedelta(days=days), None, 0)  # fmt: skip
                continue
            taken = _midnight(
                now - datetime.timedelta(days=rng.randint(days + 2, HISTORY_SINCE_DAYS - 1))
            )
            due = taken + datetime.timedelta(days=days)
            returned = due - datetime.timedelta(days=rng.randint(0, days - 1))
            patron = None
            if rng.random() < shape.unpaid_fine_share:
                patron = rng.choice(borrowers)
                returned = due + datetime.timedelta(days=rng.randint(1, 20))
                fines.append(
                    (patron, pk, "overdue", Decimal("0.25") * (returned - due).days, returned)
                )
            elif opted and rng.random() < shape.opted_in_share:
                history.append((rng.choice(opted), item_index, taken.date(), returned.date()))
            yield (
                pk,
                first_item + item_index,
                patron,
                rng.choice(branches),
                taken,
                due,
                returned,
                0,
            )

    # Fines and history fill up while the loan rows stream into COPY; the caller
    # copies them after the loans, when both lists are complete.
    return rows(), fines, history


def _history_rows(
    history: list[tuple[int, int, datetime.date, datetime.date]], first_item: int
) -> Iterator[tuple[Any, ...]]:
    # Read every title before COPY starts: the connection can run nothing else during it.
    titles = dict(Item.objects.filter(pk__gte=first_item).values_list("pk", "record__title"))
    return _history_tuples(history, first_item, titles)


def _history_tuples(
    history: list[tuple[int, int, datetime.date, datetime.date]],
    first_item: int,
    titles: dict[int, str],
) -> Iterator[tuple[Any, ...]]:
    for patron, item_index, taken, returned in history:
        item_id = first_item + item_index
        yield (patron, item_id, titles.get(item_id, ""), "", taken, returned)


AUDIT_FIELDS = [field for field in AuditEntry._meta.concrete_fields if not field.primary_key]


def _copy_audit(
    rng: random.Random,
    count: int,
    first_patron: int,
    patrons: int,
    progress: Progress,
) -> int:
    """Append `count` gate reads to the chain through COPY.

    PostgreSQL's trigger numbers, links, times and hashes each row as it
    arrives (audit.database_hash), exactly as for the application's own
    appends, so the rows carry only what a read says.
    """
    if count <= 0:
        return 0
    patron_type = ContentType.objects.get_for_model(Patron).pk
    purposes = [
        Purpose.CIRCULATION,
        Purpose.CIRCULATION,
        Purpose.HOLDS,
        Purpose.REGISTRATION,
        Purpose.SELF_SERVICE,
    ]

    # Every field the row fills, with the value the model would hold.
    base: dict[str, Any] = {name: None for name in chain.HASHED_FIELDS}
    base.update(
        content_type_id=patron_type,
        action=AuditEntry.Action.ACCESS,
        actor_name="desk",
        changes_text="",
        category=DataCategory.CIRCULATION.value,
        clause="CONF-3",
        additional_data={
            "requester": "staff",
            "basis": "seeded",
            "roles": ["circulation"],
            "branch": BRANCHES[0][0],
        },
    )
    extra = json.dumps(base["additional_data"])
    # The chain's fields are the trigger's to write.
    chained = {"seq", "prev_hash", "entry_hash", "timestamp", "hash_format"}
    columns = {
        field.attname: field.column for field in AUDIT_FIELDS if field.attname not in chained
    }
    names = list(columns)

    def rows() -> Iterator[tuple[Any, ...]]:
        for index in range(count):
            patron_id = first_patron + rng.randrange(patrons)
            values = {
                **base,
                "object_pk": str(patron_id),
                "object_id": patron_id,
                "object_repr": f"patron #{patron_id}",
                "purpose": purposes[index % len(purposes)].value,
                "decision": "refused" if index % 50 == 0 else "allowed",
                "additional_data": extra,
            }
            yield tuple(values.get(name) for name in names)

    return _copy(AuditEntry, list(columns.values()), rows(), progress)
