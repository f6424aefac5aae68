"""Reads of the privacy app. Callers have already passed the gate for the patron and category."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from library.roles import Purpose, may
from privacy.models import (
    Consent,
    ContractedAgent,
    LegalOrder,
    LegalOrderQuerySet,
    LegalOrderRelease,
)
from privacy.subjects import patron_model

if TYPE_CHECKING:
    from patrons.models import Patron


def legal_orders_for(user: Any) -> LegalOrderQuerySet:
    """Return the orders a user may see: all of them for the director, else those they work on."""
    orders = LegalOrder.objects.select_related("received_by", "reviewed_by")
    if may(user, Purpose.ORDER_REVIEW):
        return orders
    return orders.filter(workers=user)


def legal_order_queue() -> QuerySet[LegalOrder]:
    """Return open orders, the ones awaiting the director first."""
    open_first = Q(status__in=[LegalOrder.Status.RECEIVED, LegalOrder.Status.UNDER_REVIEW])
    return LegalOrder.objects.filter(open_first | Q(status=LegalOrder.Status.VALID)).order_by(
        "status", "received_at"
    )


def releases_of(order: LegalOrder) -> QuerySet[LegalOrderRelease]:
    return order.releases.select_related("released_by").order_by("-released_at")


def agents() -> QuerySet[ContractedAgent]:
    return ContractedAgent.objects.select_related("user").order_by("name")


def agent_assigned_patrons(agent: ContractedAgent) -> QuerySet[Patron]:
    """Return the accounts assigned to an agent (the grants, whatever the contract's dates)."""
    return (
        patron_model()
        .objects.filter(
            patronuserobjectpermission__user_id=agent.user_id,
            patronuserobjectpermission__permission__codename="disclose_as_agent",
        )
        .order_by("card_number")
    )


def consents_of(patron: Patron) -> QuerySet[Consent]:
    return Consent.objects.filter(patron=patron).order_by("withdrawn_at", "-granted_at")
