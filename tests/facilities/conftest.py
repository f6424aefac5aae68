"""Facilities fixtures: footage files go to a temporary MEDIA_ROOT; who is asking, by name."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from library.roles import Role


@pytest.fixture(autouse=True)
def _media_root(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined, operator]


@pytest.fixture
def root(db: None) -> User:
    """A superuser with no role: no bypass of the footage rules."""
    return User.objects.create_superuser("root", "root@example.org", "x-long-password-1")


@pytest.fixture
def login_as(client, staff, alice, bob, root) -> Callable[[str], User | None]:
    """Log the test client in as a role's value, "alice", "bob", "root", or "anonymous"."""

    def login(who: str) -> User | None:
        if who == "anonymous":
            client.logout()
            return None
        user = {"alice": alice.user, "bob": bob.user, "root": root}.get(who) or staff(Role(who))
        client.force_login(user)
        return user

    return login
