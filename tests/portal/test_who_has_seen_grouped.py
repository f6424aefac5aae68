"""Who has seen my record: one line per day (library time), role, branch and purpose, counted;
paged by a cursor; reads under a gagged legal order stay hidden; the download agrees."""

import datetime
import json
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from guardian.shortcuts import assign_perm

from library.models import StaffProfile
from library.roles import Role
from portal import selectors
from privacy import access
from privacy.access import Asker
from privacy.policy import DataCategory, Purpose, Requester
from tests.factories import BranchFactory, IncidentFactory, LegalOrderFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/portal/who-has-seen-my-record/"
IDENTITY, CIRCULATION = DataCategory.IDENTITY, DataCategory.CIRCULATION
ROW = re.compile(r"<tr><td>(.*?)</td></tr>", re.S)


def _at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """Return a moment in the library's time zone, some days after today.

    After, never before: the trail's timestamps never go back (audit.chain).
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


def _staff_at(role: Role, code: str, name: str = ""):
    """Return a staff member of this role whose profile puts them at this branch."""
    user = UserFactory(username=name or role.value, role=role)
    StaffProfile.objects.create(user=user, branch=BranchFactory(code=code))
    return user


def _reads(user, patron, *, when, times=1, purpose=Purpose.INCIDENT):
    with time_machine.travel(when, tick=False):
        for _ in range(times):
            access.read(user, patron, DataCategory.IDENTITY, purpose)


def _line(day: int, who: str, branch: str, category, purpose, clause: str, reads: int) -> str:
    """Return a row of the page as _rows gives it."""
    count = f"{reads} read" + ("s" if reads != 1 else "")
    return " | ".join(
        [_day(day), who, branch, str(category.label), str(purpose.label), clause, count]
    )


def _day(day: int) -> str:
    return _at(day, 0).strftime("%b %-d, %Y")


def _rows(client) -> list[str]:
    html = client.get(PAGE).content.decode()
    return [re.sub(r"</td><td>", " | ", row) for row in ROW.findall(html)]


def test_nine_reads_of_a_day_by_one_role_at_one_branch_are_one_counted_line(client, alice):
    guard = _staff_at(Role.SECURITY_GUARD, "NTH")
    incident = IncidentFactory()
    incident.people.create(patron=alice, involvement="subject")
    client.force_login(guard)
    for _ in range(9):
        assert client.get(f"/staff/facilities/incidents/{incident.pk}/").status_code == 200
    client.force_login(alice.user)
    rows = _rows(client)
    assert rows == [_line(0, "Security guard", "NTH", IDENTITY, Purpose.INCIDENT, "CONF-10", 9)]


def test_another_day_role_branch_or_purpose_is_another_line(client, alice):
    guard = _staff_at(Role.SECURITY_GUARD, "NTH")
    other_guard = _staff_at(Role.SECURITY_GUARD, "WST", name="guard2")
    in_charge = _staff_at(Role.PERSON_IN_CHARGE, "NTH")
    _reads(guard, alice, when=_at(1, 10), times=2)
    _reads(guard, alice, when=_at(2, 9), times=3)  # another day
    _reads(other_guard, alice, when=_at(2, 10))  # another branch
    _reads(in_charge, alice, when=_at(2, 11))  # another role
    _reads(in_charge, alice, when=_at(2, 12), purpose=Purpose.REGISTRATION)  # another purpose
    _reads(guard, alice, when=_at(2, 13))  # the same line as the three of the morning
    client.force_login(alice.user)
    assert _rows(client) == [
        _line(2, "Security guard", "NTH", IDENTITY, Purpose.INCIDENT, "CONF-10", 4),
        _line(2, "Person in charge", "NTH", IDENTITY, Purpose.REGISTRATION, "CONF-3", 1),
        _line(2, "Person in charge", "NTH", IDENTITY, Purpose.INCIDENT, "CONF-10", 1),
        _line(2, "Security guard", "WST", IDENTITY, Purpose.INCIDENT, "CONF-10", 1),
        _line(1, "Security guard", "NTH", IDENTITY, Purpose.INCIDENT, "CONF-10", 2),
    ]


def test_a_day_is_the_librarys_day_not_the_servers(client, alice):
    guard = _staff_at(Role.SECURITY_GUARD, "NTH")
    # 00:30 and 23:30 in the library are one day there, and fall on two days in UTC.
    _reads(guard, alice, when=_at(1, 0, 30))
    _reads(guard, alice, when=_at(1, 23, 30))
    _reads(guard, alice, when=_at(2, 0, 30))
    client.force_login(alice.user)
    assert [row.rsplit(" | ", 1)[1] for row in _rows(client)] == ["1 read", "2 reads"]


def test_more_lines_than_a_page_holds_are_paged_newest_day_first(client, alice):
    guard = _staff_at(Role.SECURITY_GUARD, "NTH")
    other_guard = _staff_at(Role.SECURITY_GUARD, "WST", name="guard2")
    days = selectors.ACCESS_PAGE_SIZE + 5
    for day in range(1, days + 1):
        _reads(guard, alice, when=_at(day, 9), times=2)
        _reads(other_guard, alice, when=_at(day, 10))
    client.force_login(alice.user)
    seen: list[str] = []
    url = PAGE
    pages = 0
    while url:
        html = client.get(url).content.decode()
        seen += ROW.findall(html)
        more = re.search(r'href="(\?before=\d+)" rel="next"', html)
        url = PAGE + more.group(1) if more else ""
        pages += 1
    assert pages == 3 and len(seen) == 2 * days == len(set(seen))
    shown_days = [row.split("</td>", 1)[0] for row in seen]
    expected = [_day(day) for day in range(days, 0, -1) for _ in (1, 2)]
    assert shown_days == expected


def test_reads_under_a_gagged_order_stay_hidden_and_the_others_are_counted(client, director, alice):
    guard = _staff_at(Role.SECURITY_GUARD, "NTH")
    order = LegalOrderFactory(patrons=[alice], patron_may_be_told=False)
    assign_perm("patrons.disclose_under_order", director, alice)
    StaffProfile.objects.create(user=director, branch=BranchFactory(code="CEN"))
    _reads(guard, alice, when=_at(1, 9), times=3)
    with time_machine.travel(_at(1, 10), tick=False):
        for _ in range(2):
            access.disclose(
                actor=director,
                asker=Asker(Requester.LAW_ENFORCEMENT, legal_order=order),
                patron=alice,
                category=DataCategory.CIRCULATION,
                purpose=Purpose.LEGAL_ORDER,
            )
    client.force_login(alice.user)
    rows = _rows(client)
    assert len(rows) == 1 and rows[0].endswith("| 3 reads") and "CONF-5" not in rows[0]
    order.patron_may_be_told = True
    order.save()
    assert _rows(client) == [
        _line(1, "Law enforcement", "CEN", CIRCULATION, Purpose.LEGAL_ORDER, "CONF-5", 2),
        _line(1, "Security guard", "NTH", IDENTITY, Purpose.INCIDENT, "CONF-10", 3),
    ]


def test_the_download_holds_the_same_lines(client, alice):
    guard = _staff_at(Role.SECURITY_GUARD, "NTH")
    _reads(guard, alice, when=_at(1, 9), times=9)
    client.force_login(alice.user)
    data = json.loads(client.get("/portal/download/").content)
    assert data["who_has_seen_my_record"] == [
        {
            "day": _at(1, 0).date().isoformat(),
            "who": "Security guard",
            "branch": "NTH",
            "what": str(IDENTITY.label),
            "purpose": str(Purpose.INCIDENT.label),
            "clause": "CONF-10",
            "reads": 9,
        }
    ]
