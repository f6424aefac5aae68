"""Forms for the auditors' pages.

Names and card numbers are typed into POST forms and turned into ids, so no
card number or username of a patron ends up in an address, a browser history or
a server log; the pages themselves filter by id in the query string.
"""

import datetime

from django import forms

from audit.models import AuditEntry
from auditors.selectors import CLAUSE_IDS, EntryQuery
from library.forms import (  # noqa: F401 (the messages are read from here by tests)
    DATE_ORDER,
    DATE_OUT_OF_RANGE,
    PERIOD_TOO_LONG,
    BoundedDateRangeForm,
    DateRangeForm,
)
from privacy.policy import DataCategory

CHART_MAX_DAYS = 366

_ANY = [("", "Any")]
CATEGORY_CHOICES = _ANY + list(DataCategory.choices)
ACTION_CHOICES = _ANY + [(str(value), str(label)) for value, label in AuditEntry.Action.choices]
DECISION_CHOICES = [*_ANY, ("allowed", "Allowed"), ("refused", "Refused")]
CLAUSE_CHOICES = _ANY + [(clause, clause) for clause in CLAUSE_IDS]


class ChartForm(BoundedDateRangeForm):
    """The period of the reads-per-day chart: both ends needed, a year at most."""

    max_days = CHART_MAX_DAYS


class EntryFilterForm(DateRangeForm):
    """What an auditor types to filter the entry list (posted, then turned into ids)."""

    actor = forms.CharField(required=False, max_length=150, label="Actor's username")
    card_number = forms.CharField(required=False, max_length=20, label="Patron's card number")
    category = forms.ChoiceField(required=False, choices=CATEGORY_CHOICES)
    action = forms.ChoiceField(required=False, choices=ACTION_CHOICES)
    decision = forms.ChoiceField(required=False, choices=DECISION_CHOICES)
    clause = forms.ChoiceField(required=False, choices=CLAUSE_CHOICES)

    field_order = [
        "actor",
        "card_number",
        "category",
        "action",
        "decision",
        "clause",
        "date_from",
        "date_to",
    ]


class EntryQueryForm(DateRangeForm):
    """The entry list's filters as they arrive in the query string: ids, codes and dates."""

    actor = forms.IntegerField(required=False, min_value=1)
    patron = forms.IntegerField(required=False, min_value=1)
    category = forms.ChoiceField(required=False, choices=CATEGORY_CHOICES)
    action = forms.TypedChoiceField(
        required=False, choices=ACTION_CHOICES, coerce=int, empty_value=None
    )
    decision = forms.ChoiceField(required=False, choices=DECISION_CHOICES)
    clause = forms.ChoiceField(required=False, choices=CLAUSE_CHOICES)
    before = forms.IntegerField(required=False, min_value=1)
    after = forms.IntegerField(required=False, min_value=0)

    def query(self) -> EntryQuery:
        data = self.cleaned_data
        return EntryQuery(
            actor=data.get("actor"),
            patron=data.get("patron"),
            category=data.get("category") or "",
            action=data.get("action"),
            decision=data.get("decision") or "",
            clause=data.get("clause") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class PageForm(DateRangeForm):
    """A report's period and page cursor from the query string."""

    before = forms.IntegerField(required=False, min_value=1)
    after = forms.IntegerField(required=False, min_value=0)


class PatronFindForm(forms.Form):
    card_number = forms.CharField(max_length=20, label="Patron's card number")


def default_chart_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the chart's period when none is chosen: the last 30 days, today included."""
    return today - datetime.timedelta(days=29), today
