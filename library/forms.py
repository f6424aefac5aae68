"""Form pieces several apps share: a period of days typed into a query string."""

import datetime
from typing import Any

from django import forms
from django.contrib.auth.models import User

DATE_ORDER = "The end date must be on or after the start date."
PERIOD_TOO_LONG = "Choose a period of at most {days} days."

# Days a period may name: bounded so that a day's midnight and the next day's
# exist in every time zone (Python's calendar ends on 9999-12-31).
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(9999, 12, 30)
DATE_OUT_OF_RANGE = f"Choose a date from {FIRST_DAY} to {LAST_DAY}."


def within_calendar(day: datetime.date) -> None:
    """Refuse a day outside FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(DATE_OUT_OF_RANGE, code="out_of_range")


class DateInput(forms.DateInput):
    input_type = "date"


class DateRangeForm(forms.Form):
    """A period of days, both ends optional and inclusive."""

    date_from = forms.DateField(
        required=False, label="From", widget=DateInput, validators=[within_calendar]
    )
    date_to = forms.DateField(
        required=False, label="To", widget=DateInput, validators=[within_calendar]
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(DATE_ORDER)
        return cleaned


class BoundedDateRangeForm(DateRangeForm):
    """A period of days with both ends needed and at most `max_days` days."""

    max_days = 366

    date_from = forms.DateField(label="From", widget=DateInput, validators=[within_calendar])
    date_to = forms.DateField(label="To", widget=DateInput, validators=[within_calendar])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and (end - start).days + 1 > self.max_days:
            raise forms.ValidationError(PERIOD_TOO_LONG.format(days=self.max_days))
        return cleaned


class OwnFactorForm(forms.Form):
    """What a staff member does to their own sign-in factors."""

    action = forms.ChoiceField(
        choices=[
            ("codes", "New recovery codes"),
            ("authenticator", "New authenticator"),
        ]
    )


class LoginFactorForm(forms.Form):
    """What the staff who manage logins do to another staff member's sign-in factors."""

    login = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Staff login", to_field_name="username"
    )
    action = forms.ChoiceField(
        choices=[
            ("authenticator", "Enrol a new authenticator"),
            ("revoke", "Revoke recovery codes"),
        ]
    )

    def __init__(self, *args: Any, logins: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].queryset = logins  # type: ignore[attr-defined]  # a ModelChoiceField
