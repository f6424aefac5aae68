"""The footage gate: every footage view, still view and release passes through here.

It establishes the facts (the asker's roles, whether they are a patron, the
staff-network limit, whether a still's ban is in effect, whether a legal
order is in force and covers the footage), asks facilities.policy, writes an
audit entry for every allowed and every refused access, and on refusal raises
privacy.access.Refused, which the middleware answers exactly like a record
that does not exist (CAM-3 to CAM-6).
"""

import datetime
import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from facilities import selectors
from facilities.models import (
    FootageOrderScope,
    FootageRelease,
    OutsideRequest,
    Recording,
    Still,
)
from facilities.policy import Action, FootageRequest, Recipient, decide
from library.net import client_ip
from library.roles import ROLE_PERMISSIONS, Role, roles_of
from patrons.models import Patron
from privacy import audit
from privacy.access import NOT_FOUND_MESSAGE, Refused
from privacy.models import AuditEntry
from privacy.policy import Decision

CATEGORY = "footage"

# The purposes written in the audit trail: a short word for what was done.
VIEW = "view"  # the page of one recording
PLAY = "play"  # the recording's file
STILL = "still"  # a still's image, or a recording opened to take a still from it
HOLD = "hold"  # a recording opened to hold it for an incident
SHARED = "shared"  # the staff page of shared stills
QUEUE = "queue"  # the director's queue of outside requests
RELEASE = "release"  # footage given outside the library


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Return the address ranges footage may be viewed from; empty means no limit (CAM-3)."""
    return [ipaddress.ip_network(net, strict=False) for net in settings.FOOTAGE_ALLOWED_NETWORKS]


def on_staff_network(request: HttpRequest) -> bool:
    """Return True if no network limit is set, or the client's address is inside it."""
    networks = allowed_networks()
    if not networks:
        return True
    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def _who(user: Any) -> tuple[frozenset[Role], bool]:
    """Return the user's staff roles and whether they are a patron without one."""
    roles = roles_of(user)
    if roles or not getattr(user, "is_authenticated", False):
        return roles, False
    return roles, Patron.objects.filter(user_id=user.pk).exists()


def _missing(kind: str) -> Decision:
    return Decision(False, "CAM-1", f"no such {kind}", NOT_FOUND_MESSAGE)


def _entry(
    *,
    actor: Any,
    model: type[models.Model],
    pk: int | None,
    found: bool,
    purpose: str,
    decision: Decision,
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=str(pk) if pk is not None else "-",
        object_id=pk if found else None,
        action=AuditEntry.Action.ACCESS,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        category=CATEGORY,
        purpose=purpose,
        clause=decision.clause,
        decision="allowed" if decision.allowed else "refused",
        additional_data={"basis": decision.basis, **(extra or {})},
    )


def _settle(entry: AuditEntry, decision: Decision) -> None:
    entry.save()
    if not decision.allowed:
        raise Refused(decision)


def view_recording(request: HttpRequest, pk: int, *, purpose: str = VIEW) -> Recording:
    """Return a recording for the requesting user to watch; log it; Refused otherwise (CAM-3)."""
    recording = Recording.objects.select_related("camera__branch").filter(pk=pk).first()
    roles, is_patron = _who(request.user)
    decision = decide(
        FootageRequest(
            Action.VIEW,
            roles=roles,
            is_patron=is_patron,
            on_staff_network=on_staff_network(request),
        )
    )
    if recording is None and decision.allowed:
        decision = _missing("recording")
    extra = {"camera": recording.camera_id} if recording else {}
    _settle(
        _entry(
            actor=request.user,
            model=Recording,
            pk=pk,
            found=recording is not None,
            purpose=purpose,
            decision=decision,
            extra=extra,
        ),
        decision,
    )
    assert recording is not None  # refused above otherwise
    return recording


def _still_request(
    request: HttpRequest, roles: frozenset[Role], is_patron: bool, shared: bool
) -> FootageRequest:
    return FootageRequest(
        Action.VIEW_STILL,
        roles=roles,
        is_patron=is_patron,
        on_staff_network=on_staff_network(request),
        still_shared=shared,
    )


def view_still(request: HttpRequest, pk: int, *, purpose: str = STILL) -> Still:
    """Return a still for the requesting user; log it; Refused otherwise (CAM-3, CAM-4)."""
    now = timezone.now()
    still = Still.objects.select_related("ban", "camera").filter(pk=pk).first()
    roles, is_patron = _who(request.user)
    shared = still is not None and still.is_shared(now)
    decision = decide(_still_request(request, roles, is_patron, shared))
    if still is None and decision.allowed:
        decision = _missing("still")
    extra = {"incident": still.incident_id, "ban": still.ban_id} if still else {}
    _settle(
        _entry(
            actor=request.user,
            model=Still,
            pk=pk,
            found=still is not None,
            purpose=purpose,
            decision=decision,
            extra=extra,
        ),
        decision,
    )
    assert still is not None
    return still


