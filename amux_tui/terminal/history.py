"""The scrollback: rows that scrolled off the top of the main screen.

Rows arrive as live :class:`~.lines.Line` dicts and are frozen into plain
tuples (:func:`~.lines.freeze_line`) a little later, in bounded batches
(:meth:`History.freeze`): during a flood most rows fall off the far end of the
history before anyone freezes them, so only what stays pays, and frozen rows
cost the garbage collector nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from .lines import FrozenLine, Line, freeze_line, thaw_line

Row = Line | FrozenLine


class History:
    """Up to ``maxlen`` rows, oldest first, each named by (epoch, number) for caches."""

    def __init__(self, maxlen: int) -> None:
        self.rows: deque[Row] = deque(maxlen=max(0, maxlen))
        #: How many rows were ever added (less those taken back).
        self.evicted_total = 0
        #: Bumped when rows are taken back or cleared, so old names are never reused.
        self.epoch = 0
        self._unfrozen = 0  # rows at the end not frozen yet

    @property
    def maxlen(self) -> int:
        return self.rows.maxlen or 0

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Row:
        return self.rows[index]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def name(self, index: int) -> tuple[int, int]:
        """A name for row ``index`` that stays the same while the row is kept."""
        return self.epoch, self.evicted_total - len(self.rows) + index

    def add(self, line: Line) -> None:
        if self.rows.maxlen:
            self.rows.append(line)
            self.evicted_total += 1
            self._unfrozen += 1

    def extend(self, lines: Iterable[Line]) -> None:
        for line in lines:
            self.add(line)

    def clear(self) -> None:
        self.rows.clear()
        self._unfrozen = 0
        self.epoch += 1

    def take_last(self, columns: int) -> Line | None:
        """Take the newest row back (the screen grew taller), cut to ``columns``."""
        if not self.rows:
            return None
        row = self.rows.pop()
        self.evicted_total -= 1
        self.epoch += 1
        if isinstance(row, Line):
            self._unfrozen = max(0, self._unfrozen - 1)
            for column in [column for column in row if column >= columns]:
                del row[column]
            row.version += 1
            return row
        return thaw_line(row, columns)

    @property
    def unfrozen(self) -> int:
        return min(self._unfrozen, len(self.rows))

    def freeze(self, limit: int) -> int:
        """Freeze up to ``limit`` of the oldest live rows; returns how many remain."""
        rows = self.rows
        pending = self.unfrozen
        start = len(rows) - pending
        count = min(limit, pending)
        for index in range(start, start + count):
            row = rows[index]
            if isinstance(row, Line):
                rows[index] = freeze_line(row)
        self._unfrozen = pending - count
        return self._unfrozen

    def texts(self, columns: int) -> list[str]:
        """Each row as text (right-trimmed), oldest first."""
        result = []
        for row in self.rows:
            if isinstance(row, Line):
                text = "".join(row[x].data for x in range(min(columns, max(row) + 1))) if row else ""
            else:
                text = "".join(row[0][:columns])
            result.append(text.rstrip())
        return result
