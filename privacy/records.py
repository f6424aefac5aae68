"""What each category of patron data is made of, for a release and for a desk page.

The domain apps own the records. Each app that keeps a category of patron data
registers a source for it in its own `records.py` (found and imported
automatically, as retention kinds are), and the privacy pages read through the
sources once the gate has allowed the category: a release under a legal order
(CONF-5), the inquiry desk (CONF-4), a contracted agent's account page
(CONF-7), the patron's own download. A category with no source has no records
kept in this system.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from patrons.models import Patron

# A range of record dates, both days included.
Window = tuple[datetime.date, datetime.date]
ALL_TIME: Window = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))


@dataclass(frozen=True)
class RecordSource:
    """Where one category of a patron's records comes from."""

    category: str  # a DataCategory value
    # The records dated inside the window, as plain JSON values (a release, a download).
    release: Callable[[Patron, Window], list[dict[str, Any]]]
    # What a desk page shows of the category today; the plain records when not given.
    summary: Callable[[Patron], dict[str, Any]] | None = None
    # The models (by label) whose rows these records come from; each model the
    # inventory gives the patron in their download must be named by its
    # category's source (tests/privacy/test_inventory.py).
    models: tuple[str, ...] = ()


_registry: dict[str, RecordSource] = {}


def register(source: RecordSource) -> RecordSource:
    """Add the source of a category; registering a category again replaces it."""
    _registry[source.category] = source
    return source


def source_for(category: str) -> RecordSource | None:
    """Return the registered source of a category, importing each app's `records` module first."""
    autodiscover_modules("records")
    return _registry.get(str(category))


def day_range(window: Window) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the first and last moments of a window of days, in the library's time zone."""
    start, end = window
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, zone),
        datetime.datetime.combine(end, datetime.time.max, zone),
    )


def records_for_release(
    *, patron: Patron, category: str, records_from: datetime.date, records_until: datetime.date
) -> dict[str, Any]:
    """Return one category of a patron's records dated inside the window, as plain data."""
    source = source_for(category)
    records = source.release(patron, (records_from, records_until)) if source else []
    return {"patron": patron.pk, "category": str(category), "records": records}


def patron_summary(patron: Patron, category: str) -> dict[str, Any]:
    """Return what a desk page shows of one category of data, once the gate allowed it."""
    source = source_for(category)
    if source is None:
        return {"records": []}
    if source.summary is not None:
        return source.summary(patron)
    return {"records": source.release(patron, ALL_TIME)}
