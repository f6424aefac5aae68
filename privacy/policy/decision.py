"""One Decision for every rule set: allowed or refused, the clause behind it, and why."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """The answer of a rule set: allowed or not, its clause id (CONF-4, CAM-3...), the basis in a
    few words for the audit trail, and one sentence staff can read out."""

    allowed: bool
    clause: str
    basis: str
    message: str

    def __bool__(self) -> bool:
        return self.allowed


def allow(clause: str, basis: str, message: str) -> Decision:
    """Return an allowing decision."""
    return Decision(True, clause, basis, message)


def refuse(clause: str, basis: str, message: str) -> Decision:
    """Return a refusing decision."""
    return Decision(False, clause, basis, message)
