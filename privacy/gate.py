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
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, models, transaction

from audit import chain, entries
from audit.entries import NO_RECORD
from privacy.policy.decision import Decision

NOT_FOUND_MESSAGE = "No matching record was found."

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


def _inside_caller_transaction() -> bool:
    # Test cases wrap each test in atomic blocks of their own; those do not count.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def settle(actor: Any, reads: Iterable[Read]) -> list[Decision]:
    """Log every read in one append, then raise Refused for the first refused one.

    Returns the decisions in order when every read was allowed. Raises
    GateInsideTransaction, before writing anything, if a refusal would be
    logged inside a transaction the caller opened.
    """
    reads = list(reads)
    refused = next((read.decision for read in reads if not read.decision.allowed), None)
    if refused is not None and _inside_caller_transaction():
        raise GateInsideTransaction("Call the gate before transaction.atomic, not inside it.")
    chain.chain_append_many([read.entry(actor) for read in reads])
    if refused is not None:
        raise Refused(refused)
    return [read.decision for read in reads]


def record(actor: Any, reads: Iterable[Read]) -> None:
    """Log every read in one append and raise nothing (guidance given, a list page's scope).

    The same rule as `settle` keeps refusals out of a caller's transaction.
    """
    reads = list(reads)
    if any(not read.decision.allowed for read in reads) and _inside_caller_transaction():
        raise GateInsideTransaction("Call the gate before transaction.atomic, not inside it.")
    chain.chain_append_many([read.entry(actor) for read in reads])


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
        chain.chain_append_many([describe(done).entry(actor)])
    return done
