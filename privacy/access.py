"""The patron-data door of the gate: the only code that turns a policy decision into patron data.

Every read of protected patron data, by a page, the admin, an export or a
command, comes through here (CONF-1). This door establishes the facts from the
database and asks the patron-data rules (privacy.policy.patron); the gate core
(privacy.gate) writes an audit entry for the read whether it was allowed or
refused, and on refusal raises `Refused`, which says nothing: the middleware
answers it exactly as it answers a record that does not exist.

Grants held in django-guardian's tables (legal-order workers, contracted
agents) are read here with direct queries on the patron permission tables, not
through guardian's checker, because the checker lets superusers through and a
superuser gets no bypass of the privacy rules.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from audit.entries import NO_RECORD
from library.roles import Role, roles_of
from privacy import gate
from privacy.models import Consent, ContractedAgent, LegalOrder
from privacy.subjects import patron_grants, patron_model

if TYPE_CHECKING:
    from patrons.models import Patron, ResponsibleAdult
from privacy.policy import DataCategory, Decision, Purpose, Requester
from privacy.policy.patron import STAFF_CLAUSE, Facts, Request, decide, staff_operation_allows

UNKNOWN_PATRON = NO_RECORD


@dataclass(frozen=True)
class Asker:
    """Who the data would go to, and what they have shown."""

    requester: Requester
    roles: frozenset[Role] = frozenset()
    patron: Patron | None = None  # the asker's own patron record
    responsible_adult: ResponsibleAdult | None = None  # a listed adult who is not a patron
    # Whether this patron is a listed adult of the one subject asked about, read in
    # the query that found the subject (find_minor); None lets the gate read it.
    listed: bool | None = None
    identified: bool = False  # the holder's own login, or identification seen at the desk
    legal_order: LegalOrder | None = None
    agent: ContractedAgent | None = None
    recipient: str = ""  # a third party's name, for consent
    emergency: bool = False
    incident_in_scope: bool = False
    # The roles of the staff member answering this asker at a desk.
    relayed_by: frozenset[Role] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)  # ids recorded with the audit entry


def _identity_of(user: Any) -> tuple[ContractedAgent | None, int | None]:
    """Return the user's contracted agent and own patron id, looked up once per user object.

    Every gate call of a request starts here, so one query answers both.
    """
    cached: tuple[ContractedAgent | None, int | None] | None = getattr(
        user, "_library_identity", None
    )
    if cached is None:
        agent_id, patron_id = get_user_model().objects.filter(pk=user.pk).values_list(
            "contracted_agent", "patron"
        ).first() or (None, None)
        agent = ContractedAgent.objects.get(pk=agent_id) if agent_id else None
        cached = (agent, patron_id)
        user._library_identity = cached
    return cached


def asker_for_user(user: Any, subject: Patron | None) -> Asker:
    """Return who a logged-in user is with respect to the patron whose data they want."""
    roles = roles_of(user)
    if roles or getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return Asker(Requester.STAFF, roles=roles)
    if user is None or not user.is_authenticated:
        return Asker(Requester.THIRD_PARTY)
    agent, own_id = _identity_of(user)
    if agent is not None:
        return Asker(Requester.CONTRACTED_AGENT, agent=agent)
    if own_id is None:
        return Asker(Requester.THIRD_PARTY)
    own = patron_model()(pk=own_id)  # only its id is needed to decide
    if subject is not None and own_id == subject.pk:
        return Asker(Requester.ACCOUNT_HOLDER, patron=own, identified=True)
    # A patron reading someone else's record can only be claiming to be the
    # adult listed on a minor's account; the facts decide whether they are.
    return Asker(Requester.RESPONSIBLE_ADULT, patron=own, identified=True)


def _holds_patron_grant(user_id: int | None, patron: Patron, codename: str) -> bool:
    if user_id is None:
        return False
    return (
        patron_grants()
        ._default_manager.filter(
            user_id=user_id, content_object_id=patron.pk, permission__codename=codename
        )
        .exists()
    )


def _facts(
    *,
    actor: Any,
    asker: Asker,
    patron: Patron,
    category: DataCategory,
    purpose: Purpose,
    now: datetime.datetime,
) -> Facts:
    today = timezone.localdate(now)
    listed = False
    if asker.requester is Requester.RESPONSIBLE_ADULT:
        if asker.listed is not None:
            listed = asker.listed
        elif asker.responsible_adult is not None:
            listed = asker.responsible_adult.minor_id == patron.pk
        elif asker.patron is not None:
            listed = (
                patron_model()
                .objects.filter(pk=patron.pk, responsible_adults__adult_id=asker.patron.pk)
                .exists()
            )
    order_in_scope = False
    if asker.legal_order is not None and purpose is Purpose.LEGAL_ORDER:
        # Read the order afresh: whoever built the asker may hold a stale copy
        # of an order the director has since closed.
        categories = (
            LegalOrder.objects.in_force(now)
            .filter(pk=asker.legal_order.pk, patrons=patron.pk)
            .values_list("categories", flat=True)
            .first()
        )
        order_in_scope = bool(
            categories
            and category in categories
            # The staff member releasing must be one the order's grants name.
            and _holds_patron_grant(getattr(actor, "pk", None), patron, "disclose_under_order")
        )
    agent = asker.agent
    contract_in_scope = bool(
        agent is not None
        and agent.is_under_contract(today)
        and category in agent.categories
        and _holds_patron_grant(agent.user_id, patron, "disclose_as_agent")
    )
    consent_in_scope = bool(
        asker.recipient
        and Consent.objects.filter(
            patron_id=patron.pk,
            recipient__iexact=asker.recipient.strip(),
            category=category,
            withdrawn_at__isnull=True,
        ).exists()
    )
    return Facts(
        identity_verified=asker.identified,
        listed_adult=listed,
        subject_is_minor=patron.is_minor_on(today),
        staff_roles=asker.roles,
        legal_order_in_scope=order_in_scope,
        contract_in_scope=contract_in_scope,
        consent_in_scope=consent_in_scope,
        emergency=asker.emergency,
        desk_roles=asker.relayed_by,
        # CONF-10: only staff who handle incidents may hand an identity to police.
        incident_in_scope=asker.incident_in_scope
        and staff_operation_allows(roles_of(actor), DataCategory.IDENTITY, Purpose.INCIDENT),
    )


def _decision_for_unknown(asker: Asker, category: DataCategory, purpose: Purpose) -> Decision:
    """Decide as if the patron existed but nothing tied them to the asker.

    So a refusal reads the same whether or not the card number exists; only a
    requester the policy would serve anyway (staff in their operation) learns
    that there is no such record.
    """
    facts = Facts(
        identity_verified=asker.identified,
        staff_roles=asker.roles,
        emergency=asker.emergency,
        desk_roles=asker.relayed_by,
    )
    decision = decide(Request(asker.requester, category, purpose, facts))
    if decision.allowed:
        return gate.not_found("CONF-1", "no such patron")
    return decision


def _read(
    *,
    actor: Any,
    patron_id: int | None,
    category: DataCategory,
    purpose: Purpose,
    decision: Decision,
    asker: Asker,
) -> gate.Read:
    details: dict[str, Any] = {"requester": asker.requester.value}
    if asker.roles or asker.relayed_by:
        # Kept so the patron can later see which role read their record, without
        # learning the staff member's name; the gate adds the branch.
        details["roles"] = sorted(role.value for role in asker.roles or asker.relayed_by)
    if asker.legal_order is not None:
        details["legal_order"] = asker.legal_order.pk
    if asker.agent is not None:
        details["agent"] = asker.agent.pk
    details.update(asker.extra)
    return gate.Read(
        decision=decision,
        model=patron_model(),
        category=category.value,
        purpose=purpose.value,
        object_pk=str(patron_id) if patron_id is not None else UNKNOWN_PATRON,
        object_id=patron_id,
        details=details,
    )


def disclose(
    *,
    actor: Any,
    asker: Asker,
    patron: Patron | None,
    category: DataCategory,
    purpose: Purpose,
) -> Decision:
    """Decide one read of one patron's data, log it, and raise Refused unless it is allowed."""
    now = timezone.now()
    if patron is None:
        decision = _decision_for_unknown(asker, category, purpose)
    else:
        facts = _facts(
            actor=actor, asker=asker, patron=patron, category=category, purpose=purpose, now=now
        )
        decision = decide(Request(asker.requester, category, purpose, facts))
    read = _read(
        actor=actor,
        patron_id=patron.pk if patron else None,
        category=category,
        purpose=purpose,
        decision=decision,
        asker=asker,
    )
    gate.settle(actor, [read])
    return decision


