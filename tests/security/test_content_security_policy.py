"""Content Security Policy: nothing inline that the policy would block, on any page.

The policy (settings.CONTENT_SECURITY_POLICY) allows scripts and styles from
this site only. A page with an inline script, a <style> element, a style
attribute, an event-handler attribute or a javascript: link would break under
it (and tempt someone to loosen it), so every page any user can open is
scanned: our templates, the admin's, and each page as rendered. A browser test
(test_csp_in_browser.py) checks that Chromium reports no violation.
"""

import re
from pathlib import Path

import pytest

from tests.security.conftest import send
from tests.security.test_authorization_matrix import ROUTES, TABLE
from tests.security.urls import address
from tests.security.world import KINDS

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# What CSP without 'unsafe-inline' blocks. A <script> with a src, or holding
# JSON data that never runs, is allowed.
INLINE = {
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I
    ),
    "style element": re.compile(r"<style[\s>]", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
}


def inline_parts(html: str) -> list[str]:
    """Return what in this HTML a CSP without 'unsafe-inline' would block."""
    return [
        f"{name}: {match[0][:80]}" for name, rx in INLINE.items() for match in rx.finditer(html)
    ]


def test_the_scanner_finds_what_csp_would_block():
    page = (
        '<p style="color:red" onclick="x()">a</p><style>p{}</style><script>x()</script>'
        '<a href="javascript:x()">b</a>'
        '<script src="/static/x.js"></script><script type="application/json">{}</script>'
    )
    assert [part.split(":")[0] for part in inline_parts(page)] == [
        "inline script",
        "style element",
        "style attribute",
        "event handler",
        "javascript",
    ]


def test_our_templates_hold_nothing_inline():
    found = {
        str(path.relative_to(TEMPLATES)): parts
        for path in TEMPLATES.rglob("*.html")
        if (parts := inline_parts(path.read_text()))
    }
    assert found == {}


def test_the_policy_allows_nothing_inline_and_no_other_site(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy
    assert directives["default-src"] == directives["script-src"] == directives["style-src"]
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


def _first_kind_that_opens(key: str) -> str | None:
    return next(
        (kind for kind, code in zip(KINDS, TABLE[key]["GET"], strict=True) if code == "200"),
        None,
    )


def test_every_page_as_rendered_holds_nothing_inline_and_carries_the_policy(world):
    """Each page, admin screens included, as the first kind of user the matrix lets open it."""
    found, opened = {}, 0
    for key, route in ROUTES.items():
        kind = _first_kind_that_opens(key)
        if kind is None:
            continue
        response, _ = send(world.client(kind), "GET", address(route, world))
        if "html" not in response.get("Content-Type", ""):
            continue
        opened += 1
        assert "default-src 'self'" in response["Content-Security-Policy"], key
        if parts := inline_parts(response.content.decode()):
            found[key] = parts
    assert opened > 150
    assert found == {}
