"""Accessibility of the portal in Chromium: axe-core on the main pages, keyboard use, focus.

axe-core comes inside the axe-playwright-python package and is injected into
the page, so nothing is fetched. A serious or critical violation fails the test.
"""

import itertools
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.factories import (
    ConsentFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    LoanRuleFactory,
    ReadingHistoryEntryFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAILING_IMPACTS = {"serious", "critical"}


def serious_violations(page: Page) -> list[str]:
    """Run axe-core on the page and describe each serious or critical violation."""
    results = Axe().run(page)
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]


def test_axe_finds_no_serious_violation_on_the_main_portal_pages(
    page, live_server, sign_in, alice, carol, dan
):
    LoanRuleFactory()
    LoanFactory(patron=alice, item__title="Comet Season")
    HoldFactory(patron=alice, item__title="Willow Road")
    FineFactory(patron=alice)
    ReadingHistoryEntryFactory(patron=alice, title="Prairie Winds")
    ConsentFactory(patron=alice)
    item = ItemFactory(title="The Silver Orchard")
    LoanFactory(patron=dan)

    found: list[str] = []
    page.goto(f"{live_server.url}/portal/login/")
    found += serious_violations(page)
    page.goto(f"{live_server.url}/portal/password-reset/")
    found += serious_violations(page)
    sign_in(alice.card_number)
    for path in [
        "/portal/",
        "/portal/reading-history/",
        "/portal/reading-history/off/",
        "/portal/consents/",
        "/portal/who-has-seen-my-record/",
        "/portal/catalogue/?q=orchard",
        f"/portal/catalogue/{item.record.pk}/hold/",
        "/portal/minors/999999/",  # the "not found" page
    ]:
        page.goto(f"{live_server.url}{path}")
        found += serious_violations(page)
    # A reading-history search posts; its results come back at an address with a token.
    page.goto(f"{live_server.url}/portal/reading-history/")
    page.get_by_label("Search your history by title or author").fill("prairie")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/portal/reading-history/\?_s=[\w-]+$"))
    found += serious_violations(page)
    page.context.clear_cookies()
    sign_in(carol.card_number)
    page.goto(f"{live_server.url}/portal/minors/{dan.pk}/")
    found += serious_violations(page)
    assert found == []


def test_axe_reports_a_serious_violation_when_there_is_one(page, live_server):
    page.goto(f"{live_server.url}/portal/login/")
    page.evaluate("document.querySelector('label').remove()")
    assert any("label" in line for line in serious_violations(page))


def _focused_outline(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.activeElement).outlineStyle"))


def test_the_portal_works_from_the_keyboard_with_a_visible_focus(page, live_server, sign_in, alice):
    LoanRuleFactory()
    LoanFactory(patron=alice, item__title="Comet Season")
    page.goto(f"{live_server.url}/portal/login/")
    # The card number field has the focus; type, Tab to the password, Enter signs in.
    expect(page.get_by_label("Card number")).to_be_focused()
    page.keyboard.type(alice.card_number)
    expect(page.get_by_label("Card number")).to_have_value(alice.card_number)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert _focused_outline(page) == "solid"
    page.keyboard.press("Enter")
    renew = page.get_by_role("button", name="Renew “Comet Season”")
    for _ in range(30):
        page.keyboard.press("Tab")
        if renew.evaluate("button => button === document.activeElement"):
            break
    expect(renew).to_be_focused()
    assert _focused_outline(page) == "solid"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Renewed “Comet Season”")).to_be_visible()


def test_headings_are_in_order_and_every_field_has_a_label(page, live_server, sign_in, alice):
    ReadingHistoryEntryFactory(patron=alice)
    sign_in(alice.card_number)
    for path in ["/portal/", "/portal/reading-history/", "/portal/consents/", "/portal/catalogue/"]:
        page.goto(f"{live_server.url}{path}")
        levels = page.eval_on_selector_all(
            "main h1, main h2, main h3, main h4", "hs => hs.map(h => Number(h.tagName[1]))"
        )
        assert levels[0] == 1 and levels.count(1) == 1, path
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), (path, levels)
        unlabelled = page.eval_on_selector_all(
            "main input:not([type=hidden]), main select, main textarea",
            "fields => fields.filter(f => !f.labels || f.labels.length === 0).map(f => f.name)",
        )
        assert unlabelled == [], path