def advise(*, actor: Any, asker: Asker, category: DataCategory, purpose: Purpose) -> Decision:
    """Decide and log a question that names no patron record (presence, watch requests).

    The answer is guidance for staff, never data, so a refusal raises nothing.
    """
    decision = decide(
        Request(
            asker.requester,
            category,
            purpose,
            Facts(
                identity_verified=asker.identified,
                staff_roles=asker.roles,
                emergency=asker.emergency,
            ),
        )
    )
    gate.record(
        actor,
        [
            _read(
                actor=actor,
                patron_id=None,
                category=category,
                purpose=purpose,
                decision=decision,
                asker=asker,
            )
        ],
    )
    return decision


def read(user: Any, patron: Patron | None, category: DataCategory, purpose: Purpose) -> Decision:
    """Decide and log a logged-in user's own read of a patron's data (portal, staff operation)."""
    return disclose(
        actor=user,
        asker=asker_for_user(user, patron),
        patron=patron,
        category=category,
        purpose=purpose,
    )


def read_many(
    user: Any, patron: Patron | None, categories: list[DataCategory], purpose: Purpose
) -> list[Decision]:
    """Decide and log a page's reads of several categories of one patron, in one append.

    Every read is logged, allowed or refused; then Refused is raised if any was refused.
    """
    asker = asker_for_user(user, patron)
    now = timezone.now()
    reads = []
    for category in categories:
        if patron is None:
            decision = _decision_for_unknown(asker, category, purpose)
        else:
            facts = _facts(
                actor=user, asker=asker, patron=patron, category=category, purpose=purpose, now=now
            )
            decision = decide(Request(asker.requester, category, purpose, facts))
        reads.append(
            _read(
                actor=user,
                patron_id=patron.pk if patron else None,
                category=category,
                purpose=purpose,
                decision=decision,
                asker=asker,
            )
        )
    return gate.settle(user, reads)


