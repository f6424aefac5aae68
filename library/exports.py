"""CSV downloads: streamed, and safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

# A spreadsheet runs a cell that starts with one of these as a formula; such a
# value is written with a leading apostrophe, so it stays text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object that hands back what the csv writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> str:
    """Return a value as CSV text that no spreadsheet runs as a formula (None is empty).

    A value that starts with a formula character gets one leading apostrophe;
    so does one that already starts with apostrophes before such a character,
    so that csv_uncell gives back exactly the value.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def csv_uncell(text: str) -> str:
    """Undo csv_cell: drop the one apostrophe it put before a formula character."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Stream rows as a CSV download, so an export of millions of rows never sits in memory."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([csv_cell(value) for value in header])
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
