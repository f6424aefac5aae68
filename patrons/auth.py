"""Patrons log in to the portal with their library card number and password."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.http import HttpRequest

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
