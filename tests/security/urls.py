"""Every URL pattern of the project, and a real address for each one in the security world."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.world import MISSING_ID, World


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the route itself for the admin's unnamed patterns
    route: str  # the pattern as written, prefixes included
    callback: object


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Route]:  # type: ignore[type-arg]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = f"{namespace}{pattern.name}" if pattern.name else route
            yield Route(key, route, pattern.callback)


def project_routes() -> dict[str, Route]:
    """Return every URL pattern of the project by key; keys are unique."""
    routes = list(_walk(get_resolver().url_patterns))
    by_key = {route.key: route for route in routes}
    assert len(by_key) == len(routes), "two URL patterns share a key"
    return by_key


_ADMIN_OBJECT = re.compile(r"^staff/admin/(\w+)/(\w+)/")
_PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _notice_template_id() -> int:
    from notices.models import NoticeTemplate
    from tests.notices.helpers import notice_templates

    notice_templates()  # a transactional test run earlier may have emptied the table
    return NoticeTemplate.objects.order_by("pk").values_list("pk", flat=True)[0]


def _values(key: str, route: str, world: World, missing: bool) -> dict[str, object]:
    """Return the value for each placeholder in this route: ids of the world's records."""
    w = world
    other = MISSING_ID if missing else None
    by_key: dict[str, dict[str, object]] = {
        "portal:password_reset_confirm": {"uidb64": w.reset_uid, "token": "set-password"},
        "portal:minor_account": {"pk": other or w.dan.pk},
        "portal:consent_withdraw": {"pk": other or w.consent.pk},
        "portal:loan_renew": {"pk": other or w.loan.pk},
        "portal:hold_cancel": {"pk": other or w.hold.pk},
        "portal:hold_place": {"pk": other or w.item_shelf.record.pk},
        "portal:reading_history_entry_delete": {"pk": other or w.history_entry.pk},
        "admin:view_on_site": {"content_type_id": w.item_type.pk, "object_id": w.item_out.pk},
        "admin:app_list": {"app_label": "patrons"},
        "staff/admin/(?P<url>.*)$": {"url": "no-such-screen/"},
        "privacy:order_decide": {"pk": other or w.order.pk, "action": "review"},
        "privacy:order_release_document": {"pk": w.order.pk, "release_pk": other or w.release.pk},
        "agent:account": {"pk": other or w.alice.pk},
        "audit:patron_history": {"pk": other or w.alice.pk},
        "audit:patron_history_export": {"pk": other or w.alice.pk},
        "audit:staff_activity": {"pk": other or w.users["circ"].pk},
        "audit:staff_activity_export": {"pk": other or w.users["circ"].pk},
        "circulation:desk_renew": {"pk": w.alice.pk},
        "circulation:desk_hold_cancel": {"pk": w.alice.pk, "hold_id": other or w.hold.pk},
        "circulation:desk_fine_pay": {"pk": w.alice.pk, "fine_id": other or w.fine.pk},
        "circulation:desk_fine_waive": {"pk": w.alice.pk, "fine_id": other or w.fine.pk},
        "circulation:desk_loan_checkin": {"pk": w.alice.pk},
        "circulation:desk_fine_charge": {"pk": w.alice.pk},
        "circulation:desk_hold_slip": {"hold_id": other or w.hold.pk},
        # The world holds no payment: every user gets the missing record's page.
        "circulation:desk_payment_receipt": {"payment_id": MISSING_ID},
        "circulation:found_match_pick": {"pk": w.found.pk, "patron_id": other or w.alice.pk},
        "circulation:loan_rule_edit": {"pk": other or w.admin["circulation.loanrule"].pk},
        "activity:computer_end": {"session_id": other or w.session.pk},
        "activity:event_signup_cancel": {"pk": w.event.pk, "signup_id": other or w.signup.pk},
    }
    if key in by_key:
        return by_key[key]
    if key == "notices:template_edit":
        return {"pk": other or _notice_template_id()}
    if match := _ADMIN_OBJECT.match(route):
        record = w.admin.get(f"{match[1]}.{match[2]}")
        if record is not None:
            pk = other or record.pk
            return {"object_id": pk, "id": pk, "pk": pk}
    namespace = key.split(":", 1)[0]
    pk_of = {
        "privacy:order": w.order,
        "privacy:agent": w.agent,
        "circulation:desk": w.alice,
        "patrons:": w.alice,
        "circulation:found": w.found,
        "activity:computers": w.alice,
        "activity:reference": w.alice,
        "activity:event": w.event,
        "facilities:incident": w.incident,
        "facilities:ban": w.incident if "incidents/" in route else w.ban,
        "facilities:recording": w.recording,
        "facilities:still": w.recording if "recordings/" in route else w.still,
        "facilities:request": w.outside,
    }
    name = key.split(":", 1)[-1]
    for prefix, record in pk_of.items():
        space, start = prefix.split(":")
        if namespace == space and name.startswith(start):
            return {"pk": other or record.pk}
    raise KeyError(f"no value for the placeholders of {key} ({route})")


def address(route: Route, world: World, *, missing: bool = False) -> str:
    """Return a real address for a route, with the world's ids (or a missing id) filled in."""
    placeholders = _PLACEHOLDER.findall(route.route)
    text = route.route
    if placeholders:
        values = _values(route.key, route.route, world, missing)
        for converter, name, regex_name in placeholders:
            value = values[name or regex_name]
            if regex_name:
                text = re.sub(rf"\(\?P<{regex_name}>[^)]*\)", str(value), text, count=1)
            else:
                spec = f"<{converter}:{name}>" if converter else f"<{name}>"
                text = text.replace(spec, str(value), 1)
    text = text.removeprefix("^").removesuffix("$").replace("^", "")
    return "/" + text
