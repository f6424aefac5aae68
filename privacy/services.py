"""Writes of the privacy app: legal orders (CONF-5), contracted agents and consent (CONF-7)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from audit import rights
from library.models import Branch
from library.roles import Requirement, may, roles_of
from privacy import access, gate, records
from privacy.access import Asker
from privacy.models import (
    Consent,
    ContractedAgent,
    IdentityCheck,
    Inquiry,
    LegalOrder,
    LegalOrderRelease,
)
from privacy.policy import DataCategory, Decision, Purpose, Requester
from privacy.subjects import patron_grants, patron_model

if TYPE_CHECKING:
    from patrons.models import Patron

ORDER_GRANT = "patrons.disclose_under_order"
AGENT_GRANT = "patrons.disclose_as_agent"
# Contracting agents and assigning them accounts (CONF-7): by the role table, the director.
AGENTS = "privacy.add_contractedagent"

ONLY_DIRECTOR = "Only the library director can do this (CONF-5)."
ORDER_NOT_OPEN = "This order is already closed."
ORDER_EXPIRED = "This order's expiry date has passed; it cannot be made valid."
ORDER_NOT_IN_REVIEW = (
    "Only an order that is received or under review can be marked valid or rejected."
)
ORDER_NEEDS_SCOPE = "An order needs at least one patron and one category in its scope."
# The reasons the audit trail gives for an order's grants, made and revoked in bulk.
ORDER_GRANTED = "Granted the patrons an order in force names to a staff member working it."
ORDER_REVOKED = "Revoked when the order closed; grants another order in force needs stay."
CONSENT_NOT_FOR_HISTORY = (
    "Reading history is kept for the patron's own use and cannot be released with consent (CONF-9)."
)
CONSENT_NEEDS_ID_CHECK = (
    "Record the identity check before recording a consent at the desk (CONF-4)."
)
CONSENT_ALREADY_GIVEN = "This patron already consents to that recipient receiving that category."
AGENT_CATEGORY_NOT_HISTORY = "A contracted agent can never receive reading history (CONF-9)."

OPEN_STATUSES = {
    LegalOrder.Status.RECEIVED,
    LegalOrder.Status.UNDER_REVIEW,
    LegalOrder.Status.VALID,
}


def _require_director(user: Any, work: Requirement = Purpose.ORDER_REVIEW) -> None:
    # The role table says who reviews orders (CONF-5) and who contracts agents (CONF-7).
    if not may(user, work):
        raise ValidationError(ONLY_DIRECTOR, code="not_director")


@transaction.atomic
def legal_order_receive(
    *,
    received_by: User,
    kind: str,
    issuing_authority: str,
    requesting_agency: str,
    case_number: str,
    patrons: list[Patron],
    categories: list[str],
    records_from: datetime.date,
    records_until: datetime.date,
    expires_at: datetime.datetime,
    patron_may_be_told: bool = False,
    document: UploadedFile | None = None,
) -> LegalOrder:
    """Record a legal order as received; it releases nothing until the director marks it valid."""
    _require_director(received_by)
    if not patrons or not categories:
        raise ValidationError(ORDER_NEEDS_SCOPE, code="no_scope")
    order = LegalOrder(
        kind=kind,
        issuing_authority=issuing_authority,
        requesting_agency=requesting_agency,
        case_number=case_number,
        received_by=received_by,
        categories=sorted(set(categories)),
        records_from=records_from,
        records_until=records_until,
        expires_at=expires_at,
        patron_may_be_told=patron_may_be_told,
    )
    if document is not None:
        order.document = document
    order.full_clean()
    order.save()
    order.patrons.set(patrons)
    order.workers.add(received_by)
    return order


@transaction.atomic
def legal_order_start_review(*, order: LegalOrder, reviewer: User) -> LegalOrder:
    """Mark a received order as under review; from now on its scope is under legal hold."""
    _require_director(reviewer)
    order = LegalOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != LegalOrder.Status.RECEIVED:
        raise ValidationError(ORDER_NOT_IN_REVIEW, code="not_received")
    order.status = LegalOrder.Status.UNDER_REVIEW
    order.reviewed_by = reviewer
    order.save(update_fields=["status", "reviewed_by"])
    return order


@transaction.atomic
def legal_order_validate(*, order: LegalOrder, director: User, note: str = "") -> LegalOrder:
    """Mark an order valid and grant its workers access to the patrons in its scope."""
    _require_director(director)
    order = LegalOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in {LegalOrder.Status.RECEIVED, LegalOrder.Status.UNDER_REVIEW}:
        raise ValidationError(ORDER_NOT_IN_REVIEW, code="not_in_review")
    if order.expires_at <= timezone.now():
        raise ValidationError(ORDER_EXPIRED, code="expired")
    order.status = LegalOrder.Status.VALID
    order.reviewed_by, order.reviewed_at, order.review_note = director, timezone.now(), note
    order.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    order.workers.add(director)
    _grant_order(order)
    return order


def _grant_order_to(order: LegalOrder, worker: User) -> None:
    # The grants are what ties a worker to the patrons; expiry is still checked
    # against the order at every read, so a forgotten grant releases nothing.
    granted = assign_perm(ORDER_GRANT, worker, list(order.patrons.all()))  # type: ignore[arg-type]  # guardian bulk-assigns a list
    # guardian bulk-creates the grants, which no signal announces: one summary
    # says which order, which permission, to whom and how many, never whose (CONF-5).
    rights.record_grants(
        model=patron_grants(),
        granted=True,
        # guardian returns the new grants in a list (None when the order names no one).
        count=len(granted) if isinstance(granted, list) else 0,
        permission=ORDER_GRANT,
        grantee=worker,
        reason=ORDER_GRANTED,
        clause="CONF-5",
        details={"legal_order": order.pk},
    )


def _grant_order(order: LegalOrder) -> None:
    for worker in order.workers.all():
        _grant_order_to(order, worker)


def _revoke_order(order: LegalOrder) -> None:
    other_orders = LegalOrder.objects.in_force().exclude(pk=order.pk)
    for worker in order.workers.all():
        still_needed = other_orders.filter(workers=worker).values("patrons")
        grants = (
            patron_grants()
            ._default_manager.filter(
                user=worker,
                permission__codename="disclose_under_order",
                content_object__in=order.patrons.all(),
            )
            .exclude(content_object__in=still_needed)
        )
        # One summary per worker, as for the grants, not an entry naming each patron.
        with disable_auditlog():
            _, removed = grants.delete()
        rights.record_grants(
            model=patron_grants(),
            granted=False,
            count=removed.get(patron_grants()._meta.label, 0),
            permission=ORDER_GRANT,
            grantee=worker,
            reason=ORDER_REVOKED,
            clause="CONF-5",
            details={"legal_order": order.pk},
        )


@transaction.atomic
def legal_order_add_worker(*, order: LegalOrder, director: User, worker: User) -> LegalOrder:
    """Let another staff member release records under an order while it is in force."""
    _require_director(director)
    order.workers.add(worker)
    if order.status == LegalOrder.Status.VALID:
        _grant_order_to(order, worker)
    return order


@transaction.atomic
def legal_order_close(
    *, order: LegalOrder, director: User, status: str, note: str = ""
) -> LegalOrder:
    """Reject, fulfil or expire an order, ending its grants and its legal hold."""
    _require_director(director)
    order = LegalOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in OPEN_STATUSES:
        raise ValidationError(ORDER_NOT_OPEN, code="closed")
    if status == LegalOrder.Status.REJECTED and order.status == LegalOrder.Status.VALID:
        raise ValidationError(ORDER_NOT_IN_REVIEW, code="not_in_review")
    order.status = status
    if note:
        order.review_note = f"{order.review_note}\n{note}".strip()
    if order.reviewed_by_id is None:
        order.reviewed_by, order.reviewed_at = director, timezone.now()
    order.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    _revoke_order(order)
    return order


def legal_order_release(
    *, order: LegalOrder, actor: User, patron: Patron, category: DataCategory, note: str = ""
) -> tuple[LegalOrderRelease, dict[str, Any], Decision]:
    """Release one category of one patron's records under an order, within its dates (CONF-5)."""
    # The gate first, outside any transaction, so a refusal's audit entry stays.
    asker = Asker(Requester.LAW_ENFORCEMENT, legal_order=order)
    decision = access.disclose(
        actor=actor, asker=asker, patron=patron, category=category, purpose=Purpose.LEGAL_ORDER
    )
    payload = records.records_for_release(
        patron=patron,
        category=category,
        records_from=order.records_from,
        records_until=order.records_until,
    )
    release = LegalOrderRelease.objects.create(
        order=order,
        patron=patron,
        category=category,
        released_by=actor,
        records=len(payload["records"]),
        note=note,
    )
    payload["release"] = {
        "id": release.pk,
        "order": f"{order.get_kind_display()} {order.case_number}",
        "issuing_authority": order.issuing_authority,
        # In the library's own time zone, with its offset, as the printable release shows it.
        "released_at": timezone.localtime(release.released_at).isoformat(),
        "records_from": order.records_from.isoformat(),
        "records_until": order.records_until.isoformat(),
    }
    return release, payload, decision


