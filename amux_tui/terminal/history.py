"""The scrollback: rows that scrolled off the top of the main screen.

Rows are kept run-length coded (:func:`~.lines.freeze_line`): a str, or its text
and an array of pen numbers and run lengths, about 0.45 KB for a 200-column
coloured row.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from .lines import FrozenLine, Line, freeze_line, row_text, thaw_line


class History:
    """Up to ``maxlen`` rows, oldest first, each named by (epoch, number) for caches."""

    def __init__(self, maxlen: int) -> None:
        self.rows: deque[FrozenLine] = deque(maxlen=max(0, maxlen))
        #: How many rows were ever added (less those taken back).
        self.evicted_total = 0
        #: Bumped when rows are taken back or cleared, so old names are never reused.
        self.epoch = 0

    @property
    def maxlen(self) -> int:
        return self.rows.maxlen or 0

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> FrozenLine:
        return self.rows[index]

    def __iter__(self) -> Iterator[FrozenLine]:
        return iter(self.rows)

    def name(self, index: int) -> tuple[int, int]:
        """A name for row ``index`` that stays the same while the row is kept."""
        return self.epoch, self.evicted_total - len(self.rows) + index

    def add(self, line: Line) -> None:
        if self.rows.maxlen:
            self.rows.append(freeze_line(line))
            self.evicted_total += 1

    def extend(self, lines: Iterable[Line]) -> None:
        for line in lines:
            self.add(line)

    def clear(self) -> None:
        self.rows.clear()
        self.epoch += 1

    def take_last(self, columns: int) -> Line | None:
        """Take the newest row back (the screen grew taller), cut to ``columns``."""
        if not self.rows:
            return None
        self.evicted_total -= 1
        self.epoch += 1
        return thaw_line(self.rows.pop(), columns)

    def texts(self, columns: int) -> list[str]:
        """Each row as text (right-trimmed), oldest first."""
        return [row_text(row, columns).rstrip() for row in self.rows]
