"""Hypothesis strategies for hostile input, and a snapshot of the database to compare.

The values are what a careless or malicious client sends: huge strings,
control characters and NUL bytes, unicode edge cases (direction overrides,
zero-width and combining characters, digits that are not ASCII), numbers that
are negative, huge or not numbers at all, dates far in the past and future or
impossible, markup and SQL, a field sent twice, a file where text is expected.
"""

import datetime
import os
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Modest by default so the suite stays fast in CI; raise it to hunt:
# SECURITY_EXAMPLES=200 pytest tests/security
BAD_INPUT = settings(
    max_examples=int(os.environ.get("SECURITY_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("SECURITY_EXAMPLES") is None,
)

HUGE = st.sampled_from(["x" * 100_000, "9" * 5_000, "ä" * 30_000, "1" * 19, "9" * 40])
CONTROL = st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=20)
UNICODE = st.sampled_from(
    [
        "\u202eevil\u202c",  # right-to-left override
        "\u200b",  # zero-width space
        "\ufeff21000000000101",  # byte-order mark before a card number
        "e\u0301\u0301\u0301",  # stacked combining accents
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # an emoji sequence
        "\U0010ffff",  # the last code point
        "İı ß ﬃ",  # case mappings that change length
        "١٢٣٤",  # Arabic-Indic digits: str.isdigit() says yes
        "²³",  # superscripts: isdigit() says yes, int() says no
        "\u2028\u2029",  # line and paragraph separators
        "\uff21\uff22\uff23\uff11\uff12\uff13",  # full-width letters and digits
    ]
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["-1", "0", "-0", "1e309", "NaN", "inf", "0x10", "1_000", "1.5", " 7 "]),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "2026-02-30",
            "0000-00-00",
            "2026-13-01",
            "-2026-01-01",
            "9999-12-31T23:59:59",
            "9999-12-31 23:59",
            "0001-01-01T00:00",
            "1970-01-01T00:00:00+14:00",
        ]
    ),
    st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)).map(
        datetime.date.isoformat
    ),
    st.datetimes(
        min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30)
    ).map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
)
MARKUP = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "' OR 1=1 --",
        '"; DROP TABLE patrons_patron; --',
        "<script>alert(1)</script>",
        "{{ settings.SECRET_KEY }}",
        "../../../etc/passwd",
        "%00",
        "None",
        "[]",
        '=HYPERLINK("http://x")',
    ]
)
TEXT = st.text(max_size=300)
SCALAR = st.one_of(TEXT, CONTROL, UNICODE, NUMBERS, DATES, MARKUP, HUGE)
A_FILE = st.builds(
    lambda content: SimpleUploadedFile("x.png", content, content_type="image/png"),
    st.binary(max_size=64),
)
# A field sent twice arrives as a list; a file may come where text is expected.
VALUE = st.one_of(SCALAR, st.lists(SCALAR, min_size=2, max_size=3), A_FILE)


def spoiled(value: object) -> st.SearchStrategy[object]:
    """Return hostile values, weighted towards those that go wrong for this kind of field."""
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ].*)?", text):
        return st.one_of(DATES, DATES, DATES, VALUE)
    if isinstance(value, int) or text.isdigit():
        return st.one_of(NUMBERS, NUMBERS, HUGE, UNICODE, VALUE)
    return VALUE


@st.composite
def hostile_payload(draw, valid: dict[str, object]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Start from a valid submission; keep, spoil or drop each field, and maybe add one."""
    payload: dict[str, object] = {}
    for name, value in valid.items():
        choice = draw(st.sampled_from(["keep", "spoil", "drop"]))
        if choice == "keep":
            payload[name] = value
        elif choice == "spoil":
            payload[name] = draw(spoiled(value))
    if draw(st.booleans()):
        payload[draw(st.sampled_from(["extra", "id", "pk", "csrfmiddlewaretoken"]))] = draw(VALUE)
    return payload


# Tables whose rows change by design whatever the answer: the audit trail logs
# every read and refusal, sessions keep their idle timers, django-axes counts
# failed sign-ins.
MAY_CHANGE = {"privacy_auditentry", "django_session"}
MAY_CHANGE_PREFIX = ("axes_",)


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Return every row of every table but those that change by design, for comparison."""
    quote = connection.ops.quote_name
    tables = sorted(
        name
        for name in connection.introspection.table_names()
        if name not in MAY_CHANGE and not name.startswith(MAY_CHANGE_PREFIX)
    )
    rows = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows[table] = sorted(map(tuple, cursor.fetchall()), key=repr)
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:  # type: ignore[type-arg]
    return [table for table in before if before[table] != after.get(table)]
