"""Demo authenticators: TOTP devices whose keys come from the user name, so codes can be printed.

Real devices (library.authenticators) never print codes; these exist only in demo data.
"""

import hashlib

from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from library.authenticators import authenticator_enroll
from library.security import needs_second_factor

DEMO_DEVICE_NAME = "demo authenticator"
NO_DEMO_DEVICE = "That user has no demo authenticator; real devices never print codes."


def demo_key(username: str) -> str:
    return hashlib.sha256(f"demo-authenticator-{username}".encode()).hexdigest()[:40]


def demo_authenticators_seed(users: list[User]) -> int:
    """Give demo staff who need a second factor a demo authenticator, once."""
    made = 0
    for user in users:
        if needs_second_factor(user) and not TOTPDevice.objects.filter(user=user).exists():
            authenticator_enroll(user=user, name=DEMO_DEVICE_NAME, key=demo_key(user.username))
            made += 1
    return made


def demo_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
