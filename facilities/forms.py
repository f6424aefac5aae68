"""Forms for the facilities pages: they validate input; services do the writing."""

from typing import Any

from django import forms

from facilities.models import (
    Ban,
    Camera,
    Incident,
    IncidentPerson,
    Recording,
    Still,
)
from library.models import Branch
from privacy.models import LegalOrder
from privacy.policy.footage import Recipient

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


class StillForm(forms.Form):
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.all(),
        widget=forms.NumberInput,
        label="Incident number",
    )
    taken_at = forms.DateTimeField(widget=WHEN, label="Moment in the recording")
    image = forms.FileField(help_text="The image taken from the footage (JPEG, PNG or WebP).")
    caption = forms.CharField(
        max_length=255, required=False, help_text="What it shows. Do not name anyone."
    )
    ban = forms.ModelChoiceField(
        queryset=Ban.objects.all(),
        widget=forms.NumberInput,
        required=False,
        label="Share while this ban is in effect (ban number)",
    )


class HoldForm(forms.Form):
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.all(), widget=forms.NumberInput, label="Incident number"
    )


class OutsideRequestForm(forms.Form):
    requester_kind = forms.ChoiceField(choices=Recipient.choices, label="Who is asking")
    requester_name = forms.CharField(max_length=200, label="Agency, office or person")
    contact = forms.CharField(max_length=200, required=False)
    footage_wanted = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Which cameras, which times, and why"
    )
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.all(),
        widget=forms.NumberInput,
        required=False,
        label="Incident number, if any",
    )
    legal_order = forms.ModelChoiceField(
        queryset=LegalOrder.objects.all(),
        widget=forms.NumberInput,
        required=False,
        label="Legal order number, if one was served",
    )


class ReleaseForm(forms.Form):
    recording = forms.ModelChoiceField(
        queryset=Recording.objects.all(),
        widget=forms.NumberInput,
        required=False,
        label="Recording number",
    )
    portion_from = forms.DateTimeField(widget=WHEN, required=False, label="Portion from")
    portion_until = forms.DateTimeField(widget=WHEN, required=False, label="Portion until")
    still = forms.ModelChoiceField(
        queryset=Still.objects.all(), widget=forms.NumberInput, required=False, label="Still number"
    )
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.all(),
        widget=forms.NumberInput,
        required=False,
        label="For incident number (CAM-5, police only)",
    )
    legal_order = forms.ModelChoiceField(
        queryset=LegalOrder.objects.all(),
        widget=forms.NumberInput,
        required=False,
        label="Under legal order number (CAM-6)",
    )
    recipient_kind = forms.ChoiceField(choices=Recipient.choices, label="Released to")
    recipient_name = forms.CharField(max_length=200, label="Agency, office or person")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class DeclineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
