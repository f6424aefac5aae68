from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet

from circulation.models import Item
from library.models import Branch
from patrons.forms import ContactForm
from patrons.models import Patron
from privacy.policy import DataCategory

LOGIN_FAILED = "That card number and password do not match. Please try again."
EMAIL_CHANGE_REFUSED = (
    "Enter your current password to change your email address: "
    "password-reset links go to that address."
)


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
    copy = forms.ModelChoiceField(
        queryset=Item.objects.none(),
        required=False,
        empty_label="Any copy (sooner)",
        label="Which copy",
        help_text="Choose one copy only if you need that one, such as a particular edition.",
    )

    def __init__(self, *args: Any, copies: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["copy"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = copies
        field.label_from_instance = (  # type: ignore[method-assign]
            lambda obj: f"{obj.barcode}, {obj.get_item_type_display()}, {obj.current_branch}"
        )


class PortalContactForm(ContactForm):
    """The patron's own contact details; a new email address takes the current password.

    Whoever holds the email address can reset the password, so a session left
    open on a shared computer is not enough to take the account over.
    """

    password = forms.CharField(
        label="Current password (needed to change your email address)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def for_patron(
        cls, patron: Patron, data: Any = None, *, user: Any = None
    ) -> "PortalContactForm":
        fields = ("email", "phone", "address_line", "city", "postal_code")
        return cls(data, initial={name: getattr(patron, name) for name in fields}, user=user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        new_email = (data.get("email") or "").strip().lower()
        old_email = (self.initial.get("email") or "").strip().lower()
        if "email" in data and new_email != old_email:
            password = data.get("password") or ""
            if self.user is None or not self.user.check_password(password):
                self.add_error("password", EMAIL_CHANGE_REFUSED)
        return data


class NoticeItemsForm(forms.Form):
    """Whether emailed notices name the items; letters never do (CONF-9)."""

    name_items = forms.BooleanField(
        required=False,
        label="Name the items (titles) in the notices you get by email",
        help_text=(
            "Off unless you turn it on. Letters never name items, since anyone in your "
            "household may open them."
        ),
    )
