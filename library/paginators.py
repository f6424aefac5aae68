"""Pagination that stays fast when a search matches a large part of a big table."""

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Count matches only up to `cap`, then say "more than cap".

    A broad name search over a million patrons can match tens of thousands;
    counting them all costs far more than fetching the page, and staff only
    need to know that the search should be narrowed. `count` is then cap + 1.
    """

    cap = 1000

    @cached_property
    def count(self) -> int:
        matches: Any = self.object_list  # a QuerySet in the admin
        return int(matches.order_by()[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return self.count > self.cap
