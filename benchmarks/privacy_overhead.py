"""Benchmark 1: the gated portal account page against the same page with no privacy at all.

The plain page is a view in this file: it finds the signed-in patron and runs
the same queries and template, but asks no gate, writes no audit entry and is
declared public, so the privacy middleware does nothing for it. Both go through
the same Django stack in the same process, alternating request by request.
"""

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from benchmarks.common import Result, alternate, median, ms, percentile
from config import urls as project_urls
from library.declarations import public
from patrons.models import Patron
from portal import selectors

TARGET = 1.15


@public
def plain_account(request: HttpRequest) -> HttpResponse:
    patron = Patron.objects.select_related("home_branch").get(user_id=request.user.pk or 0)
    loans = Paginator(selectors.current_loans(patron), selectors.LOAN_PAGE_SIZE).get_page(None)
    context: dict[str, Any] = {
        "patron": patron,
        "loans": loans,
        "holds": list(selectors.holds_of(patron)),
        "fines": list(selectors.unpaid_fines(patron)),
        "now": timezone.now(),
        # The same list the gated page shows: minors listed to this patron, still minors.
        "minors": list(
            Patron.objects.minors()
            .filter(responsible_adults__adult_id=patron.pk)
            .order_by("first_name")
        ),
        "actions": True,  # the gated page offers renewals to the account holder too
    }
    return render(request, "portal/account.html", context)


urlpatterns = [path("bench/plain-account/", plain_account), *project_urls.urlpatterns]


def run(*, patron: Patron, rounds: int) -> Result:
    client = Client(HTTP_HOST="localhost")
    client.force_login(patron.user)  # type: ignore[arg-type]
    with override_settings(ROOT_URLCONF=__name__):
        gated = lambda: _ok(client.get("/portal/"))  # noqa: E731
        plain = lambda: _ok(client.get("/bench/plain-account/"))  # noqa: E731
        gated_times, plain_times = alternate(gated, plain, rounds=rounds)
    ratio = median(gated_times) / median(plain_times)
    return Result(
        name="1. Privacy overhead: portal account page, gated vs plain",
        measured=f"{ratio:.2f}× ({ms(median(gated_times))} vs {ms(median(plain_times))} median)",
        target=f"≤ {TARGET}×",
        met=ratio <= TARGET,
        details=[
            f"{rounds} requests each, alternating, in one process against PostgreSQL",
            f"gated p95 {ms(percentile(gated_times, 95))}, "
            f"plain p95 {ms(percentile(plain_times, 95))}",
            "the gated page writes two audit entries (identity, circulation) in the hash chain",
        ],
    )


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"benchmark page answered {response.status_code}")
