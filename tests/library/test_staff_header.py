"""One header on every staff page; staff sign in to the staff home and out to the staff sign-in.

The header names the staff member and the branch they work at (the desk's
chosen branch, else their home branch), lists the pages their roles open and
has a Sign out button; the admin's own pages lead back to the staff home.
"""

import re
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from library.models import StaffProfile
from library.roles import Role
from library.staff import staff_menu
from tests.conftest import StaffClient
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = "/staff/admin/login/"


def _signed_in(user: User) -> StaffClient:
    client = StaffClient()
    client.force_login(user)
    return client


@pytest.fixture
def clerk(staff):  # type: ignore[no-untyped-def]
    user = staff(Role.CIRCULATION)
    user.first_name, user.last_name = "Casey", "Clerk"
    user.save(update_fields=["first_name", "last_name"])
    StaffProfile.objects.create(user=user, branch=BranchFactory(code="MAIN", name="Main Library"))
    return user


@pytest.mark.parametrize("role", list(Role))
def test_the_staff_home_lists_exactly_the_pages_the_role_opens(staff, role):
    user = staff(role)
    html = _signed_in(user).get("/staff/").content.decode()
    home = html.split('<main id="main"', 1)[1]
    listed = re.findall(r'<li><a href="([^"]+)"', home)
    assert listed == [item.url for item in staff_menu(user)]


def test_the_circulation_desk_comes_first_for_desk_roles(staff):
    for role in (Role.CIRCULATION, Role.PERSON_IN_CHARGE, Role.DIRECTOR):
        assert staff_menu(staff(role))[0].url_name == "circulation:desk", role


@pytest.mark.parametrize(
    "address",
    [
        "/staff/",
        "/staff/circulation/desk/",
        "/staff/activity/computers/",
        "/staff/privacy/inquiries/",
    ],
)
def test_every_staff_page_names_who_is_signed_in_where_and_offers_sign_out(clerk, address):
    response = _signed_in(clerk).get(address)
    assert response.status_code == 200
    html = response.content.decode()
    header = html.split("</header>", 1)[0]
    assert '<span class="staff-name">Casey Clerk</span>' in header
    assert '<span class="staff-branch">Main Library</span>' in header
    assert f'action="{reverse("admin:logout")}"' in header and ">Sign out</button>" in header
    assert 'href="/staff/circulation/desk/"' in header


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SECURITY_GUARD])
def test_the_auditors_and_facilities_pages_have_the_same_header(staff, role):
    user = staff(role)
    address = "/audit/" if role == Role.AUDITOR else "/staff/facilities/"
    response = _signed_in(user).get(address)
    assert response.status_code == 200
    html = response.content.decode()
    header = html.split("</header>", 1)[0]
    assert f'<span class="staff-name">{user.username}</span>' in header
    assert '<span class="staff-branch">No branch set</span>' in header
    assert ">Sign out</button>" in header
    for item in staff_menu(user):
        assert f'href="{item.url}"' in header


def test_the_header_shows_the_branch_the_desk_chose_for_this_session(clerk):
    client = _signed_in(clerk)
    east = BranchFactory(code="EAST", name="East Branch")
    client.post(reverse("circulation:desk_branch"), {"branch": east.pk})
    header = client.get("/staff/").content.decode().split("</header>", 1)[0]
    assert '<span class="staff-branch">East Branch</span>' in header


def test_a_patrons_header_is_the_portals(alice):
    client = Client()
    client.force_login(alice.user)
    header = client.get("/portal/").content.decode().split("</header>", 1)[0]
    assert f'action="{reverse("portal:logout")}"' in header
    assert "staff-name" not in header and "/staff/" not in header


def _log_in(client: Client, user: User, address: str = LOGIN, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(address, {"username": user.username, "password": PASSWORD, **extra})


def test_signing_in_without_next_lands_on_the_staff_home(clerk):
    client = Client()
    form = client.get(LOGIN).content.decode()
    assert 'name="next" value="/staff/"' in form
    response = _log_in(client, clerk, next="/staff/")
    assert response.status_code == 302 and response["Location"] == "/staff/"


def test_signing_in_with_no_next_at_all_lands_on_the_staff_home(clerk):
    response = _log_in(Client(), clerk)
    assert response["Location"] == "/staff/"


def test_signing_in_keeps_a_safe_next(clerk):
    response = _log_in(Client(), clerk, next="/staff/activity/events/")
    assert response["Location"] == "/staff/activity/events/"


def test_signing_in_ignores_a_next_off_the_site(clerk):
    response = _log_in(Client(), clerk, next="https://elsewhere.example/")
    assert response["Location"] == "/staff/"


def test_the_sign_in_page_sends_a_signed_in_staff_member_home(clerk):
    client = _signed_in(clerk)
    assert client.get(LOGIN)["Location"] == "/staff/"
    assert client.get(LOGIN + "?next=/staff/activity/events/")["Location"] == (
        "/staff/activity/events/"
    )
    assert client.get(LOGIN + "?next=https://elsewhere.example/")["Location"] == "/staff/"


def test_staff_sign_out_returns_to_the_staff_sign_in(clerk):
    client = _signed_in(clerk)
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.get("/staff/")["Location"].startswith(LOGIN)


def test_patron_sign_out_still_returns_to_the_card_number_sign_in(alice):
    client = Client()
    client.force_login(alice.user)
    response = client.post(reverse("portal:logout"))
    assert response["Location"] == reverse("portal:login")


def test_the_admins_pages_lead_back_to_the_staff_home(clerk):
    html = _signed_in(clerk).get("/staff/admin/").content.decode()
    assert '<a href="/staff/">Staff home</a>' in html
    assert "Main Library" in html and ">Sign out</button>" in html


@pytest.mark.parametrize("address", ["/staff/activity/computers/", "/staff/activity/reference/"])
def test_the_activity_pages_have_no_duplicate_ids(staff, address):
    html = _signed_in(staff(Role.PERSON_IN_CHARGE)).get(address).content.decode()
    repeated = [id_ for id_, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
    assert repeated == []
    # Each label still names its own field.
    for target in re.findall(r'<label for="([^"]+)"', html):
        assert f'id="{target}"' in html


@pytest.mark.parametrize("role", list(Role))
def test_no_page_of_a_roles_menu_repeats_an_id(staff, role):
    user = staff(role)
    client = _signed_in(user)
    for item in staff_menu(user):
        if item.url_name.startswith("admin:"):
            continue  # Django's own pages
        html = client.get(item.url).content.decode()
        ids = Counter(re.findall(r'\sid="([^"]+)"', html))
        assert [id_ for id_, n in ids.items() if n > 1] == [], f"{role}: {item.url}"
