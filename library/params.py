"""Ids read straight from a request (a query string, a button's value), never trusted as typed."""

from django import forms
from django.core.exceptions import ValidationError

# The largest value a PostgreSQL bigint primary key holds.
MAX_ID = 2**63 - 1
_ID = forms.IntegerField(min_value=1, max_value=MAX_ID)


def positive_id(value: object) -> int | None:
    """Return the value as a database id, or None for anything that is not one."""
    try:
        return _ID.clean(value)
    except ValidationError:
        return None
