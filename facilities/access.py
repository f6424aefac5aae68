"""The footage gate: every footage view, still view and release passes through here.

It establishes the facts (the asker's roles, whether they are a patron, the
staff-network limit, whether a still's ban is in effect, whether a legal
order is in force and covers the footage), asks privacy.policy.footage, writes an
audit entry for every allowed and every refused access, and on refusal raises
privacy.gate.Refused, which the middleware answers exactly like a record
that does not exist (CAM-3 to CAM-6).
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from audit.entries import NO_RECORD
from facilities import selectors
from facilities.models import (
    FootageOrderScope,
    FootageRelease,
    OutsideRequest,
    Recording,
    Still,
)
from library.net import IPNetwork, client_address, parse_network
from library.roles import Role, roles_of
from patrons.models import Patron
from privacy import gate
from privacy.policy import Decision
from privacy.policy.footage import Action, FootageRequest, Recipient, decide

CATEGORY = "footage"

# The purposes written in the audit trail: a short word for what was done.
VIEW = "view"  # the page of one recording
PLAY = "play"  # the recording's file
STILL = "still"  # a still's image, or a recording opened to take a still from it
HOLD = "hold"  # a recording opened to hold it for an incident
SHARED = "shared"  # the staff page of shared stills
QUEUE = "queue"  # the director's queue of outside requests
RELEASE = "release"  # footage given outside the library


def allowed_networks() -> list[IPNetwork]:
    """Return the address ranges footage may be viewed from; empty means no limit (CAM-3)."""
    return [parse_network(net) for net in settings.FOOTAGE_ALLOWED_NETWORKS]


def on_staff_network(request: HttpRequest) -> bool:
    """Return True if no network limit is set, or the client's address is inside it."""
    networks = allowed_networks()
    if not networks:
        return True
    # The address the audit entry records, read by the same parser: an IPv4
    # client seen through an IPv6 socket counts as the IPv4 address it is.
    address = client_address(request)
    if address is None:
        return False
    return any(address in network for network in networks)


def _who(user: Any) -> tuple[frozenset[Role], bool]:
    """Return the user's staff roles and whether they are a patron without one."""
    roles = roles_of(user)
    if roles or not getattr(user, "is_authenticated", False):
        return roles, False
    return roles, Patron.objects.filter(user_id=user.pk).exists()


def _missing(kind: str) -> Decision:
    return gate.not_found("CAM-1", f"no such {kind}")


def _read(
    *,
    model: type[models.Model],
    pk: int | None,
    found: bool,
    purpose: str,
    decision: Decision,
    extra: dict[str, Any] | None = None,
) -> gate.Read:
    return gate.Read(
        decision=decision,
        model=model,
        category=CATEGORY,
        purpose=purpose,
        object_pk=str(pk) if pk is not None else NO_RECORD,
        object_id=pk if found else None,
        details=extra or {},
    )


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
    gate.settle(
        request.user,
        [
            _read(
                model=Recording,
                pk=pk,
                found=recording is not None,
                purpose=purpose,
                decision=decision,
                extra=extra,
            )
        ],
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
    gate.settle(
        request.user,
        [
            _read(
                model=Still,
                pk=pk,
                found=still is not None,
                purpose=purpose,
                decision=decision,
                extra=extra,
            )
        ],
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
        gate.settle(
            request.user,
            [
                _read(
                    model=Still,
                    pk=None,
                    found=False,
                    purpose=SHARED,
                    decision=decision,
                )
            ],
        )
    stills = list(selectors.stills_shared(now=now))
    gate.record(
        request.user,
        [
            _read(
                model=Still,
                pk=still.pk,
                found=True,
                purpose=SHARED,
                decision=decision,
                extra={"incident": still.incident_id, "ban": still.ban_id},
            )
            for still in stills
        ],
    )
    return stills


def _queue_decision(user: Any) -> Decision:
    roles, is_patron = _who(user)
    return decide(FootageRequest(Action.QUEUE, roles=roles, is_patron=is_patron))


def open_queue(request: HttpRequest) -> None:
    """Let the director into the queue of outside requests; log and refuse anyone else (CAM-6)."""
    decision = _queue_decision(request.user)
    gate.settle(
        request.user,
        [
            _read(
                model=OutsideRequest,
                pk=None,
                found=False,
                purpose=QUEUE,
                decision=decision,
            )
        ],
    )


def open_request(request: HttpRequest, pk: int) -> OutsideRequest:
    """Return one queued outside request to the director; log it; Refused otherwise (CAM-6)."""
    outside = OutsideRequest.objects.select_related("incident", "legal_order").filter(pk=pk).first()
    decision = _queue_decision(request.user)
    if outside is None and decision.allowed:
        decision = _missing("request")
    gate.settle(
        request.user,
        [
            _read(
                model=OutsideRequest,
                pk=pk,
                found=outside is not None,
                purpose=QUEUE,
                decision=decision,
            )
        ],
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

    def describe(done: FootageRelease | None) -> gate.Read:
        shown = done or release
        return _read(
            model=Still if shown.still_id else Recording,
            pk=footage.pk if footage else None,
            found=footage is not None,
            purpose=RELEASE,
            decision=decision,
            extra={
                "release": shown.pk,
                "incident": shown.incident_id,
                "legal_order": shown.legal_order_id,
                "outside_request": shown.outside_request_id,
                "recipient": shown.recipient_kind,
            },
        )

    return gate.settle_write(actor, decision, perform=lambda: perform(decision), describe=describe)
