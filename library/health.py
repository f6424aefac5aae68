"""Answer a load balancer's probes, /healthz and /readyz, before anything else runs.

The middleware sits first in MIDDLEWARE, ahead of SecurityMiddleware and
CommonMiddleware, so a probe by IP address over plain HTTP is answered: it is
neither redirected to HTTPS nor refused for its Host header (ALLOWED_HOSTS).
It answers exactly these two paths, to GET and HEAD, and says only "ok" or
which check failed: no counts, no names, no patron data.

- /healthz (liveness): the process answers. No database.
- /readyz (readiness): the database answers, every migration is applied, and
  each job in READYZ_JOBS last ran successfully within READYZ_JOB_MAX_AGE_HOURS
  (library.jobs records the runs; verify_audit's run is the chain verified).
"""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from library.models import JobRun

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"

# Once every migration is applied it stays so for this process's code; the
# migration graph is read from disk, so it is not read again on every probe.
_migrations_applied = False


def unapplied_migrations() -> bool:
    """Whether a migration of this code has not been applied to the database."""
    global _migrations_applied
    if _migrations_applied:
        return False
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    _migrations_applied = not plan
    return bool(plan)


def stale_jobs(now: datetime.datetime | None = None) -> list[str]:
    """Return the names of READYZ_JOBS whose last run failed or is older than allowed."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=settings.READYZ_JOB_MAX_AGE_HOURS)
    fresh = set(
        JobRun.objects.filter(
            name__in=settings.READYZ_JOBS, outcome=JobRun.Outcome.OK, finished__gte=since
        ).values_list("name", flat=True)
    )
    return [name for name in settings.READYZ_JOBS if name not in fresh]


def failed_checks() -> list[str]:
    """Return the readiness checks that fail, by name; empty when ready."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return ["database"]
    try:
        if unapplied_migrations():
            return ["migrations"]
        return [f"job:{name}" for name in stale_jobs()]
    except DatabaseError:
        return ["database"]


def _answer(request: HttpRequest, failed: list[str]) -> HttpResponse:
    body: dict[str, object] = {"status": "ok"} if not failed else {"status": "unavailable"}
    if failed:
        body["failed"] = failed
    response = JsonResponse(body, status=503 if failed else 200)
    if request.method == "HEAD":
        response.content = b""
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HealthCheckMiddleware:
    """Answer /healthz and /readyz to GET and HEAD, whatever the Host and scheme."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path not in (LIVENESS_PATH, READINESS_PATH):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return _answer(request, [] if path == LIVENESS_PATH else failed_checks())
