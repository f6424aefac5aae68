"""The footage rules: who may see security-camera footage and stills, and who may release them.

Same shape as the patron-data rules (privacy.policy.patron), sharing their
Decision: `decide(request)` takes a frozen FootageRequest
(what is asked, who asks, the facts the gate established) and returns a
Decision citing the CAM clause behind it (docs/policy/CLAUSES.md). No
database, no request object; facilities.access gathers the facts, logs the
decision and acts on it.

Refusal is the default: a request is allowed only when a rule below allows it.
"""

from dataclasses import dataclass

from django.db import models

from library.roles import Role, releases_footage, views_footage
from privacy.policy.decision import Decision, allow, refuse

# Who views footage (CAM-3) and who releases it (CAM-5, CAM-6) is the role
# table's (library.roles.ROLES: views_footage, releases_footage). The director
# is not among the viewers: the policy gives the director the decision to
# release, not the viewing; a director who also holds a viewing role views under it.


class Action(models.TextChoices):
    VIEW = "view", "Watch a recording (CAM-3)"
    VIEW_STILL = "view_still", "See a still (CAM-3, CAM-4)"
    QUEUE = "queue", "Work the director's queue of outside requests (CAM-6)"
    RELEASE = "release", "Give footage to someone outside the library (CAM-5, CAM-6)"


class Recipient(models.TextChoices):
    """Who outside the library asks for footage, or would receive it."""

    POLICE = "police", "Police or other law enforcement"
    AGENCY = "agency", "Another government agency"
    COURT = "court", "A court, attorney or party to a case"
    PATRON = "patron", "A patron or member of the public"
    OTHER = "other", "Anyone else (press, insurer, business)"


@dataclass(frozen=True)
class FootageRequest:
    action: Action
    roles: frozenset[Role] = frozenset()
    is_patron: bool = False  # the asker is a patron and holds no staff role
    on_staff_network: bool = True  # False when a network limit is set and the address is outside
    still_shared: bool = False  # the still's ban is in effect now (CAM-4)
    recipient: Recipient | None = None
    tied_to_incident: bool = False  # footage of a recorded on-premises incident the release names
    order_given: bool = False  # the release names a legal order
    order_in_force: bool = False  # that order is valid and unexpired now
    order_covers_footage: bool = False  # the order's cameras and window contain the footage


STAFF_ONLY = "Security camera footage is available only to designated library staff."
GO_TO_DIRECTOR = (
    "Footage leaves the library only by decision of the library director; "
    "please give your request to the director."
)


def decide(request: FootageRequest) -> Decision:
    """Return whether this footage request is allowed, and the clause behind the answer."""
    if request.is_patron and not request.roles:
        return refuse("CAM-3", "patrons have no access to footage", STAFF_ONLY)
    if request.action is Action.VIEW:
        return _decide_view(request)
    if request.action is Action.VIEW_STILL:
        return _decide_still(request)
    if request.action is Action.QUEUE:
        if releases_footage(request.roles):
            return allow("CAM-6", "the director's queue", "Outside requests for the director.")
        return refuse("CAM-6", "outside requests go to the director", GO_TO_DIRECTOR)
    if request.action is Action.RELEASE:
        return _decide_release(request)
    return refuse("CAM-3", "no rule allows this", STAFF_ONLY)


def _off_network() -> Decision:
    return refuse(
        "CAM-3",
        "outside the staff networks",
        "Footage can be viewed only from a staff computer inside the library.",
    )


def _decide_view(request: FootageRequest) -> Decision:
    if not views_footage(request.roles):
        return refuse(
            "CAM-3",
            "only security guards, persons in charge and IT staff view footage",
            STAFF_ONLY,
        )
    if not request.on_staff_network:
        return _off_network()
    return allow("CAM-3", "designated footage viewer", "Shown to designated staff; logged.")


def _decide_still(request: FootageRequest) -> Decision:
    if views_footage(request.roles):
        if not request.on_staff_network:
            return _off_network()
        return allow("CAM-3", "designated footage viewer", "Shown to designated staff; logged.")
    if not request.roles:
        return refuse("CAM-3", "not library staff", STAFF_ONLY)
    if not request.still_shared:
        return refuse(
            "CAM-4",
            "a still is shared with all staff only while its ban is in effect",
            "This still is not shared with all staff.",
        )
    if not request.on_staff_network:
        return _off_network()
    return allow(
        "CAM-4",
        "shared with all staff while the ban is in effect",
        "Posted for staff while the ban is in effect.",
    )


def _decide_release(request: FootageRequest) -> Decision:
    if not releases_footage(request.roles):
        return refuse("CAM-6", "only the library director releases footage", GO_TO_DIRECTOR)
    if request.recipient is Recipient.PATRON:
        return refuse("CAM-3", "patrons have no access to footage", STAFF_ONLY)
    if request.order_given:
        if not request.order_in_force:
            return refuse(
                "CAM-6",
                "the legal order is not in force",
                "This order is not valid or has expired, so it releases nothing.",
            )
        if not request.order_covers_footage:
            return refuse(
                "CAM-6",
                "the footage is outside the order's cameras or time window",
                "The order does not cover this footage.",
            )
        return allow(
            "CAM-6",
            "valid legal order covering this footage",
            "Released under a valid court order or subpoena; the release is logged.",
        )
    if request.recipient is Recipient.POLICE:
        if request.tied_to_incident:
            return allow(
                "CAM-5",
                "the director asks police for help with a recorded incident on the premises",
                "Released to police for the recorded incident; the release is logged.",
            )
        return refuse(
            "CAM-5",
            "without an order, footage goes to police only for a recorded on-premises incident",
            "Without a court order, footage goes to police only for an incident recorded on "
            "library premises, and only footage of that incident.",
        )
    return refuse(
        "CAM-6",
        "outside agencies need a valid order covering the footage",
        "Footage is released to an outside agency only under a valid subpoena or court order.",
    )
