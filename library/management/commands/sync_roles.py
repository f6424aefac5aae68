from typing import Any

from django.core.management.base import BaseCommand

from library.roles import roles_sync


class Command(BaseCommand):
    help = (
        "Create one Django group per staff role and give it exactly the model permissions "
        "listed in library/roles.py. Safe to run any number of times."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = roles_sync()
        self.stdout.write(
            f"{counts['groups']} role groups in step, {counts['permissions']} permissions."
        )