def legal_order_release_records(*, release: LegalOrderRelease, actor: User) -> list[dict[str, Any]]:
    """Read again the records a release gave, through the gate and logged like it (CONF-5).

    For the printable release: the order must still be in force and the actor
    one of its workers, as for the release itself; otherwise Refused, logged.
    Records dated after the day of the release are left out: the document shows
    what the release gave, not what the order would cover today.
    """
    order = release.order
    asker = Asker(
        Requester.LAW_ENFORCEMENT,
        legal_order=order,
        extra={"release": release.pk, "document": "printable"},
    )
    access.disclose(
        actor=actor,
        asker=asker,
        patron=release.patron,
        category=DataCategory(release.category),
        purpose=Purpose.LEGAL_ORDER,
    )
    payload = records.records_for_release(
        patron=release.patron,
        category=release.category,
        records_from=order.records_from,
        records_until=min(order.records_until, timezone.localdate(release.released_at)),
    )
    released: list[dict[str, Any]] = payload["records"]
    return released


@transaction.atomic
def agent_register(
    *,
    director: User,
    name: str,
    purpose: str,
    categories: list[str],
    contract_start: datetime.date,
    contract_end: datetime.date,
    username: str,
) -> ContractedAgent:
    """Record an agent under contract and make the login its assigned accounts are granted to."""
    _require_director(director, AGENTS)
    if DataCategory.READING_HISTORY in categories:
        raise ValidationError(AGENT_CATEGORY_NOT_HISTORY, code="history")
    user = User(username=username)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    agent = ContractedAgent(
        name=name,
        purpose=purpose,
        categories=sorted(set(categories)),
        contract_start=contract_start,
        contract_end=contract_end,
        user=user,
    )
    agent.full_clean()
    agent.save()
    return agent