def shared_stills(request: HttpRequest, *, now: datetime.datetime | None = None) -> list[Still]:
    """Return the stills shared with all staff now, logging each one shown (CAM-4).

    Sharing is read from the ban's dates at this moment, so a still drops off
    the moment its ban ends, with no job to run.
    """
    now = now or timezone.now()
    roles, is_patron = _who(request.user)
    decision = decide(_still_request(request, roles, is_patron, shared=True))
    if not decision.allowed:
        _settle(
            _entry(
                actor=request.user,
                model=Still,
                pk=None,
                found=False,
                purpose=SHARED,
                decision=decision,
            ),
            decision,
        )
    stills = list(selectors.stills_shared(now=now))
    audit.chain_append_many(
        [
            _entry(
                actor=request.user,
                model=Still,
                pk=still.pk,
                found=True,
                purpose=SHARED,
                decision=decision,
                extra={"incident": still.incident_id, "ban": still.ban_id},
            )
            for still in stills
        ]
    )
    return stills


def _queue_decision(user: Any) -> Decision:
    roles, is_patron = _who(user)
    return decide(FootageRequest(Action.QUEUE, roles=roles, is_patron=is_patron))


def open_queue(request: HttpRequest) -> None:
    """Let the director into the queue of outside requests; log and refuse anyone else (CAM-6)."""
    decision = _queue_decision(request.user)
    _settle(
        _entry(
            actor=request.user,
            model=OutsideRequest,
            pk=None,
            found=False,
            purpose=QUEUE,
            decision=decision,
        ),
        decision,
    )


def open_request(request: HttpRequest, pk: int) -> OutsideRequest:
    """Return one queued outside request to the director; log it; Refused otherwise (CAM-6)."""
    outside = OutsideRequest.objects.select_related("incident", "legal_order").filter(pk=pk).first()
    decision = _queue_decision(request.user)
    if outside is None and decision.allowed:
        decision = _missing("request")
    _settle(
        _entry(
            actor=request.user,
            model=OutsideRequest,
            pk=pk,
            found=outside is not None,
            purpose=QUEUE,
            decision=decision,
        ),
        decision,
    )
    assert outside is not None
    return outside


def _tied_to_incident(release: FootageRelease) -> bool:
    incident = release.incident
    if incident is None:
        return False
    if release.still is not None:
        return release.still.incident_id == incident.pk
    return release.camera.branch_id == incident.branch_id


def _order_covers(release: FootageRelease) -> bool:
    return FootageOrderScope.objects.filter(
        order_id=release.legal_order_id,
        cameras=release.camera_id,
        starts_at__lte=release.portion_from,
        ends_at__gte=release.portion_until,
    ).exists()


def release_decision(
    *, actor: Any, release: FootageRelease, now: datetime.datetime | None = None
) -> Decision:
    """Return the policy's answer to this release, from the facts in the database (CAM-5, CAM-6)."""
    now = now or timezone.now()
    roles, is_patron = _who(actor)
    order = release.legal_order
    return decide(
        FootageRequest(
            Action.RELEASE,
            roles=roles,
            is_patron=is_patron,
            recipient=Recipient(release.recipient_kind),
            tied_to_incident=_tied_to_incident(release),
            order_given=order is not None,
            order_in_force=order is not None and order.is_in_force(now),
            order_covers_footage=order is not None and _order_covers(release),
        )
    )


def release(
    *,
    actor: Any,
    release: FootageRelease,
    perform: Callable[[Decision], FootageRelease],
) -> FootageRelease:
    """Decide a release of footage, log it, and let `perform` record it if allowed.

    The allowed release and its audit entry are written in one transaction; a
    refusal's entry is written on its own and Refused is raised.
    """
    decision = release_decision(actor=actor, release=release)
    footage: models.Model | None = release.still or release.recording
    with transaction.atomic():
        if decision.allowed:
            release = perform(decision)
        entry = _entry(
            actor=actor,
            model=Still if release.still_id else Recording,
            pk=footage.pk if footage else None,
            found=footage is not None,
            purpose=RELEASE,
            decision=decision,
            extra={
                "release": release.pk,
                "incident": release.incident_id,
                "legal_order": release.legal_order_id,
                "outside_request": release.outside_request_id,
                "recipient": release.recipient_kind,
            },
        )
        entry.save()
    if not decision.allowed:
        raise Refused(decision)
    return release


def require_role_permission(user: Any, permission: str) -> None:
    """Refuse, as not found, a user none of whose roles holds `permission`.

    Pages are opened by role, not by Django's permission check, so a
    superuser without a role gets no way in (CONF-1).
    """
    if not has_role_permission(user, permission):
        raise Refused(Decision(False, "CONF-1", "not part of this role's work", NOT_FOUND_MESSAGE))


def has_role_permission(user: Any, permission: str) -> bool:
    """Return True if one of the user's roles holds `permission` (to show a link or a form)."""
    return any(permission in ROLE_PERMISSIONS[role] for role in roles_of(user))
