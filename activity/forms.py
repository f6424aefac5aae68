from django import forms

from activity.models import ComputerSession, ReferenceConsultation
from library.models import Branch


class SessionStartForm(forms.Form):
    card_number = forms.CharField(
        label="Card number",
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    resource = forms.CharField(label="Computer or service", max_length=100)
    kind = forms.ChoiceField(label="Kind", choices=ComputerSession.Kind.choices)
    branch = forms.ModelChoiceField(label="Branch", queryset=Branch.objects.all())


class CardLookupForm(forms.Form):
    card_number = forms.CharField(
        label="Card number", max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class ConsultationForm(forms.ModelForm):
    card_number = forms.CharField(
        label="Card number",
        max_length=20,
        required=False,
        help_text="Only if the patron wants the question kept with their account.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = ReferenceConsultation
        fields = ["channel", "branch", "question", "answer"]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 3, "autofocus": True}),
            "answer": forms.Textarea(attrs={"rows": 3}),
        }
