from typing import Any

from django import forms

from circulation.models import FoundItem
from library.models import Branch


def _scanner(autofocus: bool = False) -> forms.TextInput:
    attrs: dict[str, Any] = {"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.TextInput(attrs=attrs)


class CardForm(forms.Form):
    card_number = forms.CharField(label="Card number", max_length=20, widget=_scanner(True))


class BarcodeForm(forms.Form):
    barcode = forms.CharField(label="Item barcode", max_length=20, widget=_scanner())

    def __init__(self, *args: Any, autofocus: bool = False, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["barcode"].label = label
        if autofocus:
            self.fields["barcode"].widget.attrs["autofocus"] = True


class BranchForm(forms.Form):
    branch = forms.ModelChoiceField(label="This desk's branch", queryset=Branch.objects.all())


class FoundItemForm(forms.ModelForm):
    barcode = forms.CharField(
        label="Item barcode", max_length=20, required=False, help_text="For a library item."
    )
    card_number = forms.CharField(
        label="Card number found on it",
        max_length=20,
        required=False,
        help_text="Used once to find the owner; it is not stored with the item.",
        widget=_scanner(),
    )

    class Meta:
        model = FoundItem
        fields = ["kind", "description", "branch", "finder_name", "finder_contact"]


class OwnerByNameForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)


class ContactForm(forms.Form):
    channel = forms.ChoiceField(
        label="Contact the owner by",
        choices=FoundItem.Channel.choices,
        widget=forms.RadioSelect,
    )
