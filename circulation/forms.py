from decimal import Decimal
from typing import Any

from django import forms
from django.forms.utils import ErrorDict

from circulation.models import Fine, FinePayment, FoundItem, ItemType, LoanRule, PatronCategory
from circulation.services import LOAN_DAYS_MAX, LOAN_DAYS_RANGE, MONEY_NOT_NEGATIVE
from library.models import Branch


def with_error(form: forms.Form, field: str, message: str) -> forms.Form:
    """Show `message` on an unbound form's field: the error, never the value that caused it.

    A scan answered with an error leaves the field empty, so the next scan is
    not glued to the bad one (the message quotes what was scanned instead).
    """
    errors = form.error_class(renderer=form.renderer, field_id=form[field].auto_id)
    errors.append(message)
    form._errors = ErrorDict({field: errors})  # type: ignore[attr-defined]
    return form


def focus(form: forms.Form, field: str, on: bool = True) -> forms.Form:
    """Give a field the page's focus, or take it away."""
    attrs = form.fields[field].widget.attrs
    if on:
        attrs["autofocus"] = True
    else:
        attrs.pop("autofocus", None)
    return form


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


class HoldForm(BarcodeForm):
    pickup_branch = forms.ModelChoiceField(
        label="Pick up at", queryset=Branch.objects.order_by("name"), empty_label=None
    )
    copy_only = forms.BooleanField(
        label="This copy only",
        required=False,
        help_text="Leave unticked to hold the title: the first copy free fills it.",
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount", max_digits=8, decimal_places=2, min_value=Decimal("0.01")
    )
    method = forms.ChoiceField(label="Paid by", choices=FinePayment.Method.choices)


class WaiveForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason"), *Fine.WaiveReason.choices],
    )


class ChargeForm(forms.Form):
    reason = forms.ChoiceField(
        label="Charge for",
        choices=[(Fine.Reason.LOST, "Lost"), (Fine.Reason.DAMAGED, "Damaged")],
    )
    amount = forms.DecimalField(
        label="Amount",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Leave empty to charge the replacement cost.",
    )


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


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0"),
        error_messages={"min_value": MONEY_NOT_NEGATIVE},
    )


class LoanRuleForm(forms.Form):
    """A loan rule as the person in charge edits it; services.loan_rule_save checks and saves."""

    item_type = forms.ChoiceField(label="Item type", choices=ItemType.choices)
    patron_category = forms.ChoiceField(
        label="Patron category",
        choices=[("", "Any patron"), *PatronCategory.choices],
        required=False,
        help_text="“Any patron” applies to every category without a rule of its own.",
    )
    loan_days = forms.IntegerField(
        label="Loan days",
        min_value=1,
        max_value=LOAN_DAYS_MAX,
        error_messages={"min_value": LOAN_DAYS_RANGE, "max_value": LOAN_DAYS_RANGE},
    )
    renewal_limit = forms.IntegerField(label="Renewals allowed", min_value=0, max_value=99)
    fine_per_day = _money("Fine per day ($)")
    max_fine = _money("Maximum fine ($)")

    @classmethod
    def for_rule(cls, rule: LoanRule) -> "LoanRuleForm":
        """Return the form filled in with a rule's values."""
        return cls(initial={name: getattr(rule, name) for name in cls.base_fields})
