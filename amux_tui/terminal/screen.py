"""The terminal screen: pyte's model with fast hot paths, scrollback and xterm modes.

``TerminalScreen`` subclasses ``pyte.Screen`` (pyte itself is untouched):

* the buffer is a :class:`LineBuffer` (a list of rows) so scrolling is a list
  splice, not a per-row dict shuffle; evicted rows go to a ``deque`` scrollback;
* ``draw`` writes a run of narrow text with C-level dict updates and interned
  cells, and handles grapheme clusters (ZWJ, variation selectors) without
  dropping text;
* rows carry a ``serial`` (identity) and ``version`` (bumped when changed) so a
  renderer can cache per row and reuse rows that merely moved;
* the modes real TUIs use are kept (alternate screen, mouse, paste, focus,
  synchronized output, application cursor keys), see :mod:`.modes`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import pyte
from pyte import modes as pyte_modes
from pyte.screens import Margins

from .cells import DEFAULT_CELL, DEFAULT_PEN, Cell, Pen, apply_sgr, intern_pen, make_cell
from .graphemes import cluster_width, continues_cluster, iter_graphemes
from .history import History
from .lines import FrozenLine, Line, LineBuffer, line_serial
from .modes import ANSI_MODES, ModeState

_new_tuple = tuple.__new__
_IDENTITY_CHARSET = pyte.charsets.LAT1_MAP
_ZWJ = "\u200d"


class _Glyphs(dict[str, Cell]):
    """Interned cells for one pen: ``glyphs[text]`` is the Cell drawing ``text``."""

    def __init__(self, pen: Pen) -> None:
        super().__init__()
        self.pen = pen

    def __missing__(self, text: str) -> Cell:
        cell = self[text] = _new_tuple(Cell, (text, self.pen))
        return cell


class TerminalScreen(pyte.Screen):
    """A pyte screen with scrollback, an alternate screen and fast drawing."""

    def __init__(self, columns: int, lines: int, *, scrollback: int = 10_000) -> None:
        #: Rows that scrolled off the top of the main screen.
        self.history = History(scrollback)
        self.modes = ModeState()
        self.on_reply: Callable[[str], None] | None = None
        self.on_bell: Callable[[], None] | None = None
        self._glyph_tables: dict[Pen, _Glyphs] = {}
        self._last_glyphs = _Glyphs(DEFAULT_PEN)
        self._sgr_cache: dict[tuple[Pen, str], Pen] = {}
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

    # -- drawing ---------------------------------------------------------------

    def _glyphs(self, pen: Pen) -> _Glyphs:
        table = self._glyph_tables.get(pen)
        if table is None:
            if len(self._glyph_tables) > 512:
                self._glyph_tables.clear()
            table = self._glyph_tables[pen] = _Glyphs(pen)
        return table

    def draw(self, data: str) -> None:
        if self.charset:
            data = data.translate(self.g1_charset)
        elif self.g0_charset is not _IDENTITY_CHARSET:
            data = data.translate(self.g0_charset)
        if pyte_modes.IRM in self.mode or not (
            data.isascii() or self._narrow_chars.issuperset(data)
        ):
            self._draw_clusters(data)
            return
        cursor = self.cursor
        pen = cursor.attrs.pen
        glyphs = self._last_glyphs
        if glyphs.pen is not pen:
            glyphs = self._last_glyphs = self._glyphs(pen)
        x = cursor.x
        stop = x + len(data)
        if stop <= self.columns:
            # The common case: the run fits on the cursor's row.
            y = cursor.y
            line = self.buffer[y]
            if line:
                self._split_wide_at(line, x, stop)
            line.update(zip(range(x, stop), map(glyphs.__getitem__, data)))
            cursor.x = stop
            self.dirty.add(y)
        else:
            self._draw_wrapping(data, glyphs)
        self.last_graphic = data[-1]

    def draw_lines(self, texts: list[str]) -> None:
        """Draw each text followed by CR LF: the shape of most floods of output.

        The same as ``draw(text); carriage_return(); linefeed()`` for each,
        without the per-call overhead when nothing special is in force (no
        margins, insert mode or charset): changed rows get their version
        bumped directly instead of going through ``dirty``.
        """
        if (
            self.margins is not None or self.charset or self.g0_charset is not _IDENTITY_CHARSET
            or pyte_modes.IRM in self.mode
        ):
            for text in texts:
                if text:
                    self.draw(text)
                self.carriage_return()
                self.linefeed()
            return
        if self.dirty:
            self.take_dirty()
        cursor = self.cursor
        buffer = self.buffer
        last_row = self.lines - 1
        columns = self.columns
        narrow = self._narrow_chars
        history = self.history if self._main_buffer is None else None
        glyph = self._glyphs(cursor.attrs.pen).__getitem__
        for text in texts:
            if text:
                x = cursor.x
                stop = x + len(text)
                if stop <= columns and (text.isascii() or narrow.issuperset(text)):
                    line = buffer[cursor.y]
                    if line:
                        self._split_wide_at(line, x, stop)
                    line.update(zip(range(x, stop), map(glyph, text)))
                    line.version += 1
                    self.last_graphic = text[-1]
                else:
                    self.draw(text)
                    self.take_dirty()
                    buffer = self.buffer
            cursor.x = 0
            y = cursor.y
            if y < last_row:
                cursor.y = y + 1
            else:
                gone = buffer[0]
                del buffer[0]
                buffer.append(Line())
                if history is not None:
                    history.add(gone)

    def _draw_wrapping(self, data: str, glyphs: _Glyphs) -> None:
        cursor = self.cursor
        columns = self.columns
        pos, end = 0, len(data)
        while pos < end:
            x = cursor.x
            if x >= columns:
                if pyte_modes.DECAWM not in self.mode:
                    self.buffer[cursor.y][columns - 1] = glyphs[data[-1]]
                    self.dirty.add(cursor.y)
                    return
                cursor.x = x = 0
                self.linefeed_for_wrap()
            chunk = data[pos:pos + columns - x]
            stop = x + len(chunk)
            line = self.buffer[cursor.y]
            self._split_wide_at(line, x, stop)
            line.update(zip(range(x, stop), map(glyphs.__getitem__, chunk)))
            self.dirty.add(cursor.y)
            cursor.x = stop
            pos += len(chunk)

    def _split_wide_at(self, line: Line, start: int, stop: int) -> None:
        """Blank halves of wide characters that a write over [start, stop) cuts."""
        head = line.get(start)
        if head is not None and head.data == "" and start > 0:
            line[start - 1] = line[start - 1]._replace(data=" ")
        tail = line.get(stop)
        if tail is not None and tail.data == "":
            line[stop] = tail._replace(data=" ")

    def _draw_clusters(self, data: str) -> None:
        """The general path: grapheme clusters, wide cells, insert mode."""
        cursor = self.cursor
        glyphs = self._glyphs(cursor.attrs.pen)
        # A run may continue the cluster of the previous run (a chunk boundary
        # inside an emoji sequence): marks and joiners, and what follows a joiner.
        joining = True
        for cluster in iter_graphemes(data):
            if joining and (continues_cluster(cluster[0]) or self._previous_ends_with_joiner()):
                joining = self._join_previous(cluster).endswith(_ZWJ)
                continue
            joining = False
            width = cluster_width(cluster)
            if width <= 0:
                if width == 0:
                    self._join_previous(cluster)
                continue
            width = min(width, self.columns)  # a wide character on a one-column screen
            if cursor.x + width > self.columns:
                if pyte_modes.DECAWM in self.mode:
                    cursor.x = 0
                    self.linefeed_for_wrap()
                else:
                    cursor.x = self.columns - width
            if pyte_modes.IRM in self.mode:
                self.insert_characters(width)
            line = self.buffer[cursor.y]
            x = cursor.x
            self._split_wide_at(line, x, x + width)
            line[x] = glyphs[cluster]
            if width == 2:
                line[x + 1] = glyphs[""]
            elif len(cluster) == 1 and cluster != " ":
                self._narrow_chars.add(cluster)
            cursor.x = x + width
            self.dirty.add(cursor.y)
            self.last_graphic = cluster

    def _previous_cell(self) -> tuple[int, int]:
        """Row and column of the cell before the cursor (the head of a wide one)."""
        y, x = self.cursor.y, min(self.cursor.x, self.columns) - 1
        if x < 0:
            if y == 0:
                return -1, -1
            y, x = y - 1, self.columns - 1
        if x > 0 and self.buffer[y][x].data == "":
            x -= 1
        return y, x

    def _previous_ends_with_joiner(self) -> bool:
        y, x = self._previous_cell()
        return y >= 0 and self.buffer[y][x].data.endswith(_ZWJ)

    def _join_previous(self, mark: str) -> str:
        """Append a zero-width mark (joiner, selector, accent) to the cell before.

        Returns the joined text ("" when there was nothing to join to).
        """
        cursor = self.cursor
        y, x = self._previous_cell()
        if y < 0:
            return ""
        line = self.buffer[y]
        cell = line[x]
        if not cell.data.strip():
            return ""
        text = cell.data + mark
        line[x] = cell._replace(data=text)
        self.dirty.add(y)
        self._narrow_chars.discard(cell.data)
        # An emoji selector can make a narrow character wide.
        if cluster_width(text) == 2 and line[x + 1].data != "" and x + 1 < self.columns:
            if y == cursor.y and cursor.x == x + 1:
                line[x + 1] = cell._replace(data="")
                cursor.x += 1
        return text

    def repeat_last(self, count: int = 1) -> None:
        """REP: draw the last graphic character again ``count`` times."""
        if self.last_graphic:
            limit = self.columns * self.lines
            self.draw(self.last_graphic * max(1, min(count, limit)))

    def select_graphic_rendition_text(self, params: str) -> None:
        """SGR from the raw parameter text, memoised per (attributes, params)."""
        attrs = self.cursor.attrs
        key = (attrs.pen, params)
        pen = self._sgr_cache.get(key)
        if pen is None:
            if len(self._sgr_cache) > 4096:
                self._sgr_cache.clear()
            pen = self._sgr_cache[key] = apply_sgr(attrs.pen, params)
        self.cursor.attrs = make_cell(attrs.data, pen)

    def select_graphic_rendition(self, *attrs: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            return
        self.select_graphic_rendition_text(";".join(map(str, attrs)))

    def set_link(self, url: str | None) -> None:
        """OSC 8: cells drawn from now on carry ``url`` (None ends the link)."""
        self.link = url or None
        self.cursor.attrs = self.cursor.attrs.with_pen(link=self.link)

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
        buffer[bottom - count + 1:bottom - count + 1] = [Line() for _ in range(count)]
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
        buffer[top:top] = [Line() for _ in range(count)]

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
            buffer.append(Line())
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
            buffer[bottom - count + 1:bottom - count + 1] = [Line() for _ in range(count)]
            self.cursor.x = 0

    # -- erasing (background colour erase, C-level fills) ----------------------

    def _blank(self) -> Cell:
        """What erased cells become: blank, in the current background colour only."""
        bg = self.cursor.attrs.pen.bg
        if bg == "default":
            return DEFAULT_CELL
        blank = self._blanks.get(bg)
        if blank is None:
            blank = self._blanks[bg] = make_cell(" ", intern_pen(Pen(bg=bg)))
        return blank

    def _fill(self, y: int, start: int, stop: int) -> None:
        blank = self._blank()
        line = self.buffer[y]
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
        x = min(self.cursor.x, self.columns - 1)
        count = max(1, min(count or 1, self.columns - x))
        line = self.buffer[self.cursor.y]
        cells = [line.get(column) for column in range(x, self.columns)]
        self._rewrite_row(x, [None] * count + cells[:len(cells) - count], range(x, x + count))

    def delete_characters(self, count: int | None = None) -> None:
        """DCH: remove ``count`` cells at the cursor, pulling the rest left."""
        x = min(self.cursor.x, self.columns - 1)
        count = max(1, min(count or 1, self.columns - x))
        line = self.buffer[self.cursor.y]
        cells = [line.get(column) for column in range(x, self.columns)]
        self._rewrite_row(x, cells[count:] + [None] * count, range(self.columns - count, self.columns))

    def erase_characters(self, count: int | None = None) -> None:
        x = min(self.cursor.x, self.columns - 1)
        self._fill(self.cursor.y, x, x + (count or 1))

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        x = min(self.cursor.x, self.columns - 1)
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
        elif how in (2, 3):
            rows = range(self.lines)
            if how == 3 and self._main_buffer is None:
                self.history.clear()
        else:
            return
        for row in rows:
            self._fill(row, 0, self.columns)

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
        """A row (or a frozen history row) as text, wide characters once."""
        if isinstance(line, tuple):
            return "".join(line[0][:columns])
        return "".join(line[x].data for x in range(columns))

    @property
    def display(self) -> list[str]:
        columns = self.columns
        return [self.line_text(self.buffer[y], columns) for y in range(self.lines)]

    def history_text(self) -> list[str]:
        """The scrollback as text, oldest first."""
        return self.history.texts(self.columns)


__all__ = ["Cell", "FrozenLine", "Line", "LineBuffer", "Margins", "TerminalScreen", "line_serial"]
