"""Patrons log in to the portal with their library card number and password.

Sign-in throttling (django-axes) counts attempts per account, whichever of its
names was typed: the user name or, for a patron, the card number.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db.models import Value
from django.http import HttpRequest

from library.security import throttle_key
from patrons.models import Patron


class CardNumberBackend(ModelBackend):
    """Authenticate a patron by card number; staff keep logging in by user name."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        patron = Patron.objects.select_related("user").filter(card_number=username.strip()).first()
        user = patron.user if patron is not None else None
        if user is None:
            # Spend the same time as a real check, so timing does not reveal which cards exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def account_named(name: str) -> int | None:
    """Return the id of the account a sign-in name names: by user name, else by card number."""
    # The backends' own order (ModelBackend before CardNumberBackend) decides
    # when one string is both. One query whether or not anything matches, so
    # the time taken does not tell which names exist.
    by_user_name = (
        User.objects.filter(username=name)
        .annotate(rank=Value(0))
        .values_list("rank", "pk")
        .order_by()
    )
    by_card = (
        Patron.objects.filter(card_number=name.strip(), user__isnull=False)
        .annotate(rank=Value(1))
        .values_list("rank", "user_id")
        .order_by()
    )
    found = sorted(by_user_name.union(by_card))
    return found[0][1] if found else None


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Return django-axes' key for a sign-in: a hash of the account it names, else of the name.

    Every name of one account counts against that account, so failures by card
    number also lock the user name out and the other way round; a name that
    names no account is throttled on its own, and gets the same answer.
    """
    typed = (credentials or {}).get("username")
    if not typed and request is not None:
        typed = request.POST.get("username")
    if not typed:
        return ""
    name = str(typed)
    # axes asks several times per request; resolve each name once.
    known: dict[str, str] = getattr(request, "_sign_in_throttle_keys", {})
    if name not in known:
        account = account_named(name)
        subject = f"account:{account}" if account is not None else f"name:{name.strip()}"
        known[name] = throttle_key(subject)
        if request is not None:
            request._sign_in_throttle_keys = known  # type: ignore[attr-defined]
    return known[name]
