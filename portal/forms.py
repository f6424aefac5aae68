from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from library.models import Branch
from privacy.policy import DataCategory

LOGIN_FAILED = "That card number and password do not match. Please try again."


class PortalLoginForm(AuthenticationForm):
    """Log in with a library card number; the same message for a wrong card or a wrong password."""

    username = forms.CharField(
        label="Card number",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "numeric", "autocomplete": "username"}
        ),
    )
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": LOGIN_FAILED}


class SelfConsentForm(forms.Form):
    recipient = forms.CharField(max_length=200, label="Who may receive it")
    category = forms.ChoiceField(
        choices=[
            (c.value, c.label)
            for c in DataCategory
            if c.is_protected and c != DataCategory.READING_HISTORY
        ],
        label="What they may receive",
    )
    purpose = forms.CharField(max_length=255, label="What for")


class SearchInput(forms.TextInput):
    input_type = "search"


class SearchForm(forms.Form):
    """A search by words of a book's title or author.

    In the catalogue the terms are about the collection; in reading history they
    say what a patron read, so that search posts (library.search_terms).
    """

    q = forms.CharField(
        max_length=200,
        required=False,
        label="Title or author",
        widget=SearchInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["q"].label = label

    @property
    def terms(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


class HoldForm(forms.Form):
    pickup_branch = forms.ModelChoiceField(
        queryset=Branch.objects.order_by("name"),
        empty_label=None,
        label="Pick it up at",
    )
