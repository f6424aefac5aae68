"""The patron-data rules: the library's confidentiality policy as one pure function.

`decide(request)` takes who is asking, the facts that matter, the data category
and the purpose, and returns a Decision: allowed or refused, the clause behind
it (see docs/policy/CLAUSES.md), the basis in a few words, and one sentence
staff can read out. No database, no request object, no side effects: the gate
(privacy.access, through privacy.gate) gathers the facts and acts on the
decision. Which roles perform which library operation comes from the role
table (library.roles); which data each operation needs is decided here.

Refusal is the default (CONF-1): a request is allowed only when a rule below
allows it.
"""

from dataclasses import dataclass

from django.db import models

from library.roles import Purpose, Role, roles_may
from privacy.policy.decision import Decision, allow, refuse


class DataCategory(models.TextChoices):
    """What kind of patron data a read is about (CONF-6); presence is not protected (FAC-1)."""

    IDENTITY = "identity", "Identity and account details"
    CIRCULATION = "circulation", "Current loans, holds and fines"
    READING_HISTORY = "reading_history", "Reading history"
    ONLINE_SERVICES = "online_services", "Computers and online services used"
    REFERENCE = "reference", "Reference consultations"
    EVENTS = "events", "Event and communication sign-ups"
    PRESENCE = "presence", "Presence in a library building"

    @property
    def is_protected(self) -> bool:
        return self is not DataCategory.PRESENCE


PROTECTED_CATEGORIES = frozenset(category for category in DataCategory if category.is_protected)


class Requester(models.TextChoices):
    """Who the data would go to."""

    ACCOUNT_HOLDER = "account_holder", "The account holder"
    RESPONSIBLE_ADULT = "responsible_adult", "A responsible adult of a minor"
    STAFF = "staff", "Library staff, for a library operation"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    OTHER_PATRON = "other_patron", "Another patron or member of the public"
    THIRD_PARTY = "third_party", "A third party (business, press, agency)"
    OPEN_RECORDS = "open_records", "An open-records requester"
    CONTRACTED_AGENT = "contracted_agent", "An agent under contract with the library"


@dataclass(frozen=True)
class Facts:
    """What is true about this request, established by the gate from the database."""

    identity_verified: bool = False  # identification seen at the desk, or the holder's own login
    listed_adult: bool = False  # the asker is listed on the subject's account (CONF-4)
    subject_is_minor: bool = False  # the subject is under the age of majority today
    staff_roles: frozenset[Role] = frozenset()
    legal_order_in_scope: bool = False  # a valid, unexpired order covers patron, category, date
    contract_in_scope: bool = False  # a current contract covers category and date, account assigned
    consent_in_scope: bool = False  # the patron consented to this recipient for this category
    emergency: bool = False  # someone asks to relay an urgent message (FAC-6)
    incident_in_scope: bool = False  # the patron is named in a recorded incident (CONF-10)
    # The roles of the staff member answering at a desk, when the requester is
    # the account holder or a listed adult asking in person (CONF-3, CONF-4).
    desk_roles: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Request:
    requester: Requester
    category: DataCategory
    purpose: Purpose
    facts: Facts = Facts()


CONFIDENTIAL = "Library records are confidential, so we can't share that information."
REFER_TO_DIRECTOR = (
    "Patron records are released only under a valid court order or subpoena; "
    "please give your request to the library director."
)

# CONF-3: the data categories each library operation needs. Which roles perform
# each operation is the role table's (library.roles.ROLES). Reading history is
# in none of them (CONF-9). The role table's other operations open pages only
# and must never appear here: reads under a legal order are decided by the
# order and its grants (CONF-5), and a desk inquiry by who asks (CONF-4).
OPERATION_CATEGORIES: dict[Purpose, frozenset[DataCategory]] = {
    Purpose.CIRCULATION: frozenset({DataCategory.IDENTITY, DataCategory.CIRCULATION}),
    Purpose.HOLDS: frozenset({DataCategory.IDENTITY, DataCategory.CIRCULATION}),
    Purpose.FINES: frozenset({DataCategory.IDENTITY, DataCategory.CIRCULATION}),
    Purpose.REGISTRATION: frozenset({DataCategory.IDENTITY}),
    Purpose.REFERENCE: frozenset({DataCategory.IDENTITY, DataCategory.REFERENCE}),
    Purpose.COMPUTER_SERVICES: frozenset({DataCategory.IDENTITY, DataCategory.ONLINE_SERVICES}),
    Purpose.EVENTS: frozenset({DataCategory.IDENTITY, DataCategory.EVENTS}),
    # CONF-8: staff look up the owner of a found item to contact them themselves.
    Purpose.FOUND_ITEM: frozenset({DataCategory.IDENTITY}),
    # CONF-10: staff identify a person involved in an incident.
    Purpose.INCIDENT: frozenset({DataCategory.IDENTITY}),
    # CONF-5: the director reviews whom an order names before deciding on it.
    Purpose.ORDER_REVIEW: frozenset({DataCategory.IDENTITY}),
    # Auditors resolve a card number to the patron whose access history they examine.
    Purpose.AUDIT: frozenset({DataCategory.IDENTITY}),
}

