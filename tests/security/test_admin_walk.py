"""Every admin screen of every registered model, as every role and a superuser with no role.

The walk is derived from Django itself: the admin registry gives the model
admins, each model admin's own URL patterns give its screens, and the model
graph gives every relation from a model to a patron or a login, which become
the query-string filters, the pre-filled add forms and the autocompletes that
are tried. For every answer, any patron whose card number, address or phone
appears in it must have been read through the gate, allowed, by that user, in
that request: patron data is never shown unlogged, nor to a role the policy
refuses (the gate only allows what the policy allows).
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import URLPattern

from audit.models import AuditEntry
from patrons.models import Patron
from tests.security.world import AUD, CIRC, DIR, GUARD, IT, PIC, REF, ROOT, isolated

pytestmark = pytest.mark.django_db
STAFF_KINDS = (CIRC, REF, PIC, GUARD, IT, DIR, AUD, ROOT)


def _registry():
    admin.site.get_urls()  # the site guards its model admins as it builds its URLs
    return dict(admin.site._registry)


def _people_fields(model):
    """Return the model's own relations that point at a patron or a login."""
    people = {Patron, get_user_model()}
    return [
        field
        for field in model._meta.get_fields()
        if field.is_relation and field.related_model in people and not field.auto_created
    ]


def _screens(model_admin, record, world):
    """Yield (method, address, data) for each screen of one model admin, and the tries on it."""
    base = f"/staff/admin/{model_admin.model._meta.app_label}/{model_admin.model._meta.model_name}"
    pk = record.pk if record is not None else None
    for pattern in model_admin.urls:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        view = pattern.name.rsplit("_", 1)[-1]
        if view == "changelist":
            yield "GET", f"{base}/", None
        elif view == "add":
            yield "GET", f"{base}/add/", None
        elif pk is not None and view in {"change", "history", "delete"}:
            suffix = "change/" if view == "change" else f"{view}/"
            yield "GET", f"{base}/{pk}/{suffix}", None
    people = [alice_kin for alice_kin in (world.alice, world.bob)]
    for field in _people_fields(model_admin.model):
        target = people[0] if field.related_model is Patron else people[0].user
        yield "GET", f"{base}/?{field.name}={target.pk}", None
        yield "GET", f"{base}/?{field.name}__isnull=False", None
        yield "GET", f"{base}/add/?{field.name}={target.pk}", None
        if field.related_model is Patron:
            yield "GET", f"{base}/?{field.name}__card_number={people[0].card_number}", None
            yield (
                "GET",
                "/staff/admin/autocomplete/",
                {
                    "app_label": model_admin.model._meta.app_label,
                    "model_name": model_admin.model._meta.model_name,
                    "field_name": field.name,
                    "term": people[0].last_name,
                },
            )
    yield "GET", f"{base}/?o=1.2.3", None
    yield "GET", f"{base}/?q={people[0].last_name}", None
    if pk is not None:
        # An admin action's confirmation page lists what it would act on.
        yield "POST", f"{base}/", {"action": "delete_selected", "_selected_action": [pk]}


def _marks(world):
    """Return, per patron of the world, strings on a page that would disclose them."""
    patrons = [world.alice, world.bob, world.carol, world.dan]
    return {
        patron.pk: [value for value in (patron.card_number, patron.email, patron.phone) if value]
        for patron in patrons
    }


def _ask(client, method, address, data):
    if method == "GET":
        return client.get(address, data)
    return client.post(address, data or {})


@pytest.mark.parametrize("kind", STAFF_KINDS)
def test_no_admin_screen_shows_a_patron_unless_the_gate_allowed_and_logged_it(world, kind):
    registry = _registry()
    user = world.users[kind]
    client = world.client(kind)
    marks = _marks(world)
    shown_unlogged = []
    tried = 0
    for model, model_admin in registry.items():
        record = world.admin.get(model._meta.label_lower)
        assert record is not None, f"tests/security/world.py has no {model._meta.label_lower}"
        for method, address, data in _screens(model_admin, record, world):
            tried += 1
            with isolated():
                head = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
                response = _ask(client, method, address, data)
                body = response.content.decode(errors="replace") if not response.streaming else ""
                allowed = set(
                    AuditEntry.objects.filter(
                        seq__gt=head or 0,
                        actor=user,
                        action=AuditEntry.Action.ACCESS,
                        decision="allowed",
                    ).values_list("object_id", flat=True)
                )
                transaction.set_rollback(True)
            for patron_id, values in marks.items():
                if patron_id not in allowed and any(value in body for value in values):
                    shown_unlogged.append(
                        f"{method} {address} {data or ''} as {kind}: patron {patron_id}"
                    )
    assert tried > 150
    assert shown_unlogged == []


def _unoffered_relations(model_admin, request):
    """Return the names of the model's relations, both ways, its change list does not filter by."""
    offered = model_admin.offered_filters(request)
    return [
        field.name
        for field in model_admin.model._meta.get_fields()
        if field.is_relation and field.name not in offered
    ]


def _lister(world, base):
    """Return the first of a superuser, the auditor and the director whose change list opens."""
    for kind in (ROOT, AUD, DIR):
        client = world.client(kind)
        with isolated():
            status = client.get(base).status_code
            transaction.set_rollback(True)
        if status == 200:
            return kind, client
    raise AssertionError(f"no one can open {base}")


def test_no_change_list_answers_a_filter_it_does_not_offer(world, rf):
    """A relation the list does not offer as a filter, either way round, is refused as a
    bad request to whoever may open the list: ?legal_orders=1 on the patron list would
    answer which patrons an order names without showing the order."""
    answered = []
    tried = 0
    for model, model_admin in _registry().items():
        base = f"/staff/admin/{model._meta.app_label}/{model._meta.model_name}/"
        kind, client = _lister(world, base)
        request = rf.get(base)
        request.user = world.users[kind]
        for name in _unoffered_relations(model_admin, request):
            for query in (f"{name}=1", f"{name}__isnull=False", f"{name}__id__gt=0"):
                tried += 1
                with isolated():
                    status = client.get(f"{base}?{query}").status_code
                    transaction.set_rollback(True)
                if status != 400:
                    answered.append(f"{base}?{query} as {kind} -> {status}")
    assert tried > 100
    assert answered == []


def test_no_change_list_takes_a_pattern_even_on_a_filter_it_offers(world, rf):
    answered = []
    for model, model_admin in _registry().items():
        base = f"/staff/admin/{model._meta.app_label}/{model._meta.model_name}/"
        kind, client = _lister(world, base)
        request = rf.get(base)
        request.user = world.users[kind]
        for name in sorted(model_admin.offered_filters(request)):
            with isolated():
                status = client.get(f"{base}?{name}__regex=.").status_code
                transaction.set_rollback(True)
            if status != 400:
                answered.append(f"{base}?{name}__regex=. as {kind} -> {status}")
    assert answered == []
