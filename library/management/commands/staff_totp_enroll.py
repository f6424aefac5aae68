from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from library.authenticators import NOT_STAFF, authenticator_enroll


class Command(BaseCommand):
    help = (
        "Give a staff user a new authenticator app (TOTP), replacing any old one, and print the "
        "setup link and secret to enter in the app. Run it with the staff member present."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if "\x00" in options["username"]:  # no user name holds one; PostgreSQL refuses to look
            raise CommandError(NOT_STAFF)
        user = User.objects.filter(
            username=options["username"], is_active=True, is_staff=True
        ).first()
        if user is None:
            raise CommandError(NOT_STAFF)
        device = authenticator_enroll(user=user)
        self.stdout.write(
            f"Setup link for the staff member's authenticator app:\n{device.config_url}"
        )
        self.stdout.write(
            f"Authenticator enrolled for {user.username}; any earlier one no longer works."
        )
