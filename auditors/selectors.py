"""Reads of the audit trail for the auditors' pages: filters, keyset pages, counts per day.

Every list is ordered by seq and paged by seq (keyset), never counted, so a
page costs the same at ten entries or at tens of millions. A date range is
turned into a range of seq with two index lookups, which is exact because
timestamps never go backwards along the chain (audit.chain).
"""

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit import chain
from audit.models import AuditEntry, AuditVerification, AuditWitness
from library.roles import Role
from patrons.models import Patron
from privacy.models import ContractedAgent, LegalOrderRelease

PAGE_SIZE = 50
CLAUSE_IDS = (
    *(f"CONF-{n}" for n in range(1, 11)),
    *(f"FAC-{n}" for n in range(1, 7)),
    *(f"CAM-{n}" for n in range(1, 7)),
)
ACTION_LABELS = {value: str(label) for value, label in AuditEntry.Action.choices}
ENTRY_FIELDS = (
    "seq",
    "timestamp",
    "actor_id",
    "actor_name",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "category",
    "purpose",
    "clause",
    "decision",
    "remote_addr",
    "additional_data",
    "changes",
)
# How long a verification stays current on the front page.
VERIFICATION_FRESH_FOR = datetime.timedelta(days=2)


@dataclass(frozen=True)
class EntryQuery:
    """The auditors' filters on the entry list; patron and actor by id, never by name."""

    actor: int | None = None
    patron: int | None = None
    category: str = ""
    action: int | None = None
    decision: str = ""
    clause: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def as_params(self) -> dict[str, str]:
        """Return the filters as query-string parameters (only those that are set)."""
        return {
            key: value.isoformat() if isinstance(value, datetime.date) else str(value)
            for key, value in asdict(self).items()
            if value not in (None, "")
        }


@dataclass(frozen=True)
class EntryPage:
    rows: list[dict[str, Any]]
    newer: int | None  # seq to pass as after= for the page of newer entries
    older: int | None  # seq to pass as before= for the page of older entries


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _first_seq_from(moment: datetime.datetime) -> int | None:
    return (
        AuditEntry.objects.filter(timestamp__gte=moment)
        .order_by("timestamp", "seq")
        .values_list("seq", flat=True)
        .first()
    )


def date_window(date_from: datetime.date | None, date_to: datetime.date | None) -> Q | None:
    """Return a filter on seq for a range of days (inclusive), or None if nothing can match."""
    window = Q()
    if date_from is not None:
        low = _first_seq_from(_day_start(date_from))
        if low is None:
            return None
        window &= Q(seq__gte=low)
    if date_to is not None:
        high = _first_seq_from(_day_start(date_to + datetime.timedelta(days=1)))
        if high is not None:
            window &= Q(seq__lt=high)
    return window


def _in_window(
    entries: QuerySet[AuditEntry], date_from: datetime.date | None, date_to: datetime.date | None
) -> QuerySet[AuditEntry]:
    window = date_window(date_from, date_to)
    return entries.none() if window is None else entries.filter(window)


def patron_content_type_id() -> int:
    return ContentType.objects.get_for_model(Patron).pk


def entries_matching(query: EntryQuery) -> QuerySet[AuditEntry]:
    """Return the entries that match the auditors' filters, unordered and unevaluated."""
    entries = AuditEntry.objects.all()
    if query.actor is not None:
        entries = entries.filter(actor_id=query.actor)
    if query.patron is not None:
        entries = entries.filter(content_type_id=patron_content_type_id(), object_id=query.patron)
    if query.category:
        entries = entries.filter(category=query.category)
    if query.action is not None:
        entries = entries.filter(action=query.action)
    if query.decision:
        entries = entries.filter(decision=query.decision)
    if query.clause:
        entries = entries.filter(clause=query.clause)
    return _in_window(entries, query.date_from, query.date_to)