STAFF_CLAUSE = {
    Purpose.ORDER_REVIEW: "CONF-5",
    Purpose.FOUND_ITEM: "CONF-8",
    Purpose.INCIDENT: "CONF-10",
}

GUARDIAN_CATEGORIES = frozenset({DataCategory.IDENTITY, DataCategory.CIRCULATION})


def staff_operation_allows(
    roles: frozenset[Role], category: DataCategory, purpose: Purpose
) -> bool:
    """Return True if one of these roles performs this operation and it needs this category."""
    return category in OPERATION_CATEGORIES.get(purpose, frozenset()) and roles_may(roles, purpose)


def roles_handle(roles: frozenset[Role], category: DataCategory) -> bool:
    """Return True if one of these roles performs an operation that needs this category."""
    return any(
        category in categories and roles_may(roles, operation)
        for operation, categories in OPERATION_CATEGORIES.items()
    )


# CONF-3: at a desk, staff tell a patron or a listed adult only what their own
# work handles; a security guard does not read out loans, nor a clerk reference
# questions, however well the asker identified themselves.
_NOT_THIS_ROLES_WORK = refuse(
    "CONF-3",
    "not the answering staff member's work",
    "This is not part of your role's work: ask a colleague whose work it is.",
)


def _desk_handles(facts: Facts, category: DataCategory) -> bool:
    return not facts.desk_roles or roles_handle(facts.desk_roles, category)


def decide(request: Request) -> Decision:
    """Return whether this data may go to this requester for this purpose, and why."""
    category, facts = request.category, request.facts

    if request.purpose is Purpose.MONITORING:
        return refuse(
            "FAC-4",
            "no watching for a person",
            "The library does not watch for anyone or report when a person arrives "
            "or uses their card.",
        )

    if category is DataCategory.PRESENCE:
        return _decide_presence(request)

    if request.requester is Requester.OPEN_RECORDS:
        return refuse(
            "CONF-2",
            "open-records request",
            "Patron registration and circulation records are exempt from the Kansas "
            "Open Records Act (K.S.A. 45-221(a)(23)), so we cannot release them.",
        )

    # CONF-5: the law can require any protected record, reading history included,
    # but only through a valid order that covers this patron, category and date.
    if facts.legal_order_in_scope and request.purpose is Purpose.LEGAL_ORDER:
        return allow(
            "CONF-5",
            "valid legal order in scope",
            "Released under a valid court order or subpoena; the release is recorded against it.",
        )

    if request.requester is Requester.ACCOUNT_HOLDER:
        if category is DataCategory.READING_HISTORY and request.purpose is not Purpose.SELF_SERVICE:
            # CONF-9, CONF-3: the history is for the patron's own use, in their own
            # account; staff never read it, not even to the patron at a desk.
            return refuse(
                "CONF-9",
                "reading history is shown only in the patron's own account",
                "Reading history is kept for the patron's own use: they can see it by "
                "signing in to their account. Staff never read it out.",
            )
        if not facts.identity_verified:
            return refuse(
                "CONF-4",
                "identity not verified",
                "Please show identification before we discuss your account.",
            )
        if not _desk_handles(facts, category):
            return _NOT_THIS_ROLES_WORK
        return allow(
            "CONF-9" if category is DataCategory.READING_HISTORY else "CONF-4",
            "account holder, identity verified",
            "You may see your own records.",
        )

    # CONF-9: reading history is kept for the patron's own use; past this point
    # no one else receives it (a legal order was handled above).
    if category is DataCategory.READING_HISTORY:
        return refuse(
            "CONF-9",
            "reading history is for the account holder alone",
            "Reading history is kept only for the patron's own use; "
            "no one else can see it, staff included.",
        )

    if request.requester is Requester.RESPONSIBLE_ADULT:
        return _decide_responsible_adult(request)

    if request.requester is Requester.STAFF:
        if staff_operation_allows(facts.staff_roles, category, request.purpose):
            return allow(
                STAFF_CLAUSE.get(request.purpose, "CONF-3"),
                f"staff operation: {request.purpose.label.lower()}",
                "Shown for this library operation only; the read is logged.",
            )
        return refuse(
            "CONF-3",
            "not part of this staff role's library operations",
            "This information is not needed for your role's work, so it is not shown.",
        )

    if request.requester is Requester.CONTRACTED_AGENT:
        if facts.contract_in_scope and request.purpose is Purpose.CONTRACT:
            return allow(
                "CONF-7",
                "contracted agent, category, dates and account in scope",
                "Released to an agent under contract with the library; the release is logged.",
            )
        return refuse(
            "CONF-7",
            "outside the agent's contract",
            "This is outside the contract's categories, dates or assigned accounts.",
        )

    if request.requester is Requester.LAW_ENFORCEMENT:
        # CONF-10: staff may identify a person involved in a recorded crime or violation.
        if request.purpose is Purpose.INCIDENT:
            if category is DataCategory.IDENTITY and facts.incident_in_scope:
                return allow(
                    "CONF-10",
                    "identifying a person involved in a recorded incident",
                    "Identity released to police for the recorded incident; the release is logged.",
                )
            return refuse(
                "CONF-10",
                "only the identity of a person named in a recorded incident",
                "Without a court order, only the identity of a person involved in a recorded "
                "incident can be given.",
            )
        return refuse(
            "FAC-2" if category is DataCategory.ONLINE_SERVICES else "CONF-5",
            "law enforcement without a valid order in scope",
            REFER_TO_DIRECTOR,
        )

    if request.requester in (Requester.THIRD_PARTY, Requester.OTHER_PATRON):
        if request.purpose is Purpose.FOUND_ITEM:
            return refuse(
                "CONF-8",
                "a finder never receives the owner's details",
                "Thank you; the library will contact the owner itself.",
            )
        if facts.consent_in_scope and request.purpose is Purpose.CONSENT:
            return allow(
                "CONF-7",
                "patron's consent for this recipient and category",
                "Released with the patron's recorded consent.",
            )
        return refuse("CONF-7", "no consent, contract or legal order", CONFIDENTIAL)

    return refuse("CONF-1", "no rule allows this", CONFIDENTIAL)


