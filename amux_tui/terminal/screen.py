"""The terminal screen: pyte's model with fast hot paths, scrollback and xterm modes.

``TerminalScreen`` subclasses ``pyte.Screen`` (pyte itself is untouched):

* the buffer is a :class:`LineBuffer` (a list of rows) so scrolling is a list
  splice, not a per-row dict shuffle (:mod:`.editing`); rows scrolled off the
  top go to the :class:`~.history.History`;
* ``draw`` writes a run of narrow text with C-level dict updates and interned
  cells, and handles grapheme clusters (ZWJ, variation selectors) without
  dropping text (:mod:`.drawing`);
* rows carry a ``serial`` (identity) and ``version`` (bumped when changed) so a
  renderer can cache per row and reuse rows that merely moved;
* the modes real TUIs use are kept (alternate screen, mouse, paste, focus,
  synchronized output, application cursor keys), see :mod:`.modes`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pyte
from pyte.screens import Margins

from .cells import DEFAULT_CELL, DEFAULT_PEN, Cell, Pen, SgrOps, apply_ops, cell_with, make_cell, sgr_ops
from .drawing import _IDENTITY_CHARSET, _Glyphs
from .editing import ScreenEditing
from .history import History
from .line_batches import LineBatches
from .lines import FrozenLine, Line, LineBuffer, line_serial, row_cells
from .modes import ANSI_MODES, ModeState


class TerminalScreen(LineBatches, ScreenEditing, pyte.Screen):
    """A pyte screen with scrollback, an alternate screen and fast drawing."""

    def __init__(self, columns: int, lines: int, *, scrollback: int = 10_000) -> None:
        #: Rows that scrolled off the top of the main screen.
        self.history = History(scrollback)
        self.modes = ModeState()
        self.on_reply: Callable[[str], None] | None = None
        self.on_bell: Callable[[], None] | None = None
        self._glyph_tables: dict[Pen, _Glyphs] = {}
        self._last_glyphs = _Glyphs(DEFAULT_PEN)
        self._sgr_ops: dict[str, SgrOps] = {}
        self._blanks: dict[str, Cell] = {}
        # Characters known to take one cell on their own: runs made only of
        # these take the fast path. Printable ASCII to start; others learnt.
        self._narrow_chars: set[str] = set(map(chr, range(0x20, 0x7F)))
        self._main_buffer: LineBuffer | None = None
        self._main_cursor: pyte.screens.Cursor | None = None
        self.last_graphic = ""
        self.cursor_shape = 0
        self.link: str | None = None
        #: OSC 7 working directory URL, as the program reported it.
        self.working_directory = ""
        super().__init__(columns, lines)

    # -- state ---------------------------------------------------------------

    @property
    def default_char(self) -> Cell:
        return DEFAULT_CELL

    @property
    def in_alternate_screen(self) -> bool:
        return self._main_buffer is not None

    def reset(self) -> None:
        super().reset()
        self.buffer = LineBuffer(self.lines)  # type: ignore[assignment]
        self.cursor.attrs = DEFAULT_CELL
        self.g1_charset = _IDENTITY_CHARSET  # xterm starts G1 as ASCII too
        self.savepoints = []
        self._main_buffer = None
        self._main_cursor = None
        self.modes = ModeState()
        self.cursor_shape = 0
        self.link = None
        self.dirty.update(range(self.lines))

    def take_dirty(self) -> set[int]:
        """Rows changed since the last call; bumps their versions for caches."""
        dirty = self.dirty
        buffer = self.buffer
        for y in dirty:
            if 0 <= y < self.lines:
                buffer[y].version += 1
        self.dirty = set()
        return dirty

    def _settle_dirty(self) -> None:
        # Rows are about to move: record pending changes on the rows themselves
        # (moved rows keep serial and version, so cached renderings stay valid).
        if self.dirty:
            self.take_dirty()

    def write_process_input(self, data: str) -> None:
        if self.on_reply is not None:
            self.on_reply(data)

    def bell(self, *args: Any) -> None:
        if self.on_bell is not None:
            self.on_bell()

    def pen_after_sgr(self, pen: Pen, params: str) -> Pen:
        """The pen ``CSI params m`` makes of ``pen``: parsed once per distinct
        ``params`` (a program cycling through truecolours starts from any pen)."""
        ops = self._sgr_ops.get(params)
        if ops is None:
            if len(self._sgr_ops) > 4096:
                self._sgr_ops.clear()
            ops = self._sgr_ops[params] = sgr_ops(params)
        return apply_ops(pen, ops)

    def select_graphic_rendition_text(self, params: str) -> None:
        """SGR from the raw parameter text."""
        glyphs = self._last_glyphs
        if glyphs.pen is not self.cursor.attrs[1]:
            glyphs = self._glyphs(self.cursor.attrs[1])
        following = glyphs.after.get(params)
        glyphs = self._last_glyphs = self._glyphs_after(glyphs, params) if following is None else following
        self.cursor.attrs = make_cell(self.cursor.attrs[0], glyphs.pen)

    def select_graphic_rendition(self, *attrs: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            return
        self.select_graphic_rendition_text(";".join(map(str, attrs)))

    def set_link(self, url: str | None) -> None:
        """OSC 8: cells drawn from now on carry ``url`` (None ends the link)."""
        self.link = url or None
        self.cursor.attrs = cell_with(self.cursor.attrs, link=self.link)

    # -- cursor ------------------------------------------------------------------

    def save_cursor(self) -> None:
        # One save slot, as in xterm: a program saving every frame must not grow a list.
        super().save_cursor()
        del self.savepoints[:-1]

    def restore_cursor(self) -> None:
        if self.savepoints:
            keep = self.savepoints[-1]
            super().restore_cursor()
            self.savepoints = [keep._replace(cursor=copy.copy(keep.cursor))]
        else:
            super().restore_cursor()
            self.cursor.attrs = DEFAULT_CELL

    def cursor_position(self, line: int | None = None, column: int | None = None) -> None:
        """CUP. In origin mode rows count from the top margin and a row past the
        bottom margin is clamped to it (pyte ignores such a move altogether)."""
        y = (line or 1) - 1
        margins = self.margins
        if margins is not None and pyte.modes.DECOM in self.mode:
            y = min(y + margins.top, margins.bottom)
        cursor = self.cursor
        cursor.x = min((column or 1) - 1, self.columns - 1)
        cursor.y = min(y, self.lines - 1)

    def set_margins(self, top: int | None = None, bottom: int | None = None) -> None:
        """DECSTBM: 0 or a missing parameter means the screen's edge. Any valid
        region, including the whole screen (``CSI r``), homes the cursor."""
        top = max(1, top or 1)
        bottom = min(self.lines, bottom or self.lines)
        if bottom <= top:
            return  # as xterm: a region of fewer than two rows is ignored
        whole = top == 1 and bottom == self.lines
        # The whole screen is kept as "no margins": linefeeds stay on the fast path.
        self.margins = None if whole else Margins(top - 1, bottom - 1)
        self.cursor_position()

    def tab(self) -> None:
        """HT: to the next tab stop, else the last column. A pending wrap (the
        last column was just written) stays pending, as in xterm."""
        cursor = self.cursor
        if cursor.x >= self.columns:
            return
        stops = [stop for stop in self.tabstops if stop > cursor.x]
        cursor.x = min(stops) if stops else self.columns - 1

    def cursor_forward_tab(self, count: int | None = None) -> None:
        for _ in range(min(count or 1, self.columns)):
            self.tab()

    def cursor_back_tab(self, count: int | None = None) -> None:
        for _ in range(min(count or 1, self.columns)):
            stops = [stop for stop in self.tabstops if stop < self.cursor.x]
            self.cursor.x = max(stops) if stops else 0

    # -- modes -------------------------------------------------------------------

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if not kwargs.get("private"):
            # Only insert (4) and newline (20) modes: pyte reads other numbers
            # as its shifted private constants (CSI 96 h would mean DECCOLM).
            super().set_mode(*[mode for mode in modes if mode in ANSI_MODES])
            for mode in modes:
                self.modes.set_ansi(mode, True)
            return
        for mode in modes:
            if mode in (1047, 1049, 47):
                self._enter_alternate(save_cursor=mode == 1049, clear=mode != 47)
            elif mode in (6, 7, 25):
                super().set_mode(mode, private=True)
            self.modes.set(mode, True)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if not kwargs.get("private"):
            super().reset_mode(*[mode for mode in modes if mode in ANSI_MODES])
            for mode in modes:
                self.modes.set_ansi(mode, False)
            return
        for mode in modes:
            if mode in (1047, 1049, 47):
                self._leave_alternate(restore_cursor=mode == 1049)
            elif mode in (6, 7, 25):
                super().reset_mode(mode, private=True)
            self.modes.set(mode, False)

    def _enter_alternate(self, *, save_cursor: bool, clear: bool) -> None:
        if self._main_buffer is not None:
            if clear:
                self.buffer.clear()  # fresh rows: nothing cached can match them
            return
        self._settle_dirty()
        if save_cursor:
            self._main_cursor = copy.copy(self.cursor)
        self._main_buffer = self.buffer  # type: ignore[assignment]
        self.buffer = LineBuffer(self.lines)  # type: ignore[assignment]

    def _leave_alternate(self, *, restore_cursor: bool) -> None:
        if self._main_buffer is None:
            return
        self.buffer = self._main_buffer  # type: ignore[assignment]
        self._main_buffer = None
        if restore_cursor and self._main_cursor is not None:
            self.cursor = self._main_cursor
            self._main_cursor = None
            self.ensure_hbounds()
            self.ensure_vbounds()

    # -- size --------------------------------------------------------------------

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        lines = max(1, lines or self.lines)
        columns = max(1, columns or self.columns)
        if lines == self.lines and columns == self.columns:
            return
        self._settle_dirty()
        cursor = self.cursor
        if self._main_buffer is not None:
            main_cursor = self._main_cursor or copy.copy(cursor)
            self._resize_rows(self._main_buffer, lines, columns, main_cursor, to_history=True)
            self._resize_rows(self.buffer, lines, columns, cursor, to_history=False)  # type: ignore[arg-type]
        else:
            self._resize_rows(self.buffer, lines, columns, cursor, to_history=True)  # type: ignore[arg-type]
        if columns < self.columns:
            for buffer in (self.buffer, self._main_buffer):
                for line in buffer or ():
                    cut = [x for x in line if x >= columns]
                    if cut:
                        for x in cut:
                            del line[x]
                        line.version += 1
        self.tabstops.update(range(8, columns, 8))
        self.tabstops.difference_update([stop for stop in self.tabstops if stop >= columns])
        self.lines, self.columns = lines, columns
        self.margins = None
        cursor.x = min(cursor.x, columns - 1)
        cursor.y = min(cursor.y, lines - 1)
        self.dirty.update(range(lines))

    def _resize_rows(
        self, buffer: LineBuffer, lines: int, columns: int, cursor: Any, *, to_history: bool
    ) -> None:
        old = len(buffer)
        if lines < old:
            # Rows above the cursor leave first (to the scrollback), then rows below it.
            drop_top = min(old - lines, max(0, cursor.y - (lines - 1)))
            if drop_top:
                gone = buffer[:drop_top]
                del buffer[:drop_top]
                if to_history:
                    self.history.extend(gone)
                cursor.y -= drop_top
            del buffer[lines:]
        elif lines > old:
            grow = lines - old
            pulled: list[Line] = []
            if to_history and cursor.y == old - 1:
                while self.history and len(pulled) < grow:
                    # History keeps the width it was written at; the screen may be narrower.
                    line = self.history.take_last(columns)
                    if line is not None:
                        pulled.append(line)
            buffer[0:0] = reversed(pulled)
            cursor.y += len(pulled)
            buffer.extend(Line() for _ in range(grow - len(pulled)))

    # -- reading -----------------------------------------------------------------

    @staticmethod
    def line_text(line: Line | FrozenLine, columns: int) -> str:
        """A row (or a history row) as text, wide characters once."""
        if not isinstance(line, dict):
            return "".join(cell[0] for cell in row_cells(line, columns))
        get = line.get
        return "".join(get(x, DEFAULT_CELL)[0] for x in range(columns))

    @property
    def display(self) -> list[str]:
        columns = self.columns
        return [self.line_text(self.buffer[y], columns) for y in range(self.lines)]

    def history_text(self) -> list[str]:
        """The scrollback as text, oldest first."""
        return self.history.texts(self.columns)


__all__ = ["Cell", "FrozenLine", "Line", "LineBuffer", "Margins", "TerminalScreen", "line_serial"]