def find_patron(
    user: Any,
    *,
    category: DataCategory,
    purpose: Purpose,
    pk: int | str | None = None,
    card_number: str | None = None,
) -> Patron:
    """Return the patron asked for, read through the gate; Refused if absent or not allowed."""
    key = str(pk if pk is not None else card_number or "").strip()
    patron = None
    if key and (pk is None or key.isdigit()):
        lookup = {"pk": int(key)} if pk is not None else {"card_number": key}
        patron = patron_model().objects.select_related("home_branch").filter(**lookup).first()
    read(user, patron, category, purpose)
    assert patron is not None  # read() raised otherwise
    return patron


_ASKER_LISTED = "asker_listed"  # find_minor's annotation: the asker is listed on the account


def find_minor(user: Any, *, pk: int, category: DataCategory) -> Patron:
    """Return the minor a signed-in adult asks for, read through the gate (CONF-4).

    The asker claims to be a listed adult, so their own id is refused too. One
    query finds the patron and whether the asker is listed, so every refusal (a
    missing id, another's child, a grown-up, the asker's own) costs the same work.
    """
    asker = asker_for_user(user, None)  # a patron here is claiming to be a listed adult
    Patron = patron_model()
    found = Patron.objects.select_related("home_branch").filter(pk=pk)
    adult = asker.patron if asker.requester is Requester.RESPONSIBLE_ADULT else None
    if adult is not None:
        listed = Patron.objects.filter(pk=OuterRef("pk"), responsible_adults__adult_id=adult.pk)
        found = found.annotate(**{_ASKER_LISTED: Exists(listed)})
    patron = found.first()
    if patron is not None and adult is not None:
        asker = replace(asker, listed=getattr(patron, _ASKER_LISTED))
    disclose(actor=user, asker=asker, patron=patron, category=category, purpose=Purpose.GUARDIAN)
    assert patron is not None  # disclose() raised otherwise
    return patron