def _decide_responsible_adult(request: Request) -> Decision:
    facts = request.facts
    if not facts.listed_adult:
        return refuse("CONF-4", "not listed on the account", CONFIDENTIAL)
    if not facts.subject_is_minor:
        return refuse(
            "CONF-4",
            "the account holder is no longer a minor",
            "This account belongs to an adult; only the account holder may see it.",
        )
    if not facts.identity_verified:
        return refuse(
            "CONF-4",
            "identity not verified",
            "Please show identification before we discuss the child's account.",
        )
    if request.category not in GUARDIAN_CATEGORIES:
        return refuse(
            "CONF-4",
            "a responsible adult sees account details, loans, holds and fines only",
            "A responsible adult can see the child's account details, loans, holds and fines only.",
        )
    if not _desk_handles(facts, request.category):
        return _NOT_THIS_ROLES_WORK
    return allow(
        "CONF-4",
        "listed responsible adult of a minor, identity verified",
        "Shown to the adult listed on the minor's account.",
    )


def _decide_presence(request: Request) -> Decision:
    facts = request.facts
    if facts.emergency:
        # FAC-6: staff may try to pass the message on, but say nothing of presence.
        return refuse(
            "FAC-6",
            "emergency message relay",
            "We can't say whether the person is here, but we will try to pass your message on.",
        )
    if request.requester is Requester.LAW_ENFORCEMENT:
        if not facts.identity_verified:
            return refuse(
                "FAC-3",
                "officer has not shown identification",
                "Please show your identification first.",
            )
        return allow(
            "FAC-3",
            "identified officer asking about presence",
            "Answer from your own observation whether the person was in the building; "
            "give no account information.",
        )
    if request.requester in (Requester.OTHER_PATRON, Requester.RESPONSIBLE_ADULT):
        return refuse(
            "FAC-5",
            "presence is not confirmed to another patron",
            "We can't confirm whether someone is in the building, "
            "but a staff member can help you look for them.",
        )
    if request.requester is Requester.ACCOUNT_HOLDER:
        return allow("FAC-1", "the person themself", "You may see your own visits.")
    return refuse("FAC-1", "presence is answered only to law enforcement", CONFIDENTIAL)