def patron_history(
    patron_id: int, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[AuditEntry]:
    """Return the entries about one patron's record: who read or changed it, when and why."""
    return entries_matching(EntryQuery(patron=patron_id, date_from=date_from, date_to=date_to))


def actor_activity(
    user_id: int, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[AuditEntry]:
    """Return everything one user did that the trail recorded."""
    return entries_matching(EntryQuery(actor=user_id, date_from=date_from, date_to=date_to))


def refused_reads(
    date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[AuditEntry]:
    """Return the reads of patron data that the policy refused."""
    query = EntryQuery(
        action=AuditEntry.Action.ACCESS, decision="refused", date_from=date_from, date_to=date_to
    )
    return entries_matching(query)


def agent_reads(
    date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[AuditEntry]:
    """Return the reads asked for by contracted agents, allowed or refused (CONF-7)."""
    entries = AuditEntry.objects.filter(additional_data__has_key="agent")
    return _in_window(entries, date_from, date_to)


def entry_page(
    entries: QuerySet[AuditEntry],
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> EntryPage:
    """Return one page of entries, newest first, starting below `before` or above `after`."""
    values = entries.values(*ENTRY_FIELDS)
    if after is not None:
        rows = list(values.filter(seq__gt=after).order_by("seq")[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        newer = rows[0]["seq"] if more and rows else None
        older = rows[-1]["seq"] if rows else None
    else:
        if before is not None:
            values = values.filter(seq__lt=before)
        rows = list(values.order_by("-seq")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        newer = rows[0]["seq"] if before is not None and rows else None
        older = rows[-1]["seq"] if more else None
    return EntryPage(_described(rows), newer, older)


def entries_for_export(entries: QuerySet[AuditEntry]) -> Iterator[dict[str, Any]]:
    """Yield every matching entry, newest first, streamed in chunks (server-side cursor)."""
    rows = entries.values(*ENTRY_FIELDS, "entry_hash").order_by("-seq").iterator(chunk_size=2000)
    for chunk in _chunks(rows, 500):
        yield from _described(chunk)


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _details(row: dict[str, Any], agents: dict[int, str]) -> str:
    """Say in a few words what an entry's extra data holds: never values of patron fields."""
    data = row["additional_data"] or {}
    parts = []
    if checkpoint := data.get(chain.CHECKPOINT_KEY):
        parts.append(
            f"checkpoint: entries #{checkpoint.get('archived_from')} to "
            f"#{checkpoint.get('archived_through')} archived to {checkpoint.get('file')}"
        )
    elif data.get("bulk"):
        parts.append(f"{data.get('count')} records: {data.get('reason')}")
    if data.get("requester"):
        parts.append(f"requester: {str(data['requester']).replace('_', ' ')}")
    if data.get("basis"):
        parts.append(f"basis: {data['basis']}")
    if data.get("legal_order"):
        parts.append(f"legal order #{data['legal_order']}")
    if data.get("agent"):
        parts.append(f"agent: {agents.get(data['agent'], '#' + str(data['agent']))}")
    if isinstance(row["changes"], dict) and row["changes"]:
        # Field names only: the values may be masked identity data or ids.
        parts.append("changed: " + ", ".join(sorted(row["changes"])))
    return "; ".join(parts)


def _described(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add display fields to entry rows, with one query for any agents' names."""
    agent_ids = {
        row["additional_data"]["agent"]
        for row in rows
        if isinstance(row["additional_data"], dict) and row["additional_data"].get("agent")
    }
    agents = (
        dict(ContractedAgent.objects.filter(pk__in=agent_ids).values_list("pk", "name"))
        if agent_ids
        else {}
    )
    patron_type = patron_content_type_id()
    for row in rows:
        row["action_label"] = ACTION_LABELS.get(row["action"], str(row["action"]))
        row["patron_id"] = row["object_id"] if row["content_type_id"] == patron_type else None
        row["details"] = _details(row, agents)
    return rows


def staff_users() -> QuerySet[Any]:
    """Return the users who hold a staff role or staff status, with their groups."""
    role_groups = [role.group_name for role in Role]
    return (
        get_user_model()
        .objects.filter(Q(is_staff=True) | Q(groups__name__in=role_groups))
        .distinct()
        .order_by("username")
        .prefetch_related("groups")
    )


def actor_name(user_id: int) -> str:
    """Return a user's name, or the name the trail kept for a user who was deleted."""
    name = get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first()
    if name is None:
        name = (
            AuditEntry.objects.filter(actor_id=user_id)
            .order_by("-seq")
            .values_list("actor_name", flat=True)
            .first()
        )
    return name or f"user #{user_id}"


def legal_releases(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[LegalOrderRelease]:
    """Return releases under legal orders (CONF-5), newest first, with order and releaser."""
    releases = LegalOrderRelease.objects.select_related("order", "released_by").order_by("-pk")
    if date_from is not None:
        releases = releases.filter(released_at__gte=_day_start(date_from))
    if date_to is not None:
        releases = releases.filter(released_at__lt=_day_start(date_to + datetime.timedelta(days=1)))
    return releases


def release_page(
    releases: QuerySet[LegalOrderRelease],
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[LegalOrderRelease], int | None, int | None]:
    """Return one page of releases by id (keyset), with the newer and older cursors."""
    if after is not None:
        rows = list(releases.filter(pk__gt=after).order_by("pk")[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        return rows, (rows[0].pk if more and rows else None), (rows[-1].pk if rows else None)
    if before is not None:
        releases = releases.filter(pk__lt=before)
    rows = list(releases[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return (
        rows,
        (rows[0].pk if before is not None and rows else None),
        (rows[-1].pk if more else None),
    )


@dataclass(frozen=True)
class DayCount:
    day: datetime.date
    allowed: int
    refused: int


def daily_reads(date_from: datetime.date, date_to: datetime.date) -> list[DayCount]:
    """Return reads allowed and refused per day (the library's time zone), every day listed."""
    reads = _in_window(
        AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS), date_from, date_to
    )
    counts = (
        reads.annotate(day=TruncDate("timestamp"))
        .values("day", "decision")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_day: dict[tuple[datetime.date, str], int] = {
        (row["day"], row["decision"]): row["n"] for row in counts
    }
    days = (date_to - date_from).days + 1
    return [
        DayCount(
            day,
            by_day.get((day, "allowed"), 0),
            by_day.get((day, "refused"), 0),
        )
        for day in (date_from + datetime.timedelta(days=n) for n in range(days))
    ]


@dataclass(frozen=True)
class ChainStatus:
    last: AuditVerification | None
    head: chain.Head
    start: chain.ChainStart
    fresh: bool  # the last verification is recent and found the chain intact
    witnessed: AuditWitness | None = None  # the last head published outside the database

    @property
    def appended_since(self) -> int | None:
        return self.head.seq - self.last.head_seq if self.last else None


def chain_status() -> ChainStatus:
    """Return the last verification run and the chain's head now, for the front page."""
    last = AuditVerification.objects.order_by("-ran_at").first()
    fresh = bool(last and last.intact and timezone.now() - last.ran_at <= VERIFICATION_FRESH_FOR)
    witnessed = AuditWitness.objects.order_by("-published_at").first()
    return ChainStatus(last, chain.chain_head(), chain.chain_start(), fresh, witnessed)
