from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.authenticators import DEMO_DEVICE_NAME, NO_DEMO_DEVICE, demo_code


class Command(BaseCommand):
    help = (
        "Print the current authenticator code of a demo staff login (director, incharge, guard, "
        "itstaff, auditor). Works only for the demo authenticators seed_demo makes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if "\x00" in options["username"]:  # no user name holds one; PostgreSQL refuses to look
            raise CommandError(NO_DEMO_DEVICE)
        device = TOTPDevice.objects.filter(
            user__username=options["username"], name=DEMO_DEVICE_NAME
        ).first()
        if device is None:
            raise CommandError(NO_DEMO_DEVICE)
        self.stdout.write(demo_code(device))
