"""Small-cell suppression of a table of counts with its totals: a pure function, no Django.

A count below the threshold (`minimum`, the setting STATISTICS_MIN_CELL) could
single out a person at a small branch: three minors who borrowed DVDs at one
branch in one week are three people someone may know. Such a cell is withheld
and shown as "fewer than N" (primary suppression). Withholding it is not
enough while the totals are shown: a row's total minus its shown cells would
give the withheld cell back. So more cells are withheld (complementary
suppression) until no withheld value can be worked out, and the table never
ties a reader to what they borrowed (CONF-9, CONF-1).

The table is read as the (R+1) x (C+1) grid of `counts` with its row totals as
a last column, its column totals as a last row and the grand total in the
corner. Every row and every column of that grid is a *line*: its entries add
up to its total. The guarantees, each checked by tests/circulation/test_statistics.py:

1. Every entry below `minimum` (totals included) is withheld as SMALL.
2. Single lines: no withheld entry of any line can be pinned to one value from
   that line alone, given its shown entries and what the labels say about the
   withheld ones (a SMALL entry lies in 0..minimum-1, a COMPLEMENTARY one is at
   least `minimum`, because every entry below it is SMALL). In particular no
   line has exactly one withheld entry.
3. Several lines together: no withheld entry is fixed by the equations of all
   lines taken together. Withheld entries are the edges of a bipartite graph
   (grid rows to grid columns); an entry is fixed exactly when its edge is a
   bridge, i.e. lies on no cycle, so every bridge gets a further withheld
   entry that closes a cycle through it.

Further entries are chosen smallest value first (cells before the line's total
on a tie of rules), so as little as possible is lost. What it does not cover:
two different tables of the same counts (another period range or another
breakdown) read side by side.
"""

import math
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

Position = tuple[int, int]


class Withheld(Enum):
    """Why a cell is not shown."""

    SMALL = "small"  # below the threshold (primary suppression)
    COMPLEMENTARY = "complementary"  # shown, it would let a small cell be worked out


@dataclass(frozen=True)
class Cell:
    """One entry as it may be shown: its count, or None and why it is withheld."""

    value: int | None
    withheld: Withheld | None = None

    @property
    def shown(self) -> bool:
        return self.withheld is None


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts as it may be shown: cells[row][column], and the totals."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell
    minimum: int

    def grid(self) -> list[list[Cell]]:
        """Return the (R+1) x (C+1) grid: cells, row totals last, column totals and total below."""
        rows = [[*row, total] for row, total in zip(self.cells, self.row_totals, strict=True)]
        return [*rows, [*self.column_totals, self.total]]


NOT_A_TABLE = "Counts must be a non-empty rectangle of whole numbers of at least 0."
BAD_MINIMUM = "The threshold must be a whole number of at least 3."


def suppress(counts: Sequence[Sequence[int]], *, minimum: int) -> SuppressedTable:
    """Return `counts` (R rows of C counts, R, C >= 1) with totals, suppressed as the module says.

    Raises ValueError for a ragged or empty table, a negative count, or a
    `minimum` below 3: "fewer than 1" says the count is 0, and with 2 a line of
    two withheld 1s and a withheld total (2 or more) still reads 1 and 1.
    """
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 3:
        raise ValueError(BAD_MINIMUM)
    if not counts or not counts[0] or any(len(row) != len(counts[0]) for row in counts):
        raise ValueError(NOT_A_TABLE)
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for row in counts for v in row):
        raise ValueError(NOT_A_TABLE)
    grid = _with_totals(counts)
    withheld = {
        (i, j): Withheld.SMALL
        for i, row in enumerate(grid)
        for j, value in enumerate(row)
        if value < minimum
    }
    while _protect_lines(grid, withheld, minimum) | _protect_bridges(grid, withheld):
        pass
    shown = [
        [Cell(None, withheld[(i, j)]) if (i, j) in withheld else Cell(v) for j, v in enumerate(row)]
        for i, row in enumerate(grid)
    ]
    return SuppressedTable(
        cells=tuple(tuple(row[:-1]) for row in shown[:-1]),
        row_totals=tuple(row[-1] for row in shown[:-1]),
        column_totals=tuple(shown[-1][:-1]),
        total=shown[-1][-1],
        minimum=minimum,
    )


def lines(rows: int, columns: int) -> list[tuple[list[Position], Position]]:
    """Return every line of a grid of rows x columns (totals included) as (parts, total)."""
    found = [([(i, j) for j in range(columns - 1)], (i, columns - 1)) for i in range(rows)]
    found += [([(i, j) for i in range(rows - 1)], (rows - 1, j)) for j in range(columns)]
    return found


def bounds(withheld: Withheld, minimum: int) -> tuple[float, float]:
    """Return what a reader knows of a withheld entry from its label: (lowest, highest)."""
    if withheld is Withheld.SMALL:
        return 0, minimum - 1
    return minimum, math.inf


