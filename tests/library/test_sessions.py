"""Sessions on a schedule: `manage.py clearsessions` removes the expired ones."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_clearsessions_removes_expired_sessions_and_keeps_live_ones(client, alice, bob):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(alice.user)
        old = client.session.session_key
        traveller.shift(datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        client.force_login(bob.user)
        live = client.session.session_key
        traveller.shift(datetime.timedelta(seconds=120))

        call_command("clearsessions")

        assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert old != live
