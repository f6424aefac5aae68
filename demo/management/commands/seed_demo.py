from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from demo.authenticators import demo_authenticators_seed
from demo.seed import DEMO_LOGINS, seed_demo


class Command(BaseCommand):
    help = (
        "Load demonstration data: branches, about 200 patrons (adults, minors with responsible "
        "adults, some keeping reading history), about 2,000 items, loans, holds, fines and one "
        "login per role, a few events, computer sessions, reference questions and found items, "
        "public-space cameras with a day of placeholder recordings, an incident with a ban, "
        "stills and an outside request, and a recorder's export in MEDIA_ROOT to try "
        "import_footage on. Running it again adds nothing twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo(progress=lambda text: self.stdout.write(f"  {text}"))
        staff = list(
            User.objects.filter(
                username__in=[login.username for login in DEMO_LOGINS if login.role]
            )
        )
        demo_authenticators_seed(staff)
        summary = ", ".join(f"{count} {name}" for name, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data in place ({summary or 'nothing new'})."))
        self.stdout.write("Demo logins (username / password), for trying the system only:")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<10} {login.password:<22} {login.description}")
        self.stdout.write(
            "The director, incharge, guard, itstaff and auditor also need an authenticator code: "
            "print the current one with `manage.py demo_otp <user>`."
        )
