"""Timing helpers shared by the benchmarks."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    """One benchmark's figures against its target, as a row of the results file."""

    name: str
    measured: str
    target: str
    met: bool | None
    notes: str = ""
    details: list[str] = field(default_factory=list)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def alternate(
    a: Callable[[], object], b: Callable[[], object], *, rounds: int, warmup: int = 20
) -> tuple[list[float], list[float]]:
    """Time a and b in alternation, so both see the same machine state; return both samples."""
    for _ in range(warmup):
        a()
        b()
    times_a, times_b = [], []
    for _ in range(rounds):
        times_a.append(timed(a))
        times_b.append(timed(b))
    return times_a, times_b


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def median(samples: list[float]) -> float:
    return statistics.median(samples)
