"""Every page shows dates and times in one style, in the library's time zone.

The style is set once (library/formats/en/formats.py): "Mar 5, 2026" for a day
and "Mar 5, 2026 14:05" for a moment. Templates ask for it by name (`|date`,
`|date:"DATETIME_FORMAT"`), never with a format of their own; the rendered
staff and portal pages are then read for any date written another way.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from library.roles import Role
from tests.conftest import StaffClient
from tests.factories import (
    ComputerSessionFactory,
    FineFactory,
    IncidentFactory,
    LegalOrderFactory,
    LoanFactory,
)

TEMPLATES = Path(settings.BASE_DIR) / "templates"
NAMED_FORMATS = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
}
DATE_FILTER = re.compile(r"""\|(date|time):(?:"([^"]*)"|'([^']*)'|(\w+))""")
# The one machine-readable use: an ISO moment in a <time datetime="..."> attribute.
MACHINE_READABLE = re.compile(r"""datetime="\{\{ [^}]*\|date:['"]c['"] \}\}\"""")
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
ONE_DAY = rf"(?:{MONTHS}) \d{{1,2}}, \d{{4}}"
ONE_MOMENT = rf"{ONE_DAY} \d{{2}}:\d{{2}}"
# Any other way of writing a date or a time a page might show.
OTHER_STYLES = {
    "ISO date": r"\b\d{4}-\d{2}-\d{2}\b",
    "numeric date": r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    "day before month": rf"\b\d{{1,2}} (?:{MONTHS})",
    "month spelled out or with a dot": r"\b(?:January|February|March|April|June|July|August"
    r"|September|October|November|December|Sept?\.|Jan\.|Feb\.|Aug\.|Oct\.|Nov\.|Dec\.)",
    "12-hour clock": r"\b(?:a\.m\.|p\.m\.|[AP]M)\b",
    "UTC": r"\bUTC\b|[+-]00:00",
    "weekday": r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b",
}


def _templates() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.suffix in {".html", ".txt"})


def test_templates_ask_for_the_one_style_by_name():
    wrong = []
    for path in _templates():
        text = MACHINE_READABLE.sub("", path.read_text())
        for match in DATE_FILTER.finditer(text):
            name = next(group for group in match.groups()[1:] if group is not None)
            if name not in NAMED_FORMATS:
                wrong.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
    assert wrong == []


def test_templates_neither_write_iso_dates_nor_switch_time_zone():
    for path in _templates():
        text = path.read_text()
        for forbidden in ("isoformat", "{% timezone", "|utc", "{% get_current_timezone"):
            assert forbidden not in text, f"{path.relative_to(TEMPLATES)}: {forbidden}"


def test_the_style_is_the_librarys_one():
    moment = datetime.datetime(2026, 3, 5, 3, 30, tzinfo=datetime.UTC)
    local = timezone.localtime(moment)
    assert date_format(local.date()) == "Mar 4, 2026"  # America/Chicago, six hours behind
    assert date_format(local, "DATETIME_FORMAT") == "Mar 4, 2026 21:30"


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)  # attributes (ISO datetime="...") go with the tags


@pytest.mark.django_db
def test_staff_and_portal_pages_show_every_date_in_the_one_style(staff, alice):
    # A moment whose local day differs from its UTC day: shown in UTC, it would read Mar 5.
    moment = datetime.datetime(2026, 3, 5, 3, 30, tzinfo=datetime.UTC)
    LoanFactory(patron=alice, checked_out_at=moment, due_at=moment + datetime.timedelta(days=21))
    FineFactory(patron=alice)
    ComputerSessionFactory(patron=alice, started_at=moment, ended_at=None)
    IncidentFactory(occurred_at=moment)
    LegalOrderFactory()

    pages: dict[str, str] = {}
    patron_client = StaffClient()
    patron_client.force_login(alice.user)
    pages["/portal/"] = patron_client.get("/portal/").content.decode()
    for role, addresses in {
        Role.CIRCULATION: [f"/staff/circulation/desk/patrons/{alice.pk}/"],
        Role.PERSON_IN_CHARGE: ["/staff/activity/computers/", "/staff/facilities/incidents/"],
        Role.DIRECTOR: ["/staff/privacy/orders/"],
        Role.AUDITOR: ["/audit/entries/"],
    }.items():
        client = StaffClient()
        client.force_login(staff(role))
        for address in addresses:
            response = client.get(address)
            assert response.status_code == 200, address
            pages[address] = response.content.decode()

    for address, html in pages.items():
        text = _visible_text(html)
        assert re.search(ONE_DAY, text), f"{address} shows no date at all"
        for style, pattern in OTHER_STYLES.items():
            found = re.findall(pattern, text)
            assert found == [], f"{address} writes a date as {style}: {found[:3]}"
        # A month name always starts the whole style, year included.
        for month in re.finditer(rf"\b(?:{MONTHS})\b", text):
            assert re.match(ONE_DAY, text[month.start() :]), (address, text[month.start() :][:20])

    assert "Mar 4, 2026 21:30" in _visible_text(pages["/staff/activity/computers/"])
    assert "Mar 4, 2026 21:30" in _visible_text(pages["/staff/facilities/incidents/"])
    assert "Mar 25, 2026" in _visible_text(pages["/portal/"])  # the due day, local


def test_text_built_in_python_uses_the_one_style_too():
    """Messages and choice labels format dates through library.dates, not formats of their own."""
    own_format = re.compile(r"strftime\(|\{\w+:%")
    apps = [
        "activity", "audit", "auditors", "circulation", "config", "facilities",
        "library", "patrons", "portal", "privacy",
    ]  # fmt: skip
    wrong = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for app in apps
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py")
        if path.name != "dates.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if own_format.search(line)
    ]
    assert wrong == []
