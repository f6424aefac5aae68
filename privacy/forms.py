from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from library.models import Branch
from privacy.models import IdentityCheck, Inquiry, LegalOrder
from privacy.policy import DataCategory, Requester
from privacy.selectors import legal_orders_for

PROTECTED_CHOICES = [(c.value, c.label) for c in DataCategory if c.is_protected]
CARD_NUMBERS_HELP = "One card number per line, as the order names them."
BAD_CARD_LIST = "Enter card numbers of digits only, one per line."
DATES_REVERSED = "The end of the records' date range must not be before its start."
EXPIRY_IN_PAST = "The expiry must be in the future."


class CardNumberField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", "Card number")
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})


class LegalOrderForm(forms.Form):
    kind = forms.ChoiceField(choices=LegalOrder.Kind.choices)
    issuing_authority = forms.CharField(max_length=200, label="Issuing court or authority")
    requesting_agency = forms.CharField(max_length=200)
    case_number = forms.CharField(max_length=100)
    document = forms.FileField(required=False, help_text="A scan of the order (PDF).")
    card_numbers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text=CARD_NUMBERS_HELP
    )
    categories = forms.MultipleChoiceField(
        choices=PROTECTED_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    records_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    records_until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    expires_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    # Off unless ticked: an order that says nothing is treated as a gag order (CONF-5).
    patron_may_be_told = forms.BooleanField(
        required=False, initial=False, label="The order allows telling the patron"
    )

    def clean_card_numbers(self) -> list[str]:
        numbers = [
            line.strip() for line in self.cleaned_data["card_numbers"].splitlines() if line.strip()
        ]
        if not numbers or not all(number.isdigit() and len(number) <= 20 for number in numbers):
            raise forms.ValidationError(BAD_CARD_LIST)
        return sorted(set(numbers))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("records_from"), data.get("records_until")
        if start and end and end < start:
            self.add_error("records_until", DATES_REVERSED)
        expires = data.get("expires_at")
        if expires and expires <= timezone.now():
            self.add_error("expires_at", EXPIRY_IN_PAST)
        return data


class OrderDecisionForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class OrderWorkerForm(forms.Form):
    worker = forms.ModelChoiceField(queryset=User.objects.filter(is_staff=True, is_active=True))


class ReleaseForm(forms.Form):
    patron = forms.TypedChoiceField(coerce=int, label="Patron in the order's scope")
    category = forms.ChoiceField(choices=PROTECTED_CHOICES)
    note = forms.CharField(max_length=2000, required=False)

    def __init__(
        self, *args: Any, order: LegalOrder, scope: list[Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Offered by card number only when the page could read the patron's
        # identity; otherwise by record number.
        readable = {patron.pk for patron in scope} if scope is not None else None
        patron_field = self.fields["patron"]
        category_field = self.fields["category"]
        assert isinstance(patron_field, forms.ChoiceField)
        assert isinstance(category_field, forms.ChoiceField)
        patron_field.choices = [
            (p.pk, p.card_number if readable is None or p.pk in readable else f"patron #{p.pk}")
            for p in order.patrons.all()
        ]
        category_field.choices = [c for c in PROTECTED_CHOICES if c[0] in order.categories]


class AgentForm(forms.Form):
    name = forms.CharField(max_length=200)
    purpose = forms.CharField(max_length=255)
    categories = forms.MultipleChoiceField(
        choices=[c for c in PROTECTED_CHOICES if c[0] != DataCategory.READING_HISTORY],
        widget=forms.CheckboxSelectMultiple,
    )
    contract_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    contract_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    username = forms.CharField(max_length=150, label="Login name for the agent")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("contract_start"), data.get("contract_end")
        if start and end and end < start:
            self.add_error("contract_end", DATES_REVERSED)
        return data


class CardForm(forms.Form):
    card_number = CardNumberField()


class ConsentForm(forms.Form):
    recipient = forms.CharField(max_length=200)
    category = forms.ChoiceField(
        choices=[c for c in PROTECTED_CHOICES if c[0] != DataCategory.READING_HISTORY]
    )
    purpose = forms.CharField(max_length=255)
    document_kind = forms.ChoiceField(
        choices=IdentityCheck.Document.choices, label="Identification the patron showed"
    )


DESK_REQUESTERS = [
    (Requester.ACCOUNT_HOLDER.value, "The account holder"),
    (Requester.RESPONSIBLE_ADULT.value, "A parent or guardian of a minor"),
    (Requester.LAW_ENFORCEMENT.value, "A law enforcement officer"),
    (Requester.OTHER_PATRON.value, "Another patron or member of the public"),
    (Requester.THIRD_PARTY.value, "A business, agency or the press"),
    (Requester.OPEN_RECORDS.value, "Someone making an open-records request"),
]
NEEDS_CARD = "Enter the card number of the patron they are asking about."
NEEDS_DOCUMENT_KIND = "Choose the kind of photo identification you saw (CONF-4)."
NEEDS_ADULT = "Enter the adult's own card number, or their name as listed on the child's account."


# The details each desk question needs, beyond who asks and what (the rest are
# neither shown nor read for it). Account questions need the card asked about and
# the asker's identification (CONF-4); an officer's picture question needs only the
# officer's identification (FAC-3); presence, messages, watch and open-records
# questions name no patron (FAC-4 to FAC-6, CONF-2).
ACCOUNT_DETAILS = ("card_number", "identification_seen", "document_kind")
QUESTION_FIELDS: dict[str, tuple[str, ...]] = {
    Inquiry.Kind.ACCOUNT_DATA: ("card_number", "category"),
    Inquiry.Kind.COMPUTER_USE: ("card_number",),
    Inquiry.Kind.PRESENCE_PICTURE: ("identification_seen",),
    Inquiry.Kind.LOOKING_FOR_SOMEONE: (),
    Inquiry.Kind.EMERGENCY_MESSAGE: (),
    Inquiry.Kind.FOUND_ITEM: ("card_number",),
    Inquiry.Kind.OPEN_RECORDS: (),
    Inquiry.Kind.WATCH_REQUEST: (),
}
# What each asker adds to a question about an account.
REQUESTER_FIELDS: dict[str, tuple[str, ...]] = {
    Requester.ACCOUNT_HOLDER: ("identification_seen", "document_kind"),
    Requester.RESPONSIBLE_ADULT: (
        "identification_seen",
        "document_kind",
        "adult_card_number",
        "adult_name",
    ),
    Requester.LAW_ENFORCEMENT: ("legal_order",),
    Requester.OTHER_PATRON: ("recipient",),
    Requester.THIRD_PARTY: ("recipient",),
    Requester.OPEN_RECORDS: (),
}
QUESTION_CHOICE_FIELDS = ("branch", "channel", "requester", "kind")


def question_details(kind: str | None, requester: str | None) -> tuple[str, ...]:
    """Return the detail fields a question needs, in form order."""
    needed = set(QUESTION_FIELDS.get(kind or "", ()))
    if kind in InquiryForm.ACCOUNT_KINDS:
        needed |= set(REQUESTER_FIELDS.get(requester or "", ()))
    return tuple(name for name in InquiryForm.DETAIL_FIELDS if name in needed)


def needs_by_question() -> dict[str, dict[str, list[str]]]:
    """Return, for the desk's script, the details each kind of question needs by asker."""
    return {
        kind: {
            requester: list(question_details(kind, requester))
            for requester in ["", *(value for value, _ in DESK_REQUESTERS)]
        }
        for kind in Inquiry.Kind.values
    }


class InquiryForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=Branch.objects.all(), label="Branch")
    channel = forms.ChoiceField(choices=Inquiry.Channel.choices, label="Asked by")
    requester = forms.ChoiceField(
        choices=[("", "Choose who is asking"), *DESK_REQUESTERS], label="Who is asking?"
    )
    kind = forms.ChoiceField(
        choices=[("", "Choose the question"), *Inquiry.Kind.choices],
        label="What are they asking?",
    )
    card_number = CardNumberField(required=False, label="Card number of the patron asked about")
    category = forms.ChoiceField(
        choices=PROTECTED_CHOICES,
        required=False,
        initial=DataCategory.CIRCULATION,
        label="Which account information",
    )
    identification_seen = forms.BooleanField(
        required=False, label="I have seen their photo identification"
    )
    document_kind = forms.ChoiceField(
        choices=[("", "—"), *IdentityCheck.Document.choices],
        required=False,
        label="Kind of identification",
    )
    adult_card_number = CardNumberField(
        required=False, label="The adult's own card number (if a patron)"
    )
    adult_name = forms.CharField(
        max_length=200, required=False, label="The adult's name (if not a patron)"
    )
    legal_order = forms.ModelChoiceField(
        queryset=LegalOrder.objects.none(),
        required=False,
        label="Court order or subpoena presented",
    )
    recipient = forms.CharField(
        max_length=200, required=False, label="Their organisation (for consent)"
    )

    ACCOUNT_KINDS = {Inquiry.Kind.ACCOUNT_DATA, Inquiry.Kind.COMPUTER_USE}
    DETAIL_FIELDS = (
        "card_number",
        "category",
        "identification_seen",
        "document_kind",
        "adult_card_number",
        "adult_name",
        "legal_order",
        "recipient",
    )
    # Empty values of the detail fields: what a question that does not need one reads.
    BLANK: dict[str, Any] = {
        "card_number": "",
        "category": "",
        "identification_seen": False,
        "document_kind": "",
        "adult_card_number": "",
        "adult_name": "",
        "legal_order": None,
        "recipient": "",
    }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        order_field = self.fields["legal_order"]
        assert isinstance(order_field, forms.ModelChoiceField)
        # CONF-5: an order's case number is for the staff working it and the
        # director, so the desk offers only those; another id posted gets the
        # answer a missing one gets ("not a valid choice").
        order_field.queryset = legal_orders_for(user).in_force()

    def chosen(self, name: str) -> str:
        """Return the question's kind or requester as submitted, else as first offered."""
        if self.is_bound:
            return str(self.data.get(name) or "")
        return str(self.initial.get(name) or self.fields[name].initial or "")

    def details(self) -> tuple[str, ...]:
        """Return the detail fields the chosen question needs."""
        return question_details(self.chosen("kind"), self.chosen("requester"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, requester = data.get("kind"), data.get("requester")
        needed = question_details(kind, requester)
        # A detail this question does not need is dropped, not read: a value left
        # in a hidden field from an earlier question must not change the answer.
        for name in self.DETAIL_FIELDS:
            if name not in needed:
                self.errors.pop(name, None)
                data[name] = self.BLANK[name]
        if kind in self.ACCOUNT_KINDS and not data.get("card_number"):
            self.add_error("card_number", NEEDS_CARD)
        if (
            kind in self.ACCOUNT_KINDS
            and requester == Requester.RESPONSIBLE_ADULT
            and not (data.get("adult_card_number") or data.get("adult_name"))
        ):
            self.add_error("adult_card_number", NEEDS_ADULT)
        holder_or_adult = requester in (Requester.ACCOUNT_HOLDER, Requester.RESPONSIBLE_ADULT)
        about_an_account = kind in self.ACCOUNT_KINDS and holder_or_adult
        if about_an_account and data.get("identification_seen") and not data.get("document_kind"):
            # A ticked box is not an identity check: the check is recorded with
            # the kind of document seen, or there is none (CONF-4).
            self.add_error("document_kind", NEEDS_DOCUMENT_KIND)
        return data


class QuestionForm(forms.Form):
    """The desk's first step: where, how, who asks and what; the details follow."""

    branch = InquiryForm.base_fields["branch"]
    channel = InquiryForm.base_fields["channel"]
    requester = InquiryForm.base_fields["requester"]
    kind = InquiryForm.base_fields["kind"]
