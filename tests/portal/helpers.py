"""Counting a page's queries the same way on PostgreSQL and SQLite."""

import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Transaction bookkeeping around the audit chain's append differs by database
# (savepoints in tests); it is not a per-row cost. Nor is SQLite's read of the
# chain's head before an append: on PostgreSQL the INSERT's trigger reads it.
_BOOKKEEPING = (
    "SAVEPOINT",
    "RELEASE SAVEPOINT",
    "ROLLBACK TO SAVEPOINT",
    "SELECT seq, entry_hash, timestamp FROM privacy_auditentry ORDER BY seq DESC LIMIT 1",
)


def page_queries(fetch: Callable[[], Any]) -> list[str]:
    """Return the SQL a request ran, without the transaction bookkeeping."""
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200, response.status_code
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(_BOOKKEEPING)]


def query_shapes(queries: list[dict[str, Any]]) -> list[str]:
    """Return each captured query's SQL with its values (ids, dates, NULLs, savepoints) masked."""
    shapes = []
    for query in queries:
        sql = re.sub(r'"s\d+_x\d+"', '"savepoint"', query["sql"])
        sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
        shapes.append(re.sub(r"\b(?:\d+|NULL)\b", "?", sql))
    return shapes
