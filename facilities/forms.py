"""Forms for the facilities pages: they validate input; services do the writing."""

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from facilities.models import (
    Ban,
    Camera,
    Incident,
    IncidentPerson,
    Recording,
    Still,
)
from library import dates
from library.models import Branch
from library.roles import may
from privacy.models import LegalOrder
from privacy.policy.footage import Recipient
from privacy.selectors import legal_orders_for
from privacy.services import OPEN_STATUSES

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CameraForm(forms.ModelForm):
    class Meta:
        model = Camera
        fields = ["branch", "name", "location_type", "location_description"]


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = [
            "occurred_at",
            "branch",
            "area",
            "kind",
            "description",
            "police_contacted",
            "police_report_number",
        ]
        widgets = {"occurred_at": WHEN}


class IncidentPersonForm(forms.Form):
    card_number = forms.CharField(
        max_length=20,
        required=False,
        help_text="The patron's library card number, when the person is a known patron.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Otherwise, describe the person (appearance, clothing).",
    )
    involvement = forms.ChoiceField(choices=IncidentPerson.Involvement.choices)


class PersonChoiceForm(forms.Form):
    """A form whose `person` choices are the people already shown through the gate."""

    person = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people  # type: ignore[attr-defined]


class PoliceIdentityForm(PersonChoiceForm):
    agency = forms.CharField(max_length=200)
    officer = forms.CharField(max_length=200, help_text="Name and badge number.")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class BanForm(PersonChoiceForm):
    starts_at = forms.DateTimeField(widget=WHEN, required=False, help_text="Empty for now.")
    ends_at = forms.DateTimeField(widget=WHEN)
    all_branches = forms.BooleanField(required=False, initial=True)
    branches = forms.ModelMultipleChoiceField(
        queryset=Branch.objects.all(), required=False, help_text="When not all branches."
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _when(moment: datetime.datetime) -> str:
    """Return a moment as staff read it: in the library's time zone."""
    return dates.moment(moment)


class IncidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"#{obj.pk}: {obj.get_kind_display()} at {obj.branch}, {_when(obj.occurred_at)}"


class RecordingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        camera = obj.camera
        return (
            f"#{obj.pk}: {camera.name} ({camera.branch}), "
            f"{_when(obj.starts_at)} to {_when(obj.ends_at)}"
        )


class StillChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"#{obj.pk}: {obj.camera.name}, {_when(obj.taken_at)}, incident #{obj.incident_id}"


class BanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # No name: the ban is chosen by number, incident and dates.
        return f"#{obj.pk}: incident #{obj.person.incident_id}, until {_when(obj.ends_at)}"


class OrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.issuing_authority})"


def incidents_for(user: Any) -> QuerySet[Incident]:
    """Return the incidents a user's role lists (CONF-10); none for roles without incidents."""
    if not may(user, "facilities.view_incident"):
        return Incident.objects.none()
    return Incident.objects.select_related("branch").order_by("-occurred_at", "-pk")


def recordings_for(user: Any) -> QuerySet[Recording]:
    """Return the recordings a user's role lists (CAM-3); none for roles without the list."""
    if not may(user, "facilities.view_recording"):
        return Recording.objects.none()
    return Recording.objects.select_related("camera__branch").order_by("-starts_at", "-pk")


def stills_for(user: Any, now: datetime.datetime | None = None) -> QuerySet[Still]:
    """Return the stills a user may name: an incident's stills to incident roles, else the shared.

    Only the still's number, camera and time are offered, never its image (CAM-3, CAM-4).
    """
    stills = Still.objects.select_related("camera").order_by("-taken_at", "-pk")
    if may(user, "facilities.view_incident"):
        return stills
    return stills.filter(ban__in=Ban.objects.in_effect(now or timezone.now()))


def bans_to_share_under(now: datetime.datetime | None = None) -> QuerySet[Ban]:
    """Return the bans a still may still be shared under: those not yet ended (CAM-4)."""
    return (
        Ban.objects.filter(ends_at__gt=now or timezone.now())
        .select_related("person")
        .order_by("-starts_at", "-pk")
    )


def open_orders_for(user: Any, now: datetime.datetime | None = None) -> QuerySet[LegalOrder]:
    """Return the orders a user may see that are open and not expired (CONF-5, CAM-6)."""
    return (
        legal_orders_for(user)
        .filter(status__in=OPEN_STATUSES, expires_at__gt=now or timezone.now())
        .order_by("-received_at")
    )


class StillForm(forms.Form):
    incident = IncidentChoiceField(queryset=Incident.objects.none(), label="Incident")
    taken_at = forms.DateTimeField(widget=WHEN, label="Moment in the recording")
    image = forms.FileField(help_text="The image taken from the footage (JPEG, PNG or WebP).")
    caption = forms.CharField(
        max_length=255, required=False, help_text="What it shows. Do not name anyone."
    )
    ban = BanChoiceField(
        queryset=Ban.objects.none(),
        required=False,
        label="Share while this ban is in effect",
        help_text="Only a ban arising from the same incident (CAM-4).",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "incident", incidents_for(user))
        _set_queryset(self, "ban", bans_to_share_under())


class HoldForm(forms.Form):
    incident = IncidentChoiceField(queryset=Incident.objects.none(), label="Incident")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "incident", incidents_for(user))


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class OutsideRequestForm(forms.Form):
    requester_kind = forms.ChoiceField(choices=Recipient.choices, label="Who is asking")
    requester_name = forms.CharField(max_length=200, label="Agency, office or person")
    contact = forms.CharField(max_length=200, required=False)
    footage_wanted = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Which cameras, which times, and why"
    )
    incident = IncidentChoiceField(
        queryset=Incident.objects.none(), required=False, label="Incident, if any"
    )
    legal_order = OrderChoiceField(
        queryset=LegalOrder.objects.none(),
        required=False,
        label="Legal order served, if it is on record",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        incidents = incidents_for(user)
        if incidents.query.is_empty():
            # Staff who do not handle incidents are not shown them (CONF-10); the
            # director links the request to one when deciding it.
            del self.fields["incident"]
        else:
            _set_queryset(self, "incident", incidents)
        _set_queryset(self, "legal_order", open_orders_for(user))


class ReleaseForm(forms.Form):
    recording = RecordingChoiceField(
        queryset=Recording.objects.none(), required=False, label="Recording"
    )
    portion_from = forms.DateTimeField(widget=WHEN, required=False, label="Portion from")
    portion_until = forms.DateTimeField(widget=WHEN, required=False, label="Portion until")
    still = StillChoiceField(queryset=Still.objects.none(), required=False, label="Or a still")
    incident = IncidentChoiceField(
        queryset=Incident.objects.none(),
        required=False,
        label="For incident (CAM-5, police only)",
    )
    legal_order = OrderChoiceField(
        queryset=LegalOrder.objects.none(),
        required=False,
        label="Under legal order (CAM-6)",
        help_text="Open orders only; one releases footage once the director marks it valid.",
    )
    recipient_kind = forms.ChoiceField(choices=Recipient.choices, label="Released to")
    recipient_name = forms.CharField(max_length=200, label="Agency, office or person")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "recording", recordings_for(user))
        _set_queryset(self, "still", stills_for(user))
        _set_queryset(self, "incident", incidents_for(user))
        _set_queryset(self, "legal_order", open_orders_for(user))


class DeclineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
