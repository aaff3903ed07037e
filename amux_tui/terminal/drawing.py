"""Writing text into the screen: the hot path of every terminal.

Mixed into :class:`~.screen.TerminalScreen`. A run of narrow text is written
into the row dict with one C-level ``update`` of interned cells; so is a run
of coloured words with the SGR sequences between them (``draw_styled``).
Whole lines of either go through :mod:`.line_batches`. Runs with wide
characters, emoji sequences or combining marks go through grapheme clusters
(a zero-width joiner or variation selector joins the cell before instead of
dropping the rest of the run, as pyte's own ``draw`` does).
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from pyte import charsets
from pyte import modes as pyte_modes

from .cells import Cell, Pen
from .graphemes import cluster_width, continues_cluster, iter_graphemes
from .lines import Line, split_sgr

if TYPE_CHECKING:
    from .screen import TerminalScreen

    _Base = TerminalScreen
else:
    _Base = object

_IDENTITY_CHARSET = charsets.LAT1_MAP
_ZWJ = "\u200d"



class _Glyphs(dict[str, Cell]):
    """Interned cells for one pen: ``glyphs[text]`` is the Cell drawing ``text``.

    ``after`` maps SGR parameters to the glyphs of the pen they lead to from
    this one, so a coloured run costs one dict lookup, not an SGR parse.
    """

    def __init__(self, pen: Pen) -> None:
        super().__init__()
        self.pen = pen
        self.after: dict[str, _Glyphs] = {}

    def __missing__(self, text: str) -> Cell:
        cell = self[text] = (text, self.pen)
        return cell


class TextDrawing(_Base):
    """``draw``, ``draw_styled`` and REP for :class:`~.screen.TerminalScreen`."""

    def _glyphs(self, pen: Pen) -> _Glyphs:
        table = self._glyph_tables.get(pen)
        if table is None:
            if len(self._glyph_tables) > 2048:  # a program cycling through truecolours
                for old in self._glyph_tables.values():
                    old.after.clear()  # so the old tables are not kept alive through each other
                self._glyph_tables.clear()
            table = self._glyph_tables[pen] = _Glyphs(pen)
        return table

    def _glyphs_after(self, glyphs: _Glyphs, params: str) -> _Glyphs:
        """The glyphs of the pen ``CSI params m`` makes of ``glyphs.pen`` (memoised)."""
        after = glyphs.after
        if len(after) > 1024:
            after.clear()
        found = after[params] = self._glyphs(self.pen_after_sgr(glyphs.pen, params))
        return found

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
        pen = cursor.attrs[1]
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

    def draw_styled(self, text: str) -> None:
        """Draw text with SGR sequences between its runs (``CSI params m``, nothing else).

        The same as drawing each run and applying each SGR in turn; when all of
        it fits on the cursor's row in narrow characters, it is one row update.
        """
        parts = split_sgr(text)
        if len(parts) == 1:
            self.draw(text)
        elif self._write_styled(parts, record=False) is None:
            self._draw_parts(parts)
        else:
            self.dirty.add(self.cursor.y)

    def _draw_parts(self, parts: list[str]) -> None:
        """The general path for :func:`split_sgr` parts: run by run."""
        draw, sgr = self.draw, self.select_graphic_rendition_text
        for index, part in enumerate(parts):
            if index % 2:
                sgr(part)
            elif part:
                draw(part)

    def _write_styled(self, parts: list[str], record: bool, write: bool = True) -> tuple[str, list] | None:
        """Write :func:`split_sgr` parts on the cursor's row in one update.

        Returns the text written and, if ``record``, its runs ([pen, count, ...]),
        or None (nothing done) when the text wraps, holds wide characters or a
        charset or insert mode is in force. Without ``write`` the row's cells are
        left alone (it is about to scroll off; its runs are all that is needed).
        """
        plain = "".join(parts[::2])
        cursor = self.cursor
        x = cursor.x
        stop = x + len(plain)
        if (
            stop > self.columns or self.charset or self.g0_charset is not _IDENTITY_CHARSET
            or pyte_modes.IRM in self.mode or not (plain.isascii() or self._narrow_chars.issuperset(plain))
        ):
            return None
        glyphs = self._last_glyphs
        if glyphs.pen is not cursor.attrs[1]:
            glyphs = self._glyphs(cursor.attrs[1])
        head = parts[0]
        cells = list(map(glyphs.__getitem__, head)) if write else []
        runs: list = [glyphs.pen, len(head)] if head and record else []
        for params, run in zip(islice(parts, 1, None, 2), islice(parts, 2, None, 2)):
            following = glyphs.after.get(params)
            glyphs = self._glyphs_after(glyphs, params) if following is None else following
            if run:
                if write:
                    cells += map(glyphs.__getitem__, run)
                if record:
                    runs += (glyphs.pen, len(run))
        if plain:
            if write:
                line = self.buffer[cursor.y]
                if line:
                    self._split_wide_at(line, x, stop)
                line.update(zip(range(x, stop), cells))
            cursor.x = stop
            self.last_graphic = plain[-1]
        self._last_glyphs = glyphs
        cursor.attrs = (cursor.attrs[0], glyphs.pen)
        return plain, runs

    def _draw_wrapping(self, data: str, glyphs: _Glyphs) -> None:
        cursor = self.cursor
        columns = self.columns
        pos, end = 0, len(data)
        while pos < end:
            x = cursor.x
            if x >= columns:
                if pyte_modes.DECAWM not in self.mode:
                    line = self.buffer[cursor.y]
                    self._split_wide_at(line, columns - 1, columns)
                    line[columns - 1] = glyphs[data[-1]]
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
        if head is not None and head[0] == "" and start > 0:
            line[start - 1] = (" ", line[start - 1][1])
        tail = line.get(stop)
        if tail is not None and tail[0] == "":
            line[stop] = (" ", tail[1])

    def _draw_clusters(self, data: str) -> None:
        """The general path: grapheme clusters, wide cells, insert mode."""
        cursor = self.cursor
        glyphs = self._glyphs(cursor.attrs[1])
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
        if x > 0 and self.buffer[y][x][0] == "":
            x -= 1
        return y, x

    def _previous_ends_with_joiner(self) -> bool:
        y, x = self._previous_cell()
        return y >= 0 and self.buffer[y][x][0].endswith(_ZWJ)

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
        if not cell[0].strip():
            return ""
        text = cell[0] + mark
        line[x] = (text, cell[1])
        self.dirty.add(y)
        self._narrow_chars.discard(cell[0])
        # An emoji selector can make a narrow character wide.
        if cluster_width(text) == 2 and line[x + 1][0] != "" and y == cursor.y and cursor.x == x + 1:
            if x + 1 < self.columns:
                if pyte_modes.IRM in self.mode:
                    self.insert_characters(1)  # drawn whole, it would have pushed the rest by two
                self._split_wide_at(line, x + 1, x + 2)
                line[x + 1] = ("", cell[1])
                cursor.x += 1
            elif self.columns > 1:
                self._move_widened_off_the_margin(line, x, (text, cell[1]))
        return text

    def _move_widened_off_the_margin(self, line: Line, x: int, cell: Cell) -> None:
        """The character at the last column became wide (its selector came in a later
        read): place it as drawing it whole would have, on the next row or, without
        autowrap, over the last two columns. (What it overwrote at the last column when
        it came alone stays lost: that column is left blank.)"""
        cursor = self.cursor
        if pyte_modes.DECAWM in self.mode:
            del line[x]
            cursor.x = 0
            self.linefeed_for_wrap()
            line = self.buffer[cursor.y]
            x = 0
        else:
            x -= 1
        self._split_wide_at(line, x, x + 2)
        line[x] = cell
        line[x + 1] = ("", cell[1])
        cursor.x = x + 2
        self.dirty.add(cursor.y)

    def repeat_last(self, count: int = 1) -> None:
        """REP: draw the last graphic character again ``count`` times."""
        if self.last_graphic:
            limit = self.columns * self.lines
            self.draw(self.last_graphic * max(1, min(count, limit)))
