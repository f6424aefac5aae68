"""Staff pages for incidents, bans, cameras, footage, stills and outside requests.

Views are thin: pages open by the role table (library.staff.staff_page), footage
opens only through the footage gate (facilities.access), patron names
only through privacy.access, and writes go through facilities.services. A
refusal anywhere raises Refused, which the middleware answers as "not found".
"""

import mimetypes
import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models.fields.files import FieldFile
from django.forms import BaseForm
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from facilities import access as gate
from facilities import forms, selectors, services
from facilities.models import Incident, IncidentPerson
from library.declarations import serves_patron_data
from library.params import positive_id
from library.roles import may
from library.staff import staff_page
from privacy.gate import NOT_FOUND_MESSAGE, Refused
from privacy.policy import Decision

PAGE_SIZE = 50


def _not_found(kind: str) -> Refused:
    return Refused(Decision(False, "CONF-1", f"no such {kind}", NOT_FOUND_MESSAGE))


def _add_errors(form: BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _incident_or_404(pk: int) -> Incident:
    incident = selectors.incident_get(pk=pk)
    if incident is None:
        raise _not_found("incident")
    return incident


def _file_response(field: FieldFile, name: str) -> FileResponse:
    extension = os.path.splitext(field.name or "")[1].lower()
    content_type = mimetypes.guess_type(f"x{extension}")[0] or "application/octet-stream"
    response = FileResponse(field.open("rb"), content_type=content_type)
    # A neutral name: the stored path is never shown.
    response["Content-Disposition"] = f'inline; filename="{name}{extension}"'
    return response


@staff_page()
def index(request: HttpRequest) -> HttpResponse:
    """Show the facilities pages this user's roles open."""
    can = {
        name: may(request.user, f"facilities.{name}")
        for name in [
            "view_incident",
            "view_ban",
            "view_camera",
            "view_recording",
            "add_outsiderequest",
            "view_outsiderequest",
        ]
    }
    return render(request, "facilities/index.html", {"can": can})


# Incidents (CONF-10)


@staff_page("facilities.view_incident")
def incident_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.incident_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "facilities/incident_list.html",
        {
            "page": page,
            "can_add": may(request.user, "facilities.add_incident"),
        },
    )


