"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright, no downloads."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(autouse=True, scope="module")
def _orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API runs an event loop in the test thread; the ORM calls
    # the tests make to set up data are still ordinary synchronous calls. Set
    # for browser modules only, so no other test (or subprocess) inherits it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


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
