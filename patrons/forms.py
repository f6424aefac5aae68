from django import forms
from django.contrib.auth.forms import AuthenticationForm

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
