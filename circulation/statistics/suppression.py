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
on a tie of rules), so as little as possible is lost.

withhold_cube protects every breakdown of the same counts together (per
branch, per item type, per branch and age group, ...): the tables share
their entries, each table's lines and cycles are kept as above, and so is
every line of the cube (a branch's count and its age groups' counts), so a
coarser table cannot give back what a detailed one withholds.

Across requests (report.statistics_report; the tester's attacks were a
month ending on the 30th against one ending on the 31st, and a week withheld
beside a small one but shown when asked for alone). Every number published
must be a function of the days it covers and its column alone, never of the
range asked for, and no two numbers may be subtracted to give a withheld one:

A. Whole periods. The range is widened to whole days, weeks (Monday to
   Sunday) or calendar months (report.snap), so a row never counts part of a
   period.
B. Pieces. The days are cut at every Monday and every 1st of a month
   (report.pieces): a piece (1 to 7 days) lies inside one week and one
   month, and every day, week and month is a union of whole pieces. Each
   piece is suppressed on its own by withhold_cube with its days as axis 0
   and the piece's sum as their total, every breakdown at once. So a day's
   cell and a piece's cell depend on that piece's counts only, whatever is
   asked; complements are chosen among the piece's days and breakdown, never
   among other periods.
C. Sums of pieces. A week's or a month's cell is the sum of that cell over
   its pieces, shown only when the cell is shown in every piece
   (sum_cells); a day is its piece's row. Totals over the rows of a table
   (a column's total, the grand total) are sums of the rows' cells, shown
   only when every row's cell in that column is shown.

Why that is safe. Let S be the shown entries of all the pieces' cubes (a
piece's days and its sum, over every breakdown). Every number any request
shows is an entry of S (a day, or a piece-sum when the week or month is one
piece) or a sum of entries of S (C), so everything any number of requests
publish, subtracted or added in any way, is known from S alone. Pieces share
no day, so no equation joins the withheld entries of two pieces: the shown
numbers fix them only through each piece's own cube, which withhold_cube
protects by guarantees 1 to 3 (a piece's sum less its shown days is a line
of the cube, along axis 0). A difference of two published numbers is thus a
combination of shown entries and gives back no withheld one: not a day
inside a month (the month is shown only if each piece is, and each piece
protects its days as a table protects its rows), not a week withheld in one
table and shown in another (a week's cell is the same in every request),
not a column's range total against its shown rows (it is shown only when
all of them are). Weeks against months, the subtle case: a month less the
weeks inside it leaves the pieces at its ends, which chain from month to
crossing week to month; every link is a sum of shown pieces, so the chain
gives back only shown entries. The labels say a little more, as within one
table: "fewer than N" bounds a withheld sum to 0..N-1 and "withheld" to N or
more, never to one value beyond what guarantee 2 already allows.

The cost: a week or month with any piece below the threshold in a column
(often a short piece at a month's start or end, a day with nothing counted,
and zero counts are "fewer than N" like any other small count) is withheld
in that column, and a total over rows is withheld whenever one row is.
Sparse tables and fine breakdowns lose the most.

What it does not cover: reasoning that combines lines of several tables of
one piece beyond guarantees 1 to 3; counts that change after being shown (a
day's counts corrected later, or a branch added, which changes the cube's
columns and so its complements), which make two requests at different times
differ; and bounds from the labels taken together across many requests.
"""

import itertools
import math
from collections import deque
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

Position = tuple[int, int]
Key = TypeVar("Key", bound=Hashable)
Line = tuple[list[Key], Key]


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


@dataclass(frozen=True)
class CountedCell(Cell):
    """A cell that keeps its true count, only to label a sum of it (sum_cells); never shown."""

    count: int = 0


def counted(cube: "Cube", key: "CubeKey") -> CountedCell:
    """Return a cube's entry as it may be shown, keeping its count for sums."""
    cell = cube.cell(key)
    return CountedCell(cell.value, cell.withheld, count=cube.values[key])


def sum_cells(parts: Sequence[CountedCell], minimum: int) -> CountedCell:
    """Return the sum of cells of disjoint days: shown only when every part is shown.

    A shown sum then equals the sum of shown counts and tells nothing more;
    a withheld one reads "fewer than N" when it is below the threshold,
    "withheld" otherwise, as any entry does.
    """
    count = sum(part.count for part in parts)
    if all(part.shown for part in parts):
        return CountedCell(count, count=count)
    why = Withheld.SMALL if count < minimum else Withheld.COMPLEMENTARY
    return CountedCell(None, why, count=count)


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
    keys = [[(i, j) for j in range(len(grid[0]))] for i in range(len(grid))]
    values = {(i, j): v for i, row in enumerate(grid) for j, v in enumerate(row)}
    withheld = withhold(values, lines=[], grids=[keys], minimum=minimum)
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


def withhold(
    values: Mapping[Key, int],
    *,
    lines: Sequence[Line[Key]],
    grids: Sequence[Sequence[Sequence[Key]]],
    minimum: int,
) -> dict[Key, Withheld]:
    """Return which entries to withhold, and why, so no line or grid gives one back.

    `values` holds every entry (a count or a total) by key. `lines` are extra
    equations (parts add up to total); `grids` are tables as shown, each
    (R+1) x (C+1) keys with the totals last, whose rows and columns are lines
    too and whose withheld entries must lie on cycles (guarantee 3). Tables
    that share keys (the same count in two views) are protected together: an
    entry is withheld in all or none of them. Ties go to the key first in `values`.
    """
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 3:
        raise ValueError(BAD_MINIMUM)
    withheld = {key: Withheld.SMALL for key, value in values.items() if value < minimum}
    rank = {key: n for n, key in enumerate(values)}
    # A line two tables share (a column of counts) is looked at once.
    every_line = list(
        {
            (tuple(parts), total): (parts, total)
            for parts, total in [*lines, *(line for grid in grids for line in grid_lines(grid))]
        }.values()
    )
    lines_of: dict[Key, list[int]] = {}
    for number, (parts, total) in enumerate(every_line):
        for key in (*parts, total):
            lines_of.setdefault(key, []).append(number)
    # Lines to look at, in turn: at first all, then again those through an
    # entry just withheld (after the others waiting, so one addition does not
    # run ahead of those that would have made it needless).
    waiting = deque(range(len(every_line)))
    queued = set(waiting)
    while True:
        while waiting:
            number = waiting.popleft()
            queued.discard(number)
            for key in _protect_line(values, every_line[number], withheld, minimum, rank):
                for other in lines_of[key]:
                    if other not in queued:
                        queued.add(other)
                        waiting.append(other)
        added = [key for grid in grids for key in _protect_bridges(values, grid, withheld, rank)]
        if not added:
            return withheld
        for key in added:
            for other in lines_of[key]:
                if other not in queued:
                    queued.add(other)
                    waiting.append(other)


# The coordinate of a cube entry that sums its axis (a total, or "all").
ALL = None
CubeKey = tuple[Hashable | None, ...]


@dataclass(frozen=True)
class Cube:
    """Counts on several axes with every total, and what to withhold of them (withhold_cube)."""

    values: dict[CubeKey, int]
    withheld: dict[CubeKey, Withheld]
    axes: tuple[tuple[Hashable, ...], ...]

    def cell(self, key: CubeKey) -> Cell:
        """Return an entry as it may be shown (ALL in a coordinate for that axis's total)."""
        why = self.withheld.get(key)
        return Cell(None, why) if why is not None else Cell(self.values[key])

    def view_keys(self, shown_axes: Sequence[int]) -> list[list[CubeKey]]:
        """Return the keys of rows (axis 0) by combinations of `shown_axes`, totals last."""
        return _view(self.axes, shown_axes)


def withhold_cube(
    counts: Mapping[CubeKey, int], *, axes: Sequence[Sequence[Hashable]], minimum: int
) -> Cube:
    """Suppress every table one can draw from counts on `axes`, together.

    `counts` maps a key, one value of each axis (missing keys count 0), to a
    count. The tables are: rows along axis 0 (periods, say), columns the
    combinations of any subset of the other axes (the page's breakdown), each
    with its totals; all of them and every line of the cube along any axis
    (a branch's count is the sum of its item types' counts) are protected at
    once, so an entry that two tables share is withheld in both or in
    neither, and a count withheld in a detailed table is not given back by a
    coarser one. Costs grow with the cube's size, the product of (values + 1)
    over the axes.
    """
    frozen = tuple(tuple(axis) for axis in axes)
    values: dict[CubeKey, int] = {
        key: 0 for key in itertools.product(*((*axis, ALL) for axis in frozen))
    }
    for key, count in counts.items():
        for summed in itertools.product(*((coordinate, ALL) for coordinate in key)):
            values[summed] += count
    lines: list[Line[CubeKey]] = []
    for axis, along in enumerate(frozen):
        others = [(*a, ALL) if n != axis else (ALL,) for n, a in enumerate(frozen)]
        for fixed in itertools.product(*others):
            parts = [_put(fixed, axis, value) for value in along]
            lines.append((parts, fixed))
    views = [
        _view(frozen, list(chosen))
        for size in range(1, len(frozen))
        for chosen in itertools.combinations(range(1, len(frozen)), size)
        if all(frozen[n] for n in chosen)  # an axis without values has no table
    ]
    withheld = withhold(values, lines=lines, grids=views, minimum=minimum)
    return Cube(values=values, withheld=withheld, axes=frozen)


def _put(key: CubeKey, axis: int, value: Hashable | None) -> CubeKey:
    return (*key[:axis], value, *key[axis + 1 :])


def _view(axes: Sequence[Sequence[Hashable]], shown_axes: Sequence[int]) -> list[list[CubeKey]]:
    combinations = list(itertools.product(*(axes[n] for n in shown_axes))) or [()]
    grid = []
    for row in (*axes[0], ALL):
        keys = []
        for combination in combinations:
            key: list[Hashable | None] = [row, *([ALL] * (len(axes) - 1))]
            for n, value in zip(shown_axes, combination, strict=True):
                key[n] = value
            keys.append(tuple(key))
        if shown_axes:
            keys.append((row, *([ALL] * (len(axes) - 1))))
        grid.append(keys)
    return grid


def grid_lines(grid: Sequence[Sequence[Key]]) -> list[Line[Key]]:
    """Return every row and column of a grid of keys (totals last) as (parts, total)."""
    found = [(list(row[:-1]), row[-1]) for row in grid]
    found += [([row[j] for row in grid[:-1]], grid[-1][j]) for j in range(len(grid[0]))]
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
    # As sum of a_e * x_e = 0, with a = +1 for parts and -1 for the total: the
    # withheld terms a_e * x_e must add up to what the shown ones leave over.
    entries = [(1, value, why) for value, why in parts] + [(-1, total[0], total[1])]
    left_over = -sum(sign * value for sign, value, why in entries if why is None)
    hidden = [index for index, (_sign, _value, why) in enumerate(entries) if why is not None]
    if len(hidden) == 1:
        return hidden
    lowest = highest = 0.0
    for sign, _value, why in entries:
        if why is not None:
            low, high = bounds(why, minimum)
            lowest += min(sign * low, sign * high)
            highest += max(sign * low, sign * high)
    # Every withheld term can move (a "fewer than" one over 0..minimum-1, at
    # least 2 wide; a "withheld" one without end), so with two or more of them
    # one is pinned only when all are: when the left-over needs each at its
    # lowest or each at its highest.
    if left_over in (lowest, highest):
        return hidden
    return []


def _with_totals(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in counts]
    return [*rows, [sum(column) for column in zip(*rows, strict=True)]]


def _protect_line(
    values: Mapping[Key, int],
    line: Line[Key],
    withheld: dict[Key, Withheld],
    minimum: int,
    rank: Mapping[Key, int],
) -> list[Key]:
    """Withhold more entries of a line until it pins no withheld one; return those withheld."""
    parts, total = line
    added: list[Key] = []
    if total not in withheld and not any(part in withheld for part in parts):
        return added
    while pinned(
        [(values[part], withheld.get(part)) for part in parts],
        (values[total], withheld.get(total)),
        minimum,
    ):
        candidates = [part for part in parts if part not in withheld]
        if not candidates and total not in withheld:
            candidates = [total]
        if not candidates:
            break
        choice = min(candidates, key=lambda key: (values[key], rank[key]))
        withheld[choice] = Withheld.COMPLEMENTARY
        added.append(choice)
    return added


def _protect_bridges(
    values: Mapping[Key, int],
    grid: Sequence[Sequence[Key]],
    withheld: dict[Key, Withheld],
    rank: Mapping[Key, int],
) -> list[Key]:
    """Close a cycle through each withheld entry that lies on none; return the entries added."""
    added: list[Key] = []
    for bridge in _bridges(_positions(grid, withheld)):
        hidden = _positions(grid, withheld)
        if bridge not in _bridges(hidden):
            continue  # an earlier addition put it on a cycle
        row_side = _reachable(("r", bridge[0]), hidden, without=bridge)
        candidates = [
            (i, j)
            for i, row in enumerate(grid)
            for j, key in enumerate(row)
            if key not in withheld and ((("r", i) in row_side) != (("c", j) in row_side))
        ]
        i, j = min(candidates, key=lambda p: (values[grid[p[0]][p[1]]], rank[grid[p[0]][p[1]]]))
        withheld[grid[i][j]] = Withheld.COMPLEMENTARY
        added.append(grid[i][j])
    return added


def _positions(grid: Sequence[Sequence[Key]], withheld: Mapping[Key, Withheld]) -> set[Position]:
    return {(i, j) for i, row in enumerate(grid) for j, key in enumerate(row) if key in withheld}


def _neighbours(hidden: set[Position]) -> dict[tuple[str, int], list[Position]]:
    graph: dict[tuple[str, int], list[Position]] = {}
    for i, j in sorted(hidden):
        graph.setdefault(("r", i), []).append((i, j))
        graph.setdefault(("c", j), []).append((i, j))
    return graph


def _reachable(
    start: tuple[str, int], hidden: set[Position], *, without: Position
) -> set[tuple[str, int]]:
    graph = _neighbours(hidden)
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


def _bridges(hidden: set[Position]) -> list[Position]:
    """Return the withheld entries that lie on no cycle (Tarjan's bridges, without recursion)."""
    graph = _neighbours(hidden)
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