@transaction.atomic
def agent_assign(*, agent: ContractedAgent, patron: Patron, director: User) -> None:
    """Assign a patron's account to an agent; the contract's dates and categories still apply."""
    _require_director(director, AGENTS)
    assign_perm(AGENT_GRANT, agent.user, patron)


@transaction.atomic
def agent_unassign(*, agent: ContractedAgent, patron: Patron, director: User) -> None:
    """Take an account away from an agent."""
    _require_director(director, AGENTS)
    remove_perm(AGENT_GRANT, agent.user, patron)


@transaction.atomic
def identity_check_record(
    *,
    checked_by: User,
    document_kind: str,
    patron: Patron | None = None,
    responsible_adult: Any = None,
) -> IdentityCheck:
    """Record that staff saw someone's identification (CONF-4); never the document's number."""
    check = IdentityCheck(
        patron=patron,
        responsible_adult=responsible_adult,
        document_kind=document_kind,
        checked_by=checked_by,
    )
    check.full_clean()
    check.save()
    return check


@transaction.atomic
def consent_grant(
    *,
    patron: Patron,
    recipient: str,
    category: str,
    purpose: str,
    recorded_by: User,
    identity_check: IdentityCheck | None = None,
) -> Consent:
    """Record a patron's consent to one recipient receiving one category of data (CONF-7)."""
    if category == DataCategory.READING_HISTORY:
        raise ValidationError(CONSENT_NOT_FOR_HISTORY, code="history")
    by_patron_themself = patron.user_id is not None and patron.user_id == recorded_by.pk
    if not by_patron_themself and (identity_check is None or identity_check.patron_id != patron.pk):
        raise ValidationError(CONSENT_NEEDS_ID_CHECK, code="no_identity_check")
    recipient = " ".join(recipient.split())
    if Consent.objects.filter(
        patron=patron, recipient__iexact=recipient, category=category, withdrawn_at__isnull=True
    ).exists():
        raise ValidationError(CONSENT_ALREADY_GIVEN, code="duplicate")
    consent = Consent(
        patron=patron,
        recipient=recipient,
        category=category,
        purpose=purpose,
        recorded_by=recorded_by,
        identity_check=identity_check,
    )
    consent.full_clean()
    consent.save()
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, withdrawn_by: User) -> Consent:
    """Withdraw a consent from now on; what was released before stays released."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
    return consent


@dataclass(frozen=True)
class InquiryAnswer:
    inquiry: Inquiry
    decision: Decision
    category: DataCategory
    patron: Patron | None  # set only when the policy allows showing this patron's data
    release: LegalOrderRelease | None = None
    # Under a legal order: exactly the records the release recorded, inside the
    # order's dates (CONF-5); the desk shows these and nothing else.
    released: list[dict[str, Any]] | None = None
    named: bool = False  # the patron's name may be shown with the answer


# What each kind of desk question is about.
_INQUIRY_CATEGORY = {
    Inquiry.Kind.COMPUTER_USE: DataCategory.ONLINE_SERVICES,  # FAC-2
    Inquiry.Kind.PRESENCE_PICTURE: DataCategory.PRESENCE,  # FAC-3
    Inquiry.Kind.LOOKING_FOR_SOMEONE: DataCategory.PRESENCE,  # FAC-5
    Inquiry.Kind.EMERGENCY_MESSAGE: DataCategory.PRESENCE,  # FAC-6
    Inquiry.Kind.WATCH_REQUEST: DataCategory.PRESENCE,  # FAC-4
    Inquiry.Kind.FOUND_ITEM: DataCategory.IDENTITY,  # CONF-8
}


def _inquiry_purpose(
    kind: Inquiry.Kind, requester: Requester, legal_order: LegalOrder | None, recipient: str
) -> Purpose:
    if kind == Inquiry.Kind.WATCH_REQUEST:
        return Purpose.MONITORING
    if kind == Inquiry.Kind.FOUND_ITEM:
        return Purpose.FOUND_ITEM
    if requester is Requester.OPEN_RECORDS or kind == Inquiry.Kind.OPEN_RECORDS:
        return Purpose.OPEN_RECORDS
    if requester is Requester.RESPONSIBLE_ADULT:
        return Purpose.GUARDIAN
    if requester is Requester.LAW_ENFORCEMENT and legal_order is not None:
        return Purpose.LEGAL_ORDER
    if requester in (Requester.THIRD_PARTY, Requester.OTHER_PATRON) and recipient:
        return Purpose.CONSENT
    return Purpose.DESK_INQUIRY


def inquiry_answer(
    *,
    staff: User,
    requester: str,
    kind: str,
    card_number: str = "",
    category: str = DataCategory.CIRCULATION,
    identification_seen: bool = False,
    document_kind: str = "",
    adult_card_number: str = "",
    adult_name: str = "",
    legal_order: LegalOrder | None = None,
    recipient: str = "",
    branch: Branch | None = None,
    channel: str = "",
) -> InquiryAnswer:
    """Answer a question asked at a desk by the policy, record it, and say what may be shown."""
    inquiry_kind = Inquiry.Kind(kind)
    asked_by = (
        Requester.OPEN_RECORDS
        if inquiry_kind == Inquiry.Kind.OPEN_RECORDS
        else Requester(requester)
    )
    data_category = _INQUIRY_CATEGORY.get(
        inquiry_kind, DataCategory(category or DataCategory.CIRCULATION)
    )
    purpose = _inquiry_purpose(inquiry_kind, asked_by, legal_order, recipient.strip())
    patron = (
        patron_model().objects.filter(card_number=card_number.strip()).first()
        if card_number.strip()
        else None
    )
    # A patron's or an adult's identification counts only as a recorded check
    # naming the document seen (CONF-4); an officer's is the tick (FAC-3).
    seen = identification_seen and bool(document_kind)
    document = document_kind

    asker_patron, listed_adult = None, None
    identified = identification_seen
    if asked_by is Requester.ACCOUNT_HOLDER:
        asker_patron = patron
        identified = seen and patron is not None
        if identified and patron is not None:
            identity_check_record(checked_by=staff, document_kind=document, patron=patron)
    elif asked_by is Requester.RESPONSIBLE_ADULT:
        if adult_card_number.strip():
            asker_patron = (
                patron_model().objects.filter(card_number=adult_card_number.strip()).first()
            )
        elif patron is not None and adult_name.strip():
            listed_adult = patron.responsible_adults.filter(
                adult__isnull=True, adult_name__iexact=" ".join(adult_name.split())
            ).first()
        identified = seen and (asker_patron or listed_adult) is not None
        if identified:
            identity_check_record(
                checked_by=staff,
                document_kind=document,
                patron=asker_patron,
                responsible_adult=listed_adult,
            )

    asker = Asker(
        asked_by,
        patron=asker_patron,
        responsible_adult=listed_adult,
        identified=identified,
        legal_order=legal_order if purpose is Purpose.LEGAL_ORDER else None,
        recipient=recipient.strip(),
        emergency=inquiry_kind == Inquiry.Kind.EMERGENCY_MESSAGE,
        # Who answers matters as much as who asks: the patron later sees which
        # role read their record at a desk, and a role reads only its own work.
        relayed_by=roles_of(staff)
        if asked_by in (Requester.ACCOUNT_HOLDER, Requester.RESPONSIBLE_ADULT)
        else frozenset(),
        extra={"inquiry_kind": inquiry_kind.value},
    )
    release = None
    released: list[dict[str, Any]] | None = None
    shown = None
    named = False
    names_no_record = (
        data_category is DataCategory.PRESENCE
        or purpose
        in (
            Purpose.MONITORING,
            Purpose.OPEN_RECORDS,
        )
        or (purpose is Purpose.FOUND_ITEM and patron is None)
    )
    if names_no_record:
        decision = access.advise(actor=staff, asker=asker, category=data_category, purpose=purpose)
    elif purpose is Purpose.LEGAL_ORDER and legal_order is not None and patron is not None:
        try:
            release, payload, decision = legal_order_release(
                order=legal_order, actor=staff, patron=patron, category=data_category
            )
            released = payload["records"]
            shown = patron
        except gate.Refused as refused:
            decision = refused.decision
    else:
        try:
            decision = access.disclose(
                actor=staff, asker=asker, patron=patron, category=data_category, purpose=purpose
            )
            shown = patron
            named = data_category is DataCategory.IDENTITY
            if not named:
                # Naming the patron in the answer is a read of who they are, too:
                # made, and logged, only where that is allowed as well.
                try:
                    access.disclose(
                        actor=staff,
                        asker=asker,
                        patron=patron,
                        category=DataCategory.IDENTITY,
                        purpose=purpose,
                    )
                    named = True
                except gate.Refused:
                    named = False
        except gate.Refused as refused:
            decision = refused.decision

    inquiry = Inquiry.objects.create(
        staff=staff,
        branch=branch,
        channel=channel,
        kind=inquiry_kind,
        requester=asked_by,
        requester_identified=identified,
        patron=patron,
        legal_order=legal_order,
        allowed=decision.allowed,
        clause=decision.clause,
        answer=decision.message,
    )
    return InquiryAnswer(inquiry, decision, data_category, shown, release, released, named)
