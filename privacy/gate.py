"""The gate core: every door to protected data decides, logs and refuses here (CONF-1).

A door gathers the facts for one kind of data and asks its rule set:
privacy.access for patron data (privacy.policy.patron), facilities.access for
camera footage (privacy.policy.footage). It hands the core each decision with
what to record about it (a `Read`); the core turns them into audit entries
(audit.entries), appends them in one write, and raises `Refused` if any read
was refused. `Refused` says nothing: the privacy middleware answers it exactly
as it answers a record that does not exist.

Every refusal's entry must outlive the rollback its exception causes, so a door
never asks the core inside a caller's transaction (GateInsideTransaction).

Within one request (`one_request`, opened by the privacy middleware) an allowed
read identical to one already written is written once: a page that finds a
patron and then lists them is one read of that patron, not two. Refusals are
written every time. Every staff read records the branch it was made at: a
desk's chosen branch (`made_at`), else the staff member's own.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from django.db import connection, models, transaction

from audit import chain, entries
from audit.entries import NO_RECORD
from library.models import StaffProfile
from privacy.policy.decision import Decision

NOT_FOUND_MESSAGE = "No matching record was found."
INSIDE_TRANSACTION_MESSAGE = "Call the gate before transaction.atomic, not inside it."

T = TypeVar("T")


class Refused(Exception):
    """A read the policy does not allow, or of a record that does not exist; the two look alike."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(NOT_FOUND_MESSAGE)
        self.decision = decision


class GateInsideTransaction(RuntimeError):
    """A refusal raised inside a caller's transaction would roll back its own audit entry."""


def not_found(clause: str, basis: str) -> Decision:
    """Return the refusal for a record that does not exist: it reads like any other refusal."""
    return Decision(False, clause, basis, NOT_FOUND_MESSAGE)


@dataclass(frozen=True)
class Read:
    """One decided read of protected data, and what the audit trail records about it."""

    decision: Decision
    model: type[models.Model]  # the kind of record asked for (Patron, Recording, Still...)
    category: str  # the data category (CONF-6), or "footage"
    purpose: str  # why it was read (a Purpose, or a footage purpose such as "view")
    object_pk: str = NO_RECORD  # the record asked for, as given; NO_RECORD if none was named
    object_id: int | None = None  # set only when that record exists
    details: dict[str, Any] = field(default_factory=dict)  # ids kept with the entry

    def key(self, actor: Any) -> tuple[Any, ...]:
        """Return what makes two reads the same read: all but the basis's wording."""
        return (
            getattr(actor, "pk", None),
            self.model._meta.label,
            self.object_pk,
            self.object_id,
            self.category,
            self.purpose,
            self.decision.allowed,
            self.decision.clause,
            json.dumps(self.details, sort_keys=True, default=str),
        )

    def entry(self, actor: Any) -> Any:
        return entries.access_entry(
            actor=actor,
            model=self.model,
            object_pk=self.object_pk,
            object_id=self.object_id,
            category=self.category,
            purpose=self.purpose,
            clause=self.decision.clause,
            allowed=self.decision.allowed,
            details={"basis": self.decision.basis, **self.details},
        )


@dataclass
class _Request:
    """What the gate remembers while one request is served."""

    written: set[tuple[Any, ...]] = field(default_factory=set)  # keys of committed allowed reads
    branch: str = ""  # the branch code a desk chose for this request's reads


_request: ContextVar[_Request | None] = ContextVar("privacy_gate_request", default=None)


@contextmanager
def one_request() -> Iterator[None]:
    """Bracket one request: an allowed read repeated within it is written once.

    Outside it (commands, jobs) every read is written, as each call is its own work.
    """
    token = _request.set(_Request())
    try:
        yield
    finally:
        _request.reset(token)


def made_at(branch_code: str) -> None:
    """Record that this request's staff reads are made at a branch (a desk's chosen branch)."""
    current = _request.get()
    if current is not None:
        current.branch = branch_code


def _staff_branch(actor: Any) -> str:
    """Return the code of the branch a staff actor reads at; "" for anyone else."""
    if not getattr(actor, "is_authenticated", False) or not (
        getattr(actor, "is_staff", False) or getattr(actor, "is_superuser", False)
    ):
        return ""
    current = _request.get()
    if current is not None and current.branch:
        return current.branch
    cached: str | None = getattr(actor, "_library_branch", None)
    if cached is None:
        cached = (
            StaffProfile.objects.filter(user_id=actor.pk)
            .values_list("branch__code", flat=True)
            .first()
            or ""
        )
        actor._library_branch = cached
    return cached


def _inside_caller_transaction() -> bool:
    # Test cases wrap each test in atomic blocks of their own; those do not count.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _append(actor: Any, reads: list[Read]) -> None:
    """Append the reads not yet written in this request, each with the branch it was made at.

    A refusal is always written. An allowed read is remembered only once its
    entry is committed: inside a caller's transaction that may still roll back,
    so it is remembered on commit, and until then a repeat is written again.
    """
    branch = _staff_branch(actor)
    current = _request.get()
    fresh: list[Read] = []
    keys: set[tuple[Any, ...]] = set()
    for read in reads:
        if branch and "branch" not in read.details:
            # Kept so the patron can later see at which branch their record was read.
            read = replace(read, details={**read.details, "branch": branch})
        if current is not None and read.decision.allowed:
            key = read.key(actor)
            if key in current.written or key in keys:
                continue
            keys.add(key)
        fresh.append(read)
    chain.chain_append_many([read.entry(actor) for read in fresh])
    if current is not None and keys:
        if _inside_caller_transaction():
            transaction.on_commit(lambda: current.written.update(keys))
        else:
            current.written.update(keys)


def settle(actor: Any, reads: Iterable[Read]) -> list[Decision]:
    """Log every read in one append, then raise Refused for the first refused one.

    Returns the decisions in order when every read was allowed. Raises
    GateInsideTransaction, before writing anything, if a refusal would be
    logged inside a transaction the caller opened.
    """
    reads = list(reads)
    refused = next((read.decision for read in reads if not read.decision.allowed), None)
    if refused is not None and _inside_caller_transaction():
        raise GateInsideTransaction(INSIDE_TRANSACTION_MESSAGE)
    _append(actor, reads)
    if refused is not None:
        raise Refused(refused)
    return [read.decision for read in reads]


def record(actor: Any, reads: Iterable[Read]) -> None:
    """Log every read in one append and raise nothing (guidance given, a list page's scope).

    The same rule as `settle` keeps refusals out of a caller's transaction.
    """
    reads = list(reads)
    if any(not read.decision.allowed for read in reads) and _inside_caller_transaction():
        raise GateInsideTransaction(INSIDE_TRANSACTION_MESSAGE)
    _append(actor, reads)


def settle_write(
    actor: Any,
    decision: Decision,
    *,
    perform: Callable[[], T],
    describe: Callable[[T | None], Read],
) -> T:
    """Let an allowed decision `perform` its write, committed together with its entry.

    `describe` turns what was written (None when nothing was) into the Read to
    log. The write and its entry are one transaction, so neither exists without
    the other (a release of footage, say). A refusal's entry is written on its
    own and Refused is raised; nothing is performed.
    """
    if not decision.allowed:
        settle(actor, [describe(None)])
    with transaction.atomic():
        done = perform()
        _append(actor, [describe(done)])
    return done
