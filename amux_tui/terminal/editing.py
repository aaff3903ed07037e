"""Scrolling, inserting, deleting and erasing: list splices and C-level fills.

Mixed into :class:`~.screen.TerminalScreen`, replacing pyte's per-cell loops.
Rows that scroll off the top of the main screen go to the history; rows that
only move keep their identity and version, so cached renderings stay valid.
Erased cells and rows scrolled in take the current background colour only
(back-colour erase: xterm-256color advertises ``bce``, so programs rely on it).
An edit that cuts a wide character in two blanks both halves, so a row never
holds half of one (it would render one column off). Erasing, inserting or
deleting characters cancels a pending wrap, as in xterm (``ResetWrap``): the
edit happens at the last column and the next character is written there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .cells import BG, DEFAULT_CELL, Cell, make_cell, make_pen
from .lines import Line

if TYPE_CHECKING:
    from .screen import TerminalScreen

    _Base = TerminalScreen
else:
    _Base = object


class ScreenEditing(_Base):
    """Scrolling and erasing for :class:`~.screen.TerminalScreen`."""

    # -- scrolling ---------------------------------------------------------------

    def _region(self) -> tuple[int, int]:
        margins = self.margins
        return (0, self.lines - 1) if margins is None else (margins.top, margins.bottom)

    def scroll_up(self, count: int = 1, top: int | None = None, bottom: int | None = None) -> None:
        """Move rows of the scroll region up; rows leaving row 0 go to scrollback."""
        region_top, region_bottom = self._region()
        top = region_top if top is None else top
        bottom = region_bottom if bottom is None else bottom
        count = max(1, min(count, bottom - top + 1))
        self._settle_dirty()
        buffer = self.buffer
        gone = buffer[top:top + count]
        del buffer[top:top + count]
        buffer[bottom - count + 1:bottom - count + 1] = [self._blank_line() for _ in range(count)]
        if top == 0 and self._main_buffer is None:
            self.history.extend(gone)

    def scroll_down(self, count: int = 1, top: int | None = None, bottom: int | None = None) -> None:
        """Move rows of the scroll region down, blank rows appear at its top."""
        region_top, region_bottom = self._region()
        top = region_top if top is None else top
        bottom = region_bottom if bottom is None else bottom
        count = max(1, min(count, bottom - top + 1))
        self._settle_dirty()
        buffer = self.buffer
        del buffer[bottom - count + 1:bottom + 1]
        buffer[top:top] = [self._blank_line() for _ in range(count)]

    def index(self) -> None:
        cursor = self.cursor
        y = cursor.y
        if self.margins is None:
            # The hot path of any flood: a linefeed on a screen without margins.
            if y < self.lines - 1:
                cursor.y = y + 1
                return
            if self.dirty:
                self.take_dirty()
            buffer = self.buffer
            gone = buffer[0]
            del buffer[0]
            buffer.append(self._blank_line())
            if self._main_buffer is None:
                self.history.add(gone)
            return
        top, bottom = self._region()
        if y == bottom:
            self.scroll_up(1, top, bottom)
        elif y < self.lines - 1:
            cursor.y = y + 1

    def linefeed_for_wrap(self) -> None:
        """Auto-wrap moves to the next row like a linefeed, whatever LNM says."""
        self.index()

    def reverse_index(self) -> None:
        top, bottom = self._region()
        y = self.cursor.y
        if y == top:
            self.scroll_down(1, top, bottom)
        elif y > 0:
            self.cursor.y = y - 1

    def insert_lines(self, count: int | None = None) -> None:
        top, bottom = self._region()
        if top <= self.cursor.y <= bottom:
            self.scroll_down(count or 1, self.cursor.y, bottom)
            self.cursor.x = 0

    def delete_lines(self, count: int | None = None) -> None:
        top, bottom = self._region()
        if top <= self.cursor.y <= bottom:
            self._settle_dirty()
            count = max(1, min(count or 1, bottom - self.cursor.y + 1))
            buffer = self.buffer
            del buffer[self.cursor.y:self.cursor.y + count]
            buffer[bottom - count + 1:bottom - count + 1] = [self._blank_line() for _ in range(count)]
            self.cursor.x = 0

    # -- erasing (background colour erase, C-level fills) ----------------------

    def _blank(self) -> Cell:
        """What erased cells become: blank, in the current background colour only."""
        bg = self.cursor.attrs[1][BG]
        if bg == "default":
            return DEFAULT_CELL
        blank = self._blanks.get(bg)
        if blank is None:
            blank = self._blanks[bg] = make_cell(" ", make_pen(bg=bg))
        return blank

    def _end_pending_wrap(self) -> int:
        """The cursor back on the last column if a wrap was pending (x == columns); its x."""
        cursor = self.cursor
        if cursor.x >= self.columns:
            cursor.x = self.columns - 1
        return cursor.x

    def _blank_line(self) -> Line:
        """A row scrolled in: blank, in the current background colour."""
        blank = self._blank()
        if blank is DEFAULT_CELL:
            return Line()
        return Line.fromkeys(range(self.columns), blank)

    def _cut_wide(self, line: Line, x: int) -> None:
        """Blank both halves of a wide character that straddles the cut before column ``x``."""
        if 0 < x < self.columns:
            tail = line.get(x)
            if tail is not None and tail[0] == "":
                line[x] = (" ", tail[1])
                line[x - 1] = (" ", line[x - 1][1])

    def _fill(self, y: int, start: int, stop: int) -> None:
        blank = self._blank()
        line = self.buffer[y]
        self._cut_wide(line, start)
        self._cut_wide(line, stop)
        if blank is DEFAULT_CELL and start == 0 and stop >= self.columns:
            line.clear()
        else:
            line.update(dict.fromkeys(range(start, min(stop, self.columns)), blank))
        self.dirty.add(y)

    def _rewrite_row(self, x: int, cells: list[Cell | None], gap: range) -> None:
        """Set the cursor row from column ``x`` on; None stays blank, ``gap`` gets the erase colour."""
        line = self.buffer[self.cursor.y]
        blank = self._blank()
        for offset, cell in enumerate(cells):
            column = x + offset
            if column in gap:
                line[column] = blank
            elif cell is None:
                line.pop(column, None)
            else:
                line[column] = cell
        self.dirty.add(self.cursor.y)

    def insert_characters(self, count: int | None = None) -> None:
        """ICH: open ``count`` blank cells at the cursor, pushing the rest right (and off)."""
        x = self._end_pending_wrap()
        count = max(1, min(count or 1, self.columns - x))
        line = self.buffer[self.cursor.y]
        self._cut_wide(line, x)
        self._cut_wide(line, self.columns - count)  # a wide character pushed half off the row
        cells = [line.get(column) for column in range(x, self.columns)]
        self._rewrite_row(x, [None] * count + cells[:len(cells) - count], range(x, x + count))

    def delete_characters(self, count: int | None = None) -> None:
        """DCH: remove ``count`` cells at the cursor, pulling the rest left."""
        x = self._end_pending_wrap()
        count = max(1, min(count or 1, self.columns - x))
        line = self.buffer[self.cursor.y]
        self._cut_wide(line, x)
        self._cut_wide(line, x + count)
        cells = [line.get(column) for column in range(x, self.columns)]
        self._rewrite_row(x, cells[count:] + [None] * count, range(self.columns - count, self.columns))

    def alignment_display(self) -> None:
        """DECALN (ESC # 8): fill the screen with "E", the alignment test pattern."""
        pattern = dict.fromkeys(range(self.columns), make_cell("E", DEFAULT_CELL[1]))
        for line in self.buffer:
            line.clear()
            line.update(pattern)
        self.dirty.update(range(self.lines))

    def erase_characters(self, count: int | None = None) -> None:
        x = self._end_pending_wrap()
        self._fill(self.cursor.y, x, x + (count or 1))

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        x = self._end_pending_wrap()
        if how == 0:
            self._fill(self.cursor.y, x, self.columns)
        elif how == 1:
            self._fill(self.cursor.y, 0, x + 1)
        elif how == 2:
            self._fill(self.cursor.y, 0, self.columns)

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        y = self.cursor.y
        if how == 0:
            rows: Iterable[int] = range(y + 1, self.lines)
            self.erase_in_line(0)
        elif how == 1:
            rows = range(y)
            self.erase_in_line(1)
        elif how == 2:
            rows = range(self.lines)
            self._end_pending_wrap()
        elif how == 3:
            rows = ()  # as xterm and tmux: the history only, the screen stays
            if self._main_buffer is None:
                self.history.clear()
        else:
            return
        for row in rows:
            self._fill(row, 0, self.columns)
