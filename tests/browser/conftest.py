"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright, no downloads."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Start Chromium for one test module, and stop Playwright's event loop with it.

    While Playwright runs, the test thread has a running event loop, so the
    ORM calls tests make to set up data need DJANGO_ALLOW_ASYNC_UNSAFE; both end
    with the module, so no other test (or subprocess) runs beside a live loop.
    """
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def shoot(page) -> Iterator:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under artifacts/screenshots/ (git ignores it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    yield take


@pytest.fixture
def sign_in(page, live_server):  # type: ignore[no-untyped-def]
    def go(card_number: str, password: str = "correct-horse-battery") -> None:
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Card number").fill(card_number)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    return go


@pytest.fixture
def staff_sign_in(page, live_server):  # type: ignore[no-untyped-def]
    def go(username: str, password: str = "correct-horse-battery") -> None:
        page.goto(f"{live_server.url}/staff/admin/login/?next=/staff/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    return go
