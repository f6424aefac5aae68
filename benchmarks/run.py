"""Run every benchmark against a fresh PostgreSQL database and write benchmarks/RESULTS.md.

    python -m benchmarks.run --size small      # about a minute, for development
    python -m benchmarks.run --size full       # 1M patrons, 10M loans: most of an hour
    python -m benchmarks.run --size full --only trail --out benchmarks/TRAIL.md
                                               # the audit trail's costs alone, side by side
    python -m benchmarks.run --size full --only issue17 --out benchmarks/ISSUE17.md
                                               # issue 17: the catalogue search (beside its
                                               # floor page) and the nightly notice run

The database named by --database (default library_bench) on the server of
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/) is dropped and
created again. Results state the machine and the date.
"""

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SIZES = {
    "small": {
        "patrons": 10_000, "loans": 100_000, "audit_entries": 100_000, "grants": 5_000,
        "seconds": 5, "history": 10_000, "returns": 5_000, "expired": 100_000,
    },
    "full": {
        "patrons": 1_000_000, "loans": 10_000_000, "audit_entries": 10_000_000, "grants": 100_000,
        "seconds": 20, "history": 10_000, "returns": 20_000, "expired": 1_000_000,
    },
}  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


def _fresh_database(server_url: str, name: str) -> str:
    import psycopg

    parts = urlsplit(server_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores{memory}, {system}"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--database", default="library_bench")
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432/"),
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    parser.add_argument(
        "--only",
        choices=("all", "trail", "issue17"),
        default="all",
        help="trail: only what the audit trail costs (verify, gated page, append); issue17: "
        "only the catalogue search beside its floor page, and the nightly notice run",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    size = SIZES[args.size]

    os.environ["DATABASE_URL"] = _fresh_database(args.server, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks import audit_chain, privacy_overhead
    from benchmarks.fixtures import portal_patron
    from demo.scale import seed_scale

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"Seeding {args.size}: {size}", flush=True)
    seed_started = time.monotonic()
    written = seed_scale(
        patrons=size["patrons"],
        loans=size["loans"],
        # Issue 17's pages and the notice run neither read nor verify the trail: not seeded.
        audit_entries=0 if args.only == "issue17" else size["audit_entries"],
        progress=lambda table, rows: None,
    )
    seed_seconds = time.monotonic() - seed_started
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]

    if args.only == "issue17":
        results = issue17(seconds=size["seconds"])
        _write(args, written, seed_seconds, started, pg_version, results)
        return 0
    results = []
    print("4. audit chain: verify", flush=True)
    results.append(audit_chain.verify(workers=os.cpu_count() or 1))
    # The trail's two per-request costs, side by side: the gated page against
    # the plain one, and a chained append against a plain insert.
    print("1. privacy overhead", flush=True)
    results.append(privacy_overhead.run(patron=portal_patron(loans=20), rounds=300))
    print("4. audit chain: appends", flush=True)
    results.append(audit_chain.appends(rounds=1000))
    if args.only == "all":
        results += _the_rest(size)
    _write(args, written, seed_seconds, started, pg_version, results)
    return 0


def issue17(*, seconds: float, workers: int = 4) -> list[Any]:
    """Issue 17's targets: the catalogue search's latency beside its floor page, then the
    nightly notice run beside the raw SELECTs (on the data already in the database)."""
    from benchmarks import latency
    from benchmarks import notices as notice_run

    print("2. latency: the catalogue search and its floor", flush=True)
    fixtures = latency.prepare()
    results: list[Any] = latency.run(
        fixtures=fixtures,
        seconds=seconds,
        workers=workers,
        only=(latency.CATALOGUE_FLOOR, latency.CATALOGUE_SEARCH),
    )
    print("issue 17: the nightly notice run", flush=True)
    results.append(notice_run.run())
    return results


def _the_rest(size: dict[str, int]) -> list[Any]:
    """Run the benchmarks beyond the audit trail's own costs."""
    from benchmarks import bulk_work, latency, object_permissions

    results = []
    print("2. latency at scale", flush=True)
    fixtures = latency.prepare()
    results += latency.run(fixtures=fixtures, seconds=size["seconds"], workers=4)
    print("   scale out", flush=True)
    results.append(latency.run_scale_out(fixtures=fixtures, seconds=size["seconds"]))
    print("3. bulk work", flush=True)
    results.append(bulk_work.opt_out(entries=size["history"]))
    results.append(bulk_work.day_of_returns(loans=size["returns"]))
    results.append(bulk_work.purge(sessions=size["expired"]))
    print("5. object permissions", flush=True)
    agent = object_permissions.assign_grants(count=size["grants"])
    results.append(object_permissions.run(agent=agent, checks=3000))
    return results


def _write(
    args: argparse.Namespace,
    written: dict[str, int],
    seed_seconds: float,
    started: float,
    pg_version: str,
    results: list[Any],
) -> None:
    """Write the results file: the machine and data, a table of figures, then each one's details."""
    title = "Issue 17 benchmark results" if args.only == "issue17" else "Benchmark results"
    lines = [
        f"# {title}",
        "",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {_machine()}",
        f"- PostgreSQL {pg_version}, database `{args.database}` created fresh for the run",
        f"- Size `{args.size}`: "
        + ", ".join(f"{count:,} {name}" for name, count in written.items()),
        f"- Loading the data with `seed_scale` took {seed_seconds:.0f} s; the whole run took "
        f"{time.monotonic() - started:.0f} s",
    ]
    if args.only != "issue17":
        lines.append(
            "- Why the missed targets are missed, and by how much: [ANALYSIS.md](ANALYSIS.md)"
        )
    lines += [
        "",
        "| benchmark | measured | target | met |",
        "|---|---|---|---|",
    ]
    for result in results:
        met = {True: "yes", False: "**no**", None: "—"}[result.met]
        lines.append(f"| {result.name} | {result.measured} | {result.target} | {met} |")
    lines.append("")
    for result in results:
        lines.append(f"## {result.name}")
        lines.append("")
        lines += [f"- {detail}" for detail in result.details]
        if result.notes:
            lines += ["", result.notes]
        lines.append("")
    Path(args.out).write_text("\n".join(lines))
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    raise SystemExit(main())
