"""Every staff role, in Chromium: sign in, land on the staff home, open each menu item, sign out.

Each role signs in through the real sign-in form (with an authenticator code
where its role needs one) and lands on /staff/. Every page of its menu opens;
every other menu page answers "not found"; each page has the one staff header
(name, branch, Sign out) and passes axe-core without a serious or critical
violation at desktop and phone widths. Screenshots of every page at 1280 and
390 pixels go to artifacts/screenshots/ (git ignores them). Signing out shows
the staff sign-in.
"""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from library.models import StaffProfile
from library.roles import Role
from library.security import needs_second_factor
from library.staff import STAFF_MENU, staff_menu
from tests.factories import (
    BranchFactory,
    ComputerSessionFactory,
    EventFactory,
    FoundItemFactory,
    IncidentFactory,
    LegalOrderFactory,
    LoanFactory,
    OutsideRequestFactory,
    RecordingFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAILING_IMPACTS = {"serious", "critical"}
WIDTHS = {"wide": (1280, 900), "narrow": (390, 844)}
NAMES = {
    Role.CIRCULATION: ("Casey", "Clerk"),
    Role.REFERENCE: ("Robin", "Reed"),
    Role.PERSON_IN_CHARGE: ("Pat", "Charge"),
    Role.SECURITY_GUARD: ("Sam", "Guard"),
    Role.IT_STAFF: ("Ivy", "Tech"),
    Role.DIRECTOR: ("Dana", "Director"),
    Role.AUDITOR: ("Avery", "Audit"),
}


def serious_violations(page: Page) -> list[str]:
    """Run axe-core on the page and describe each serious or critical violation."""
    results = Axe().run(page)
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


def _code(user):  # type: ignore[no-untyped-def]
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="phone", confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def world(settings, tmp_path):  # type: ignore[no-untyped-def]
    """A little of everything the staff pages list, so their tables are not empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    LoanFactory(item__title="A-very-long-unbroken-title-that-must-wrap-" * 3)
    ComputerSessionFactory(ended_at=None, started_at=now - datetime.timedelta(minutes=40))
    IncidentFactory()
    RecordingFactory()
    LegalOrderFactory()
    OutsideRequestFactory()
    EventFactory()
    FoundItemFactory()


def _slug(url: str) -> str:
    return url.strip("/").replace("/", "-") or "home"


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_each_role_reaches_exactly_its_pages_with_one_header(page, live_server, staff, world, role):
    user = staff(role)
    user.first_name, user.last_name = NAMES[role]
    user.save(update_fields=["first_name", "last_name"])
    StaffProfile.objects.create(user=user, branch=BranchFactory(code="WEST", name="West Branch"))
    base = live_server.url
    menu = staff_menu(user)
    assert menu, role

    # Sign in through the form itself, without asking for any page.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/staff/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    if needs_second_factor(user):
        page.get_by_label("Authenticator code").fill(_code(user))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/staff/")

    # The staff home and the header's menu list exactly the role's pages, in menu order.
    home_links = page.locator("main ul.cards a")
    expect(home_links).to_have_text([item.label for item in menu])
    expect(page.locator(".site-header nav a")).to_have_text([item.label for item in menu])
    if role in (Role.CIRCULATION, Role.PERSON_IN_CHARGE, Role.DIRECTOR):
        expect(home_links.first).to_have_text("Circulation desk")

    # No menu page the role does not see opens for it.
    for item in STAFF_MENU:
        if item not in menu:
            response = page.request.get(base + item.url)
            assert response.status == 404, f"{role}: {item.label} opens but is not in the menu"

    problems: list[str] = []
    to_visit = ["/staff/", *(item.url for item in menu)]
    visited: set[str] = set()
    while to_visit:
        url = to_visit.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = page.goto(base + url)
        assert response is not None and response.status == 200, f"{role}: {url}"
        if url != "/staff/" and not url.startswith("/staff/admin/"):
            # A section's own pages (the auditors' menu, the facilities front page) too.
            links = page.locator("nav.subnav a, main ul.cards a")
            to_visit += links.evaluate_all("links => links.map(link => link.pathname)")
        if url.startswith("/staff/admin/"):
            header = page.locator("#user-tools")
            expect(header.locator(".staff-name")).to_have_text(" ".join(NAMES[role]))
            expect(header.locator(".staff-branch")).to_have_text("West Branch")
            expect(header.get_by_role("link", name="Staff home")).to_be_visible()
        else:
            header = page.locator(".site-header")
            expect(header.locator(".staff-name")).to_have_text(" ".join(NAMES[role]))
            expect(header.locator(".staff-branch")).to_have_text("West Branch")
            expect(header.get_by_role("link")).to_have_count(len(menu) + 1)  # and the brand
        expect(header.get_by_role("button", name="Sign out")).to_be_visible()
        for width_name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            problems += serious_violations(page)
            # Nothing but a table's own scrolling box may be wider than the screen.
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{role}: {url} is {overflow}px wide at {width}px"
            page.screenshot(
                path=str(_screens() / f"staff-{role.value}-{_slug(url)}-{width_name}.png"),
                full_page=True,
            )
        page.set_viewport_size({"width": 1280, "height": 900})
    assert problems == []

    page.goto(f"{base}/staff/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/staff/admin/login/")
    expect(page.get_by_label("Username")).to_be_visible()


def _screens():  # type: ignore[no-untyped-def]
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def test_printing_a_staff_page_leaves_out_the_menu_footer_and_buttons(
    page, live_server, staff, world
):
    user = staff(Role.CIRCULATION)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/staff/admin/login/?next=/staff/activity/computers/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/staff/activity/computers/")
    page.emulate_media(media="print")
    for hidden in (".site-header nav", ".staff-id", ".site-footer", "main form button"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # A4 is about 794 CSS pixels wide: the printed page is no wider than the paper.
    page.set_viewport_size({"width": 700, "height": 1000})
    assert page.evaluate("document.documentElement.scrollWidth") <= 700
    page.screenshot(path=str(_screens() / "staff-print-computers.png"), full_page=True)