def record_list_read(
    user: Any,
    patron_ids: Iterable[int],
    category: DataCategory,
    purpose: Purpose,
    *,
    legal_order: LegalOrder | None = None,
) -> set[int]:
    """Log one read per patron a list page would show, in one append; return those it may show.

    The scope is derived here again (as `scoped_patrons` does, in one query)
    rather than trusted from the caller: ids outside it are logged as refused
    and left out of the returned set, which is what the page may show. Reads
    made for a legal order name it, so an order that forbids telling the patron
    hides exactly these reads from them (CONF-5).
    """
    ids = list(patron_ids)
    allowed: set[int] = set()
    if ids:
        allowed = set(
            scoped_patrons(user, category, purpose)
            .filter(pk__in=set(ids))
            .values_list("pk", flat=True)
        )
    asker = asker_for_user(user, None)
    if legal_order is not None:
        asker = replace(asker, legal_order=legal_order)
    shown = Decision(True, _list_clause(asker, purpose), "listed within the actor's scope", "")
    withheld = gate.not_found("CONF-1", "outside the actor's scope")
    gate.record(
        user,
        [
            _read(
                actor=user,
                patron_id=patron_id,
                category=category,
                purpose=purpose,
                decision=shown if patron_id in allowed else withheld,
                asker=asker,
            )
            for patron_id in ids
        ],
    )
    return allowed


def _list_clause(asker: Asker, purpose: Purpose) -> str:
    if purpose is Purpose.LEGAL_ORDER:
        return "CONF-5"
    if asker.requester is Requester.STAFF:
        return STAFF_CLAUSE.get(purpose, "CONF-3")
    if asker.requester is Requester.CONTRACTED_AGENT:
        return "CONF-7"
    if purpose is Purpose.LEGAL_ORDER:
        return "CONF-5"
    return "CONF-4"


def scoped_patrons(user: Any, category: DataCategory, purpose: Purpose) -> QuerySet[Patron]:
    """Return, as one query, the patrons whose `category` data this user may read for `purpose`.

    Each branch puts the facts the engine needs into the query's filter and
    asks the engine once whether those facts allow the read.
    """
    Patron = patron_model()
    patrons = Patron.objects.all()
    if user is None or not user.is_authenticated:
        return patrons.none()
    asker = asker_for_user(user, None)
    now = timezone.now()

    if asker.requester is Requester.STAFF:
        if purpose is Purpose.LEGAL_ORDER:
            orders = [
                order.pk
                for order in LegalOrder.objects.in_force(now)
                if order.covers_category(category)
            ]
            return patrons.filter(
                legal_orders__in=orders,
                patronuserobjectpermission__user_id=user.pk,
                patronuserobjectpermission__permission__codename="disclose_under_order",
            ).distinct()
        if staff_operation_allows(asker.roles, category, purpose):
            return patrons
        return patrons.none()

    if asker.requester is Requester.CONTRACTED_AGENT:
        agent = asker.agent
        assert agent is not None
        facts = Facts(
            contract_in_scope=agent.is_under_contract(timezone.localdate(now))
            and category in agent.categories
        )
        if not decide(Request(Requester.CONTRACTED_AGENT, category, purpose, facts)).allowed:
            return patrons.none()
        return patrons.filter(
            patronuserobjectpermission__user_id=user.pk,
            patronuserobjectpermission__permission__codename="disclose_as_agent",
        )

    own = _identity_of(user)[1]
    if own is None:
        return patrons.none()
    readable = []  # id subqueries, one per way this patron may read
    if decide(
        Request(Requester.ACCOUNT_HOLDER, category, purpose, Facts(identity_verified=True))
    ).allowed:
        readable.append(Patron.objects.filter(pk=own))
    guardian_facts = Facts(identity_verified=True, listed_adult=True, subject_is_minor=True)
    if decide(Request(Requester.RESPONSIBLE_ADULT, category, purpose, guardian_facts)).allowed:
        minors = Patron.objects.minors(timezone.localdate(now))
        readable.append(minors.filter(responsible_adults__adult_id=own))
    if not readable:
        return patrons.none()
    ids = [part.order_by().values("pk") for part in readable]
    # A UNION, not an OR of conditions: PostgreSQL cannot use an index for
    # "id = own OR id IN (...)" and would read every patron.
    return patrons.filter(pk__in=ids[0].union(*ids[1:], all=True) if len(ids) > 1 else ids[0])


def restrict_to_readable(
    queryset: QuerySet[Any],
    *,
    patron_path: str,
    user: Any,
    category: DataCategory,
    purpose: Purpose,
) -> QuerySet[Any]:
    """Narrow a queryset of patrons (patron_path "") or of their records to what `user` may read."""
    allowed = scoped_patrons(user, category, purpose)
    if allowed.query.is_empty():
        return queryset.none()
    if not allowed.query.where.children:  # every patron: add no filter at all
        return queryset
    lookup = f"{patron_path}__in" if patron_path else "pk__in"
    return queryset.filter(**{lookup: allowed.values("pk")})
