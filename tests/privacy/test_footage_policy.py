"""The footage rules, clause by clause (a table) and as properties over every request."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from library.roles import Role, views_footage
from privacy.policy.footage import (
    Action,
    FootageRequest,
    Recipient,
    decide,
)

A, R = Action, Recipient
GUARD, PIC, IT = Role.SECURITY_GUARD, Role.PERSON_IN_CHARGE, Role.IT_STAFF
DIRECTOR, DESK, AUDITOR = Role.DIRECTOR, Role.CIRCULATION, Role.AUDITOR


def ask(action, *roles, **facts):
    return decide(FootageRequest(action, roles=frozenset(roles), **facts))


# (action, roles, facts, allowed, clause)
TABLE = [
    # CAM-3: the three designated roles view footage; nobody else, the director included.
    (A.VIEW, [GUARD], {}, True, "CAM-3"),
    (A.VIEW, [PIC], {}, True, "CAM-3"),
    (A.VIEW, [IT], {}, True, "CAM-3"),
    (A.VIEW, [DIRECTOR], {}, False, "CAM-3"),
    (A.VIEW, [DESK], {}, False, "CAM-3"),
    (A.VIEW, [Role.REFERENCE], {}, False, "CAM-3"),
    (A.VIEW, [AUDITOR], {}, False, "CAM-3"),
    (A.VIEW, [], {}, False, "CAM-3"),  # a superuser with no role
    (A.VIEW, [], {"is_patron": True}, False, "CAM-3"),
    (A.VIEW, [DIRECTOR, PIC], {}, True, "CAM-3"),  # a director who is also the person in charge
    # CAM-3: viewing only from staff networks when a limit is set.
    (A.VIEW, [GUARD], {"on_staff_network": False}, False, "CAM-3"),
    # CAM-4: stills for all staff while the ban is in effect; viewers always.
    (A.VIEW_STILL, [DESK], {"still_shared": True}, True, "CAM-4"),
    (A.VIEW_STILL, [Role.REFERENCE], {"still_shared": True}, True, "CAM-4"),
    (A.VIEW_STILL, [DIRECTOR], {"still_shared": True}, True, "CAM-4"),
    (A.VIEW_STILL, [DESK], {"still_shared": False}, False, "CAM-4"),
    (A.VIEW_STILL, [DIRECTOR], {"still_shared": False}, False, "CAM-4"),
    (A.VIEW_STILL, [GUARD], {"still_shared": False}, True, "CAM-3"),
    (A.VIEW_STILL, [DESK], {"still_shared": True, "on_staff_network": False}, False, "CAM-3"),
    (A.VIEW_STILL, [], {"still_shared": True}, False, "CAM-3"),
    (A.VIEW_STILL, [], {"still_shared": True, "is_patron": True}, False, "CAM-3"),
    # CAM-6: every outside request goes to the director's queue.
    (A.QUEUE, [DIRECTOR], {}, True, "CAM-6"),
    (A.QUEUE, [PIC], {}, False, "CAM-6"),
    (A.QUEUE, [], {}, False, "CAM-6"),
    (A.QUEUE, [], {"is_patron": True}, False, "CAM-3"),
]

INCIDENT = {"recipient": R.POLICE, "tied_to_incident": True}
ORDER_OK = {"order_given": True, "order_in_force": True, "order_covers_footage": True}

RELEASES = [
    # CAM-5: the director, to police, for footage of a recorded on-premises incident.
    ([DIRECTOR], INCIDENT, True, "CAM-5"),
    ([DIRECTOR], {"recipient": R.POLICE, "tied_to_incident": False}, False, "CAM-5"),
    ([PIC], INCIDENT, False, "CAM-6"),
    ([GUARD], INCIDENT, False, "CAM-6"),
    ([], INCIDENT, False, "CAM-6"),  # a superuser with no role
    ([DIRECTOR], {"recipient": R.AGENCY, "tied_to_incident": True}, False, "CAM-6"),
    ([DIRECTOR], {"recipient": R.OTHER, "tied_to_incident": True}, False, "CAM-6"),
    # CAM-6: anyone else only under a valid order that covers the footage.
    ([DIRECTOR], {"recipient": R.AGENCY, **ORDER_OK}, True, "CAM-6"),
    ([DIRECTOR], {"recipient": R.COURT, **ORDER_OK}, True, "CAM-6"),
    ([DIRECTOR], {"recipient": R.POLICE, **ORDER_OK}, True, "CAM-6"),
    ([DIRECTOR], {"recipient": R.AGENCY, **ORDER_OK, "order_in_force": False}, False, "CAM-6"),
    (
        [DIRECTOR],
        {"recipient": R.AGENCY, **ORDER_OK, "order_covers_footage": False},
        False,
        "CAM-6",
    ),
    ([PIC], {"recipient": R.AGENCY, **ORDER_OK}, False, "CAM-6"),
    # CAM-3: never to a patron, not even with an order or an incident.
    ([DIRECTOR], {"recipient": R.PATRON, **ORDER_OK}, False, "CAM-3"),
    ([DIRECTOR], {"recipient": R.PATRON, "tied_to_incident": True}, False, "CAM-3"),
    ([], {"is_patron": True, **INCIDENT}, False, "CAM-3"),
]


@pytest.mark.parametrize(("action", "roles", "facts", "allowed", "clause"), TABLE)
def test_viewing_rules(action, roles, facts, allowed, clause):
    decision = ask(action, *roles, **facts)
    assert (decision.allowed, decision.clause) == (allowed, clause)


@pytest.mark.parametrize(("roles", "facts", "allowed", "clause"), RELEASES)
def test_release_rules(roles, facts, allowed, clause):
    decision = ask(A.RELEASE, *roles, **facts)
    assert (decision.allowed, decision.clause) == (allowed, clause)


def test_every_decision_has_a_clause_and_a_sentence():
    for action, roles, facts, _, _ in TABLE:
        decision = ask(action, *roles, **facts)
        assert decision.clause.startswith("CAM-") and decision.message and decision.basis


requests = st.builds(
    FootageRequest,
    action=st.sampled_from(list(Action)),
    roles=st.frozensets(st.sampled_from(list(Role))),
    is_patron=st.booleans(),
    on_staff_network=st.booleans(),
    still_shared=st.booleans(),
    recipient=st.none() | st.sampled_from(list(Recipient)),
    tied_to_incident=st.booleans(),
    order_given=st.booleans(),
    order_in_force=st.booleans(),
    order_covers_footage=st.booleans(),
)


@given(requests)
def test_nobody_without_a_role_gets_anything(request):
    if not request.roles:
        assert not decide(request).allowed


@given(requests)
def test_only_designated_viewers_watch_and_only_on_staff_networks(request):
    if request.action is Action.VIEW and decide(request).allowed:
        assert views_footage(request.roles) and request.on_staff_network


@given(requests)
def test_only_the_director_releases_and_only_with_an_incident_or_a_covering_order(request):
    if request.action is Action.RELEASE and decide(request).allowed:
        assert Role.DIRECTOR in request.roles
        assert request.recipient is not Recipient.PATRON
        by_order = request.order_in_force and request.order_covers_footage
        by_incident = request.recipient is Recipient.POLICE and request.tied_to_incident
        assert by_order or by_incident


@given(requests)
def test_a_still_reaches_non_viewers_only_while_shared(request):
    if (
        request.action is Action.VIEW_STILL
        and decide(request).allowed
        and not views_footage(request.roles)
    ):
        assert request.still_shared and request.on_staff_network