@staff_page("facilities.add_incident")
def incident_create(request: HttpRequest) -> HttpResponse:
    form = forms.IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_record(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Incident #{incident.pk} recorded.")
            return redirect("facilities:incident_detail", pk=incident.pk)
    return render(request, "facilities/form.html", {"form": form, "title": "Record an incident"})


def _identified_choices(people: list[selectors.PersonShown]) -> list[tuple[int, str]]:
    return [(shown.person.pk, shown.name) for shown in people if shown.identified]


@staff_page("facilities.view_incident")
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(pk)
    people = selectors.incident_people(user=request.user, incident=incident)
    identities, footage = selectors.incident_police_record(incident=incident)
    user = request.user
    return render(
        request,
        "facilities/incident_detail.html",
        {
            "incident": incident,
            "people": people,
            "stills": selectors.incident_stills(incident=incident),
            "bans": selectors.bans_for_incident(incident=incident),
            "identity_releases": identities,
            "footage_releases": footage,
            "now": timezone.now(),
            "person_form": forms.IncidentPersonForm()
            if may(user, "facilities.add_incidentperson")
            else None,
            "police_form": forms.PoliceIdentityForm(people=_identified_choices(people))
            if may(user, "facilities.add_policeidentityrelease") and _identified_choices(people)
            else None,
            "can_ban": may(user, "facilities.add_ban") and people,
            "can_release": may(user, "facilities.add_footagerelease"),
        },
    )


@require_POST
@staff_page("facilities.add_incidentperson")
def incident_person_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(pk)
    form = forms.IncidentPersonForm(request.POST)
    if form.is_valid():
        try:
            services.incident_person_add(actor=request.user, incident=incident, **form.cleaned_data)
        except Refused:
            # Logged by the gate; the same words whether the card exists or not.
            form.add_error("card_number", NOT_FOUND_MESSAGE)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Person added to the incident.")
            return redirect("facilities:incident_detail", pk=incident.pk)
    return render(
        request,
        "facilities/form.html",
        {"form": form, "title": f"Add a person to incident #{incident.pk}"},
    )


@require_POST
@staff_page("facilities.add_policeidentityrelease")
def incident_police(request: HttpRequest, pk: int) -> HttpResponse:
    """Give police the identity of a patron named in this incident (CONF-10)."""
    incident = _incident_or_404(pk)
    people = selectors.incident_people(user=request.user, incident=incident)
    form = forms.PoliceIdentityForm(request.POST, people=_identified_choices(people))
    if form.is_valid():
        data = form.cleaned_data
        person = IncidentPerson.objects.get(pk=data.pop("person"))
        try:
            services.police_identity_release(
                actor=request.user, incident=incident, person=person, **data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The release to police is recorded (CONF-10).")
            return redirect("facilities:incident_detail", pk=incident.pk)
    return render(
        request,
        "facilities/form.html",
        {"form": form, "title": f"Identify a person to police for incident #{incident.pk}"},
    )


# Bans


@staff_page("facilities.view_ban")
def ban_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.ban_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "facilities/ban_list.html",
        {
            "page": page,
            "bans": selectors.bans_shown(user=request.user, bans=page.object_list),
            "can_end": may(request.user, "facilities.change_ban"),
        },
    )


@staff_page("facilities.add_ban")
def ban_create(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(pk)
    people = selectors.incident_people(user=request.user, incident=incident)
    # The person harmed is never offered: bans are for those who broke the rules (CONF-10).
    choices = [(shown.person.pk, shown.name) for shown in people if shown.may_be_banned]
    form = forms.BanForm(request.POST or None, people=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = IncidentPerson.objects.get(pk=data.pop("person"), incident=incident)
        try:
            ban = services.ban_create(
                actor=request.user,
                person=person,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                all_branches=data["all_branches"],
                branches=data["branches"],
                note=data["note"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Ban #{ban.pk} recorded.")
            return redirect("facilities:incident_detail", pk=incident.pk)
    return render(
        request, "facilities/form.html", {"form": form, "title": f"Ban after incident #{pk}"}
    )


@require_POST
@staff_page("facilities.change_ban")
def ban_end(request: HttpRequest, pk: int) -> HttpResponse:
    ban = selectors.ban_get(pk=pk)
    if ban is None:
        raise _not_found("ban")
    try:
        services.ban_end(actor=request.user, ban=ban)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Ban #{ban.pk} has ended; its stills are no longer shared.")
    return redirect("facilities:ban_list")


# Cameras (CAM-1, CAM-2)


@staff_page("facilities.view_camera")
def camera_list(request: HttpRequest) -> HttpResponse:
    can_add = may(request.user, "facilities.add_camera")
    form = forms.CameraForm(request.POST or None) if can_add else None
    if request.method == "POST":
        if form is None:  # registering cameras is not this role's work (CAM-1)
            raise _not_found("page")
        if form.is_valid():
            try:
                camera = services.camera_register(**form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"Camera {camera.name} registered.")
                return redirect("facilities:camera_list")
    return render(
        request,
        "facilities/camera_list.html",
        {"cameras": selectors.camera_list(), "form": form},
    )


# Recordings and stills (CAM-3, CAM-4)


@staff_page("facilities.view_recording")
def recording_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.recording_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "facilities/recording_list.html", {"page": page})


@serves_patron_data
@login_required
def recording_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one recording to a designated viewer; the view is logged (CAM-3)."""
    recording = gate.view_recording(request, pk, purpose=gate.VIEW)
    return render(
        request,
        "facilities/recording_detail.html",
        {
            "recording": recording,
            "holds": selectors.recording_holds(recording=recording),
            "hold_form": forms.HoldForm(user=request.user)
            if may(request.user, "facilities.add_recordinghold")
            else None,
            "can_still": may(request.user, "facilities.add_still"),
        },
    )


@serves_patron_data
@login_required
def recording_file(request: HttpRequest, pk: int) -> FileResponse:
    """Stream a recording's file to a designated viewer; every fetch is logged (CAM-3)."""
    recording = gate.view_recording(request, pk, purpose=gate.PLAY)
    return _file_response(recording.file, f"recording-{recording.pk}")


@require_POST
@staff_page("facilities.add_recordinghold")
def recording_hold(request: HttpRequest, pk: int) -> HttpResponse:
    recording = gate.view_recording(request, pk, purpose=gate.HOLD)
    form = forms.HoldForm(request.POST, user=request.user)
    if form.is_valid():
        services.recording_hold_place(
            actor=request.user, recording=recording, incident=form.cleaned_data["incident"]
        )
        messages.success(request, "The recording is held for the incident.")
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("incident", [])))
    return redirect("facilities:recording_detail", pk=recording.pk)


@staff_page("facilities.add_still")
def still_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a still from a recording for an incident (CAM-4); opening the recording is logged."""
    recording = gate.view_recording(request, pk, purpose=gate.STILL)
    form = forms.StillForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            still = services.still_create(
                actor=request.user, recording=recording, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Still #{still.pk} kept for the incident.")
            return redirect("facilities:incident_detail", pk=still.incident_id)
    return render(
        request,
        "facilities/form.html",
        {"form": form, "title": f"Keep a still from recording #{recording.pk}", "files": True},
    )


@serves_patron_data
@login_required
def stills_shared(request: HttpRequest) -> HttpResponse:
    """Show staff the stills posted while their bans are in effect (CAM-4)."""
    return render(request, "facilities/stills_shared.html", {"stills": gate.shared_stills(request)})


@serves_patron_data
@login_required
def still_image(request: HttpRequest, pk: int) -> FileResponse:
    still = gate.view_still(request, pk, purpose=gate.STILL)
    return _file_response(still.image, f"still-{still.pk}")


# Outside requests and releases (CAM-5, CAM-6)


@staff_page("facilities.add_outsiderequest")
def request_create(request: HttpRequest) -> HttpResponse:
    """Record a request for footage from outside the library for the director (CAM-6)."""
    form = forms.OutsideRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.outside_request_record(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, "The request is recorded and goes to the library director (CAM-6)."
            )
            return redirect("facilities:index")
    return render(
        request,
        "facilities/form.html",
        {"form": form, "title": "Record a request for footage from outside the library"},
    )


@serves_patron_data
@login_required
def request_queue(request: HttpRequest) -> HttpResponse:
    gate.open_queue(request)
    return render(
        request,
        "facilities/request_queue.html",
        {
            "queued": selectors.outside_request_queue(),
            "decided": selectors.outside_requests_decided(),
        },
    )


def _release_initial(outside: Any) -> dict[str, Any]:
    if outside is None:
        return {"recipient_kind": "police"}
    return {
        "recipient_kind": outside.requester_kind,
        "recipient_name": outside.requester_name,
        "incident": outside.incident_id,
        "legal_order": outside.legal_order_id,
    }


@serves_patron_data
@login_required
def release_create(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Let the director release footage, for a queued request or for an incident (CAM-5/6)."""
    outside = gate.open_request(request, pk) if pk is not None else None
    if outside is None:
        gate.open_queue(request)
    initial = _release_initial(outside)
    incident = positive_id(request.GET.get("incident"))
    if outside is None and incident is not None:
        initial["incident"] = incident
    form = forms.ReleaseForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            release = services.footage_release(
                actor=request.user, outside_request=outside, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        except Refused as refused:
            # The director is told why; the refusal is already in the trail.
            decision = refused.decision
            form.add_error(None, f"Not released ({decision.clause}): {decision.message}")
        else:
            messages.success(request, f"Footage released under {release.clause}; logged.")
            return redirect("facilities:request_queue")
    return render(
        request,
        "facilities/release_form.html",
        {"form": form, "outside": outside, "decline_form": forms.DeclineForm()},
    )


@require_POST
@serves_patron_data
@login_required
def request_decline(request: HttpRequest, pk: int) -> HttpResponse:
    outside = gate.open_request(request, pk)
    form = forms.DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.outside_request_decline(
                actor=request.user, outside_request=outside, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Request #{outside.pk} declined.")
            return redirect("facilities:request_queue")
    else:
        messages.error(request, "Give the reason for declining.")
    return redirect(reverse("facilities:request_release", kwargs={"pk": outside.pk}))
