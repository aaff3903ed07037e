"""Screen rows: sparse cell dicts with an identity and a version, and their
frozen form for history.

A :class:`Line` is what pyte expects a row to be (``{column: cell}``, missing
columns blank). ``version`` is bumped when a row's content changes and
:func:`line_serial` names the row object, so a renderer can cache per row and
reuse rows that merely moved when the screen scrolled.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from itertools import repeat
from operator import itemgetter
from typing import Any

from .cells import DEFAULT_CELL, Cell, Pen, intern_pen, make_cell

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


class _PlainPens(dict[Pen, tuple]):
    """Each pen's twin as a plain tuple (equal, same hash, so style caches keyed
    by pens find it). The garbage collector stops tracking plain tuples of
    strings and bools; a NamedTuple it tracks forever."""

    def __missing__(self, pen: Pen) -> tuple:
        if len(self) > 65536:
            self.clear()
        plain = self[pen] = tuple(pen)
        return plain


_plain_pens = _PlainPens()
_cell_text = itemgetter(0)
_cell_pen = itemgetter(1)

#: A history row: the cells' texts and, per cell, its pen as a plain tuple.
FrozenLine = tuple[tuple[str, ...], tuple[tuple, ...]]


def freeze_line(line: Line) -> FrozenLine:
    """A row as immutable plain tuples, up to its last written column.

    History rows are kept this way: after its first pass the garbage collector
    no longer tracks them, so ten thousand rows of history add nothing to a
    full collection (rows of NamedTuple cells would make each one long).
    """
    if not line:
        return ((), ())
    cells = list(map(line.get, range(max(line) + 1), repeat(DEFAULT_CELL)))
    return tuple(map(_cell_text, cells)), tuple(map(_plain_pens.__getitem__, map(_cell_pen, cells)))


def thaw_line(frozen: FrozenLine, columns: int) -> Line:
    """A history row back as a screen row (the screen grew), cut to ``columns``."""
    texts, pens = frozen
    return Line(
        (x, make_cell(text, intern_pen(Pen._make(pen))))
        for x, (text, pen) in enumerate(zip(texts[:columns], pens[:columns]))
    )


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
