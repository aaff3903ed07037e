"""Screen rows: sparse cell dicts with an identity and a version, and the
run-length form they take in the history.

A :class:`Line` is what pyte expects a row to be (``{column: cell}``, missing
columns blank). ``version`` is bumped when a row's content changes and
:func:`line_serial` names the row object, so a renderer can cache per row and
reuse rows that merely moved when the screen scrolled.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Iterable
from itertools import groupby, islice, repeat
from operator import itemgetter
from typing import Any

from .cells import DEFAULT_CELL, DEFAULT_PEN, Cell, apply_sgr

_serials = itertools.count()


class Line(dict[int, Cell]):
    """One row: a sparse ``{column: Cell}`` dict (missing columns are blank).

    ``version`` is bumped when the row's content changes; ``serial`` names the
    row object and is given out on first use by :func:`line_serial` (rows made
    and dropped during a flood never need one). Renderers key caches on both.
    ``frozen`` is the row's history form when the drawing fast path already
    knows it (the row was written whole, from column 0); it is valid while
    ``frozen_version`` equals ``version`` (any other change bumps the version).
    """

    __init__ = dict.__init__  # C-level construction: rows are made per scrolled line
    default = DEFAULT_CELL
    serial: int | None = None
    version = 0
    frozen: FrozenLine | None = None
    frozen_version = -1

    @property
    def lazy(self) -> bool:
        """Written whole but its cells not filled in yet: only ``frozen`` holds its
        content (see :mod:`.line_batches`; never seen outside a parsing turn).

        Also true of a row an erase just emptied, until ``take_dirty`` bumps its
        version: rows are filled in only right after ``draw_lines``, which takes
        the dirty rows first, so no such row is there then."""
        return not self and self.frozen is not None and self.frozen_version == self.version

    def __missing__(self, column: int) -> Cell:
        return self.default


#: A history row, run-length coded: ``text`` when every cell is drawn with the
#: default pen, else ``(text, runs)`` where ``runs`` is an ``array("H")`` of two
#: numbers per run, the pen's number in :data:`_PENS` and the run's length in cells.
#: ``text`` is a str with one character per cell, or, when a row holds wide
#: characters or clusters, a tuple of each cell's text ("" for the right half
#: of a wide one). Trailing default blanks are left out. A 200-column coloured
#: row costs about 0.4 KB instead of a 10 KB dict of cells, and is expanded to
#: cells only when drawn (bench/terminal_throughput.py measures it). Once the
#: pen numbers run out, rows are ``(text, pen, count, pen, count, ...)``.
#: A line of narrow coloured words written whole may instead be kept as it came,
#: ``(None, pen, raw)``: the text with its SGR sequences and the pen it started
#: with (no runs to work out for a row that scrolls off unseen; about as small).
FrozenLine = str | tuple

#: Splits text with SGR sequences between its runs: [text, params, text, params, ..., text].
split_sgr = re.compile(r"\x1b\[([0-9;:]*)m").split

_DATA = itemgetter(0)
_PEN = itemgetter(1)
#: Every pen a history row has used, numbered in order (shared by all screens).
_PENS: list = []
_MAX_PENS = 60_000


class _PensFull(Exception):
    pass


class _PenNumbers(dict):
    def __missing__(self, pen: tuple) -> int:
        if len(_PENS) >= _MAX_PENS:  # a program cycling through truecolours: stop numbering
            raise _PensFull
        number = self[pen] = len(_PENS)
        _PENS.append(pen)
        return number


_PEN_NUMBERS = _PenNumbers()


def runs_row(text: str | tuple, runs: list) -> FrozenLine:
    """The history form of ``text`` drawn with ``runs`` ([pen, count, ...])."""
    if len(runs) == 2 and runs[0] is DEFAULT_PEN and type(text) is str:
        return text
    codes = list(runs)
    try:
        codes[0::2] = map(_PEN_NUMBERS.__getitem__, runs[0::2])
        return (text, array("H", codes))
    except (_PensFull, OverflowError):  # out of pen numbers, or a run longer than 65 535 cells
        return (text, *runs)


_PEN_AFTER: dict[tuple[tuple, str], tuple] = {}


def _raw_runs(pen: tuple, raw: str) -> tuple[str, list]:
    """The text and runs ([pen, count, ...]) of a row kept as it came."""
    parts = split_sgr(raw)
    runs: list = [pen, len(parts[0])] if parts[0] else []
    after = _PEN_AFTER
    if len(after) > 4096:
        after.clear()
    for params, run in zip(islice(parts, 1, None, 2), islice(parts, 2, None, 2)):
        key = (pen, params)
        following = after.get(key)
        if following is None:
            following = after[key] = apply_sgr(pen, params)
        pen = following
        if run:
            runs += (pen, len(run))
    return "".join(parts[::2]), runs


def row_runs(row: tuple) -> Iterable[tuple[tuple, int]]:
    """(pen, count) for each run of a non-plain history row."""
    if row[0] is None:
        runs = _raw_runs(row[1], row[2])[1]
        return zip(runs[0::2], runs[1::2])
    if len(row) == 2:
        codes = row[1]
        return zip(map(_PENS.__getitem__, codes[0::2]), codes[1::2])
    return zip(row[1::2], row[2::2])


def freeze_line(line: Line) -> FrozenLine:
    """A screen row in its history form."""
    frozen = line.frozen
    if frozen is not None and line.frozen_version == line.version:
        return frozen
    if not line:
        return ""
    cells = list(map(line.get, range(max(line) + 1), repeat(DEFAULT_CELL)))
    while cells and cells[-1] == DEFAULT_CELL:
        cells.pop()
    datas = list(map(_DATA, cells))
    text: str | tuple = "".join(datas)
    if len(text) != len(datas) or (not text.isascii() and set(map(len, datas)) != {1}):
        text = tuple(datas)  # wide characters or clusters: one string per cell
    runs: list = []
    for pen, group in groupby(map(_PEN, cells)):
        runs += (pen, len(list(group)))
    return runs_row(text, runs) if runs else ""


def row_cells(row: FrozenLine, columns: int) -> list[Cell]:
    """The first ``columns`` cells of a history row, blanks where nothing was written."""
    if type(row) is str:
        cells = list(zip(row[:columns], repeat(DEFAULT_PEN)))
    else:
        if row[0] is None:
            text, runs = _raw_runs(row[1], row[2])
            pairs: Iterable[tuple[tuple, int]] = zip(runs[0::2], runs[1::2])
        else:
            text, pairs = row[0], row_runs(row)
        cells = []
        start = 0
        for pen, count in pairs:
            cells += zip(text[start:start + count], repeat(pen))
            start += count
        del cells[columns:]
    if len(cells) < columns:
        cells += repeat(DEFAULT_CELL, columns - len(cells))
    return cells


def row_text(row: FrozenLine, columns: int) -> str:
    """The text of a history row's first ``columns`` cells (wide characters once), not padded."""
    if type(row) is str:
        text: str | tuple = row
    else:
        text = row[0] if row[0] is not None else "".join(split_sgr(row[2])[::2])
    return text[:columns] if type(text) is str else "".join(text[:columns])


def thaw_line(frozen: FrozenLine, columns: int) -> Line:
    """A history row back as a screen row (the screen grew), cut to ``columns``."""
    return Line((column, cell) for column, cell in enumerate(row_cells(frozen, columns)) if cell != DEFAULT_CELL)


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
