"""Screen rows: sparse cell dicts with an identity and a version, and the
plain form they take in the history.

A :class:`Line` is what pyte expects a row to be (``{column: cell}``, missing
columns blank). ``version`` is bumped when a row's content changes and
:func:`line_serial` names the row object, so a renderer can cache per row and
reuse rows that merely moved when the screen scrolled.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from itertools import repeat
from typing import Any

from .cells import DEFAULT_CELL, Cell

_serials = itertools.count()


class Line(dict[int, Cell]):
    """One row: a sparse ``{column: Cell}`` dict (missing columns are blank).

    ``version`` is bumped when the row's content changes; ``serial`` names the
    row object and is given out on first use by :func:`line_serial` (rows made
    and dropped during a flood never need one). Renderers key caches on both.
    """

    __init__ = dict.__init__  # C-level construction: rows are made per scrolled line
    default = DEFAULT_CELL
    serial: int | None = None
    version = 0

    def __missing__(self, column: int) -> Cell:
        return self.default


#: A history row: a plain dict of its cells. Built from ``items()`` it is born
#: untracked by the garbage collector (its cells are plain tuples, untracked
#: too), so ten thousand rows of history cost a collection nothing and moving
#: a row into the history is a single C-level copy. (A tuple of cells would be
#: a quarter of the size, but is tracked until a collection has looked at it,
#: which costs floods measurable loop lag; see bench/terminal_throughput.py.)
FrozenLine = dict[int, Cell]


def freeze_line(line: Line) -> FrozenLine:
    """A row as it goes into the history.

    ``dict(line)`` would clone the row's table and with it the row's tracked
    state (a ``Line``, being a subclass, is always tracked); ``items()`` does not.
    """
    return dict(line.items())


def row_cells(row: FrozenLine, columns: int) -> list[Cell]:
    """The first ``columns`` cells of a history row, blanks where nothing was written."""
    return list(map(row.get, range(columns), repeat(DEFAULT_CELL)))


def thaw_line(frozen: FrozenLine, columns: int) -> Line:
    """A history row back as a screen row (the screen grew), cut to ``columns``."""
    return Line((column, cell) for column, cell in frozen.items() if column < columns)


def line_serial(line: Line) -> int:
    """A number naming ``line`` for as long as it exists (never reused)."""
    serial = line.serial
    if serial is None:
        serial = line.serial = next(_serials)
    return serial


class LineBuffer(list[Line]):
    """Rows of a screen, indexed like pyte's dict buffer (``buffer[y]``).

    Indexing stays a C-level list lookup; the few dict-style calls pyte makes
    (``pop(y, None)``, ``y in buffer``, ``values()``, ``clear()``) are provided
    with dict meaning: ``pop`` blanks the row and returns the old one.
    """

    def __init__(self, lines: int) -> None:
        super().__init__(Line() for _ in range(lines))

    def pop(self, y: int, default: Any = None) -> Any:  # type: ignore[override]
        if 0 <= y < len(self):
            old = self[y]
            self[y] = Line()
            return old
        return default

    def __contains__(self, y: object) -> bool:
        return isinstance(y, int) and 0 <= y < len(self)

    def values(self) -> list[Line]:
        return list(self)

    def items(self) -> Iterable[tuple[int, Line]]:
        return enumerate(self)

    def clear(self) -> None:
        self[:] = [Line() for _ in range(len(self))]