def pinned(
    parts: Sequence[tuple[int, Withheld | None]],
    total: tuple[int, Withheld | None],
    minimum: int,
) -> list[int]:
    """Return the indexes (into parts + [total]) of withheld entries one line pins to one value.

    A line says parts add up to total. Each entry is (value, why withheld or
    None if shown); only shown values and the bounds of the labels are used.
    """
    # As sum of a_e * x_e = 0, with a = +1 for parts and -1 for the total.
    entries = [(1, value, why) for value, why in parts] + [(-1, total[0], total[1])]
    rhs = -sum(sign * value for sign, value, why in entries if why is None)
    hidden = [
        (index, sign, *bounds(why, minimum))
        for index, (sign, _value, why) in enumerate(entries)
        if why is not None
    ]
    # The range of each hidden term a_e * x_e, and of all of them together.
    ranges = [
        (min(sign * low, sign * high), max(sign * low, sign * high))
        for _i, sign, low, high in hidden
    ]
    all_low = sum(low for low, _ in ranges)
    all_high = sum(high for _, high in ranges)
    found = []
    for (index, sign, low, high), (term_low, term_high) in zip(hidden, ranges, strict=True):
        # The other terms' range; infinite ones are not subtracted back out.
        others_low = _without(all_low, term_low, ranges, 0)
        others_high = _without(all_high, term_high, ranges, 1)
        term_from, term_to = rhs - others_high, rhs - others_low
        if sign < 0:
            term_from, term_to = -term_to, -term_from
        if max(low, term_from) == min(high, term_to):
            found.append(index)
    return found


def _without(whole: float, part: float, ranges: list[tuple[float, float]], side: int) -> float:
    if not math.isinf(part):
        return whole - part
    infinite = sum(1 for bound in ranges if bound[side] == part)
    return part if infinite > 1 else sum(b[side] for b in ranges if b[side] != part)


def _with_totals(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in counts]
    return [*rows, [sum(column) for column in zip(*rows, strict=True)]]


def _protect_lines(grid: list[list[int]], withheld: dict[Position, Withheld], minimum: int) -> bool:
    """Withhold more entries until no line pins a withheld one; return True if any was added."""
    added = False
    for parts, total in lines(len(grid), len(grid[0])):
        positions = [*parts, total]
        while pinned(
            [(grid[i][j], withheld.get((i, j))) for i, j in parts],
            (grid[total[0]][total[1]], withheld.get(total)),
            minimum,
        ):
            shown_parts = [p for p in parts if p not in withheld]
            candidates = shown_parts or [p for p in positions if p not in withheld]
            if not candidates:
                break
            choice = min(candidates, key=lambda p: (grid[p[0]][p[1]], p))
            withheld[choice] = Withheld.COMPLEMENTARY
            added = True
    return added


def _protect_bridges(grid: list[list[int]], withheld: dict[Position, Withheld]) -> bool:
    """Close a cycle through each withheld entry that lies on none; return True if any was added."""
    added = False
    for bridge in _bridges(withheld):
        if bridge not in _bridges(withheld):
            continue  # an earlier addition put it on a cycle
        row_side = _reachable(("r", bridge[0]), withheld, without=bridge)
        candidates = [
            (i, j)
            for i in range(len(grid))
            for j in range(len(grid[0]))
            if (i, j) not in withheld and ((("r", i) in row_side) != (("c", j) in row_side))
        ]
        choice = min(candidates, key=lambda p: (grid[p[0]][p[1]], p))
        withheld[choice] = Withheld.COMPLEMENTARY
        added = True
    return added


def _neighbours(withheld: dict[Position, Withheld]) -> dict[tuple[str, int], list[Position]]:
    graph: dict[tuple[str, int], list[Position]] = {}
    for i, j in withheld:
        graph.setdefault(("r", i), []).append((i, j))
        graph.setdefault(("c", j), []).append((i, j))
    return graph


def _reachable(
    start: tuple[str, int], withheld: dict[Position, Withheld], *, without: Position
) -> set[tuple[str, int]]:
    graph = _neighbours(withheld)
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        for edge in graph.get(node, []):
            if edge == without:
                continue
            for other in (("r", edge[0]), ("c", edge[1])):
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
    return seen


def _bridges(withheld: dict[Position, Withheld]) -> list[Position]:
    """Return the withheld entries that lie on no cycle (Tarjan's bridges, without recursion)."""
    graph = _neighbours(withheld)
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: list[Position] = []
    for root in sorted(graph):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[tuple[str, int], Position | None, Iterator[Position]]] = [
            (root, None, iter(graph[root]))
        ]
        while stack:
            node, via, edges = stack[-1]
            edge = next(edges, None)
            if edge is None:
                stack.pop()
                if stack and via is not None:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(via)
                continue
            if edge == via:
                continue
            other = ("c", edge[1]) if node == ("r", edge[0]) else ("r", edge[0])
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, edge, iter(graph[other])))
    return sorted(found)
