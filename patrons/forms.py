"""Forms of the patrons app: registration, contact details, blocks, and the reset mail."""

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import timezone

from library.models import Branch
from patrons import cards
from patrons.models import Patron, ResponsibleAdult
from privacy.models import IdentityCheck

CONTACT_NEEDED = "Give an email address or a phone number, so the library can reach the patron."
EMAIL_NEEDS_IDENTITY = (
    "A new email address receives the patron's password links: record the identification "
    "the patron showed you (CONF-4)."
)
BORN_IN_FUTURE = "The date of birth cannot be in the future."


class PatronLoginTokens(PasswordResetTokenGenerator):
    """Reset tokens bound to the address on the patron record, which their login has no copy of.

    Django binds a token to the login's own email, which a patron's login keeps
    empty; binding it to the patron record's address instead means a link stops
    working once that address changes.
    """

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        patron = getattr(user, "patron", None)
        address = (patron.email if patron is not None else user.email) or ""
        login = (
            "" if user.last_login is None else user.last_login.replace(microsecond=0, tzinfo=None)
        )
        return f"{user.pk}{user.password}{login}{timestamp}{address}"


patron_login_tokens = PatronLoginTokens()


class PasswordResetMailForm(PasswordResetForm):
    """Django's reset form for the worker, over patron logins and the patron record's address.

    The address is looked up on the patron record, the one source of a patron's
    identity (their login keeps no copy of it), and a login whose password was
    never set is included: the link is how a new login's patron sets it. A
    failed send raises, so the task retries it.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        """Yield the active patron logins whose patron has this address, carrying it."""
        logins = (
            get_user_model()
            ._default_manager.filter(is_active=True, patron__email__iexact=email)
            .select_related("patron")
        )
        for login in logins:
            login.email = login.patron.email  # in memory only: where Django's mail goes
            yield login

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # Django's own send_mail logs a failure and carries on, which would end the
        # task as if the mail had gone.
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        message.send()


def _scanner(autofocus: bool = False) -> forms.TextInput:
    attrs: dict[str, Any] = {"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.TextInput(attrs=attrs)


class CardLookupForm(forms.Form):
    """A card number, posted: never put in an address."""

    card_number = forms.CharField(label="Card number", max_length=20, widget=_scanner(True))


class ContactForm(forms.Form):
    """A patron's contact details, as the patron record keeps them."""

    email = forms.EmailField(label="Email address", required=False, max_length=254)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    address_line = forms.CharField(label="Street address", required=False, max_length=255)
    city = forms.CharField(label="City", required=False, max_length=100)
    postal_code = forms.CharField(label="Postal code", required=False, max_length=20)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not (data.get("email") or data.get("phone", "").strip()):
            raise forms.ValidationError(CONTACT_NEEDED, code="contact_needed")
        return data

    @classmethod
    def for_patron(cls, patron: Patron, data: Any = None) -> "ContactForm":
        initial = {name: getattr(patron, name) for name in ContactForm.base_fields}
        return cls(data, initial=initial)


class DeskNoteForm(forms.Form):
    """The note staff see at the desk; empty to remove it."""

    desk_note = forms.CharField(
        label="Desk note",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen by staff at the desk, and by the patron in their data download.",
    )


class StaffContactForm(ContactForm):
    """Contact details changed at the desk: a new email address needs the patron there, identified.

    Whoever holds the address on the record can have a password link sent to
    it, so staff change it only with the patron in front of them: the kind of
    document seen is recorded (CONF-4), never its number.
    """

    identity_document = forms.ChoiceField(
        label="Identification the patron showed",
        choices=[("", "—"), *IdentityCheck.Document.choices],
        required=False,
        help_text="Needed when the email address changes.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        old = (self.initial.get("email") or "").strip().lower()
        new = (data.get("email") or "").strip().lower()
        if not self.errors and new != old and new and not data.get("identity_document"):
            self.add_error("identity_document", EMAIL_NEEDS_IDENTITY)
        return data


class RegistrationForm(ContactForm):
    """A new patron: who they are, their card, their branch, how to reach them (CONF-4)."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    home_branch = forms.ModelChoiceField(
        label="Home branch", queryset=Branch.objects.order_by("name"), empty_label=None
    )
    card_number = forms.CharField(
        label="New card's number",
        required=False,
        max_length=20,
        widget=_scanner(),
        help_text="Scan the new card, or leave empty to have a number made.",
    )
    responsible_adult_card = forms.CharField(
        label="Responsible adult's card number",
        required=False,
        max_length=20,
        widget=_scanner(),
        help_text="Needed for a patron under the age of majority (CONF-4).",
    )
    relationship = forms.ChoiceField(
        label="Relationship to the patron",
        choices=ResponsibleAdult.Relationship.choices,
        initial=ResponsibleAdult.Relationship.PARENT,
    )
    duplicate_confirmed = forms.BooleanField(
        label="I have checked: this is a different person; register them anyway",
        required=False,
    )
    # Issued with the duplicate warning (patrons.views.duplicate_token): a
    # confirmation counts only for the very details the warning was about.
    duplicate_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    field_order = [
        "first_name",
        "last_name",
        "date_of_birth",
        "home_branch",
        "card_number",
        "email",
        "phone",
        "address_line",
        "city",
        "postal_code",
        "responsible_adult_card",
        "relationship",
        "duplicate_confirmed",
        "duplicate_token",
    ]

    def clean_card_number(self) -> str:
        number: str = self.cleaned_data["card_number"].strip()
        if number and not cards.card_number_valid(number):
            raise forms.ValidationError(cards.CARD_NUMBER_INVALID, code="card_invalid")
        return number

    def clean_date_of_birth(self) -> Any:
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError(BORN_IN_FUTURE, code="born_in_future")
        return born


class BlockForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=255)
