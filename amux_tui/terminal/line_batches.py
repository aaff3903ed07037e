"""Whole lines of output at once: the shape of most floods.

Mixed into :class:`~.screen.TerminalScreen` (through :class:`LineBatches`).
``draw_lines`` takes texts that each end with CR LF. A row written whole from
column 0 gets only its history form (``Line.frozen``) at first, its cells left
empty (``Line.lazy``): in a flood most rows scroll off before anyone looks at them, so
they never need their cells. :meth:`LineBatches.settle_rows` gives the lazy rows
still on screen their cells (the same interned cells drawing them would have
written), at the end of ``draw_lines`` or, with ``defer``, when the caller says:
the stream settles before anything else touches the screen and at the end of a
feed, and :class:`~.terminal.Terminal` at the end of each parsing turn, so a
screen is never seen with lazy rows.
"""

from __future__ import annotations

from itertools import islice

from pyte import modes as pyte_modes

from .cells import BG, DEFAULT_PEN
from .drawing import _IDENTITY_CHARSET, TextDrawing, _Glyphs
from .lines import Line, row_runs, runs_row, split_sgr


class LineBatches(TextDrawing):
    """``draw_lines`` and ``settle_rows`` for :class:`~.screen.TerminalScreen`."""

    #: Some row of the buffer may be lazy (set by ``draw_lines``, cleared by ``settle_rows``).
    lazy_rows = False

    def draw_lines(self, texts: list[str], *, defer: bool = False) -> None:
        """Draw each text followed by CR LF.

        Texts may hold SGR sequences between runs (see :meth:`draw_styled`).
        The same as ``draw_styled(text); carriage_return(); linefeed()`` for
        each, without the per-call overhead when nothing special is in force
        (no margins, insert mode or charset): changed rows get their version
        bumped directly instead of going through ``dirty``, and a row written
        whole from column 0 keeps its history form and, unless it is settled
        before this returns anyway (without ``defer``, the last screenful),
        is made lazy (see the module).
        """
        if (
            self.margins is not None or self.charset or self.g0_charset is not _IDENTITY_CHARSET
            or pyte_modes.IRM in self.mode
        ):
            self.settle_rows()
            for text in texts:
                if text:
                    self.draw_styled(text)
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
        pen = cursor.attrs[1]
        glyph = self._glyphs(pen).__getitem__
        # Rows written by texts from this index on are settled when this returns:
        # write their cells at once (the rows before scroll off before then).
        settled_from = len(texts) if defer else len(texts) - self.lines + 1
        if settled_from > 0:
            self.lazy_rows = True  # (a row is lazy when it is empty with a valid history form)
        for index, text in enumerate(texts):
            if text:
                x = cursor.x
                line = buffer[cursor.y]
                fresh = x == 0 and not line
                lazy = fresh and index < settled_from
                if "\x1b" in text:
                    parts = split_sgr(text)
                    kept = self._keep_styled(parts, text) if lazy else None
                    if kept is not None:
                        line.version += 1
                        if kept:
                            line.frozen = kept
                            line.frozen_version = line.version
                    else:
                        written = self._write_styled(parts, record=fresh, write=not lazy)
                        if written is None:
                            self._fill_lazy_rows()  # the general path may look at the rows above (joining marks)
                            self._draw_parts(parts)
                            self.take_dirty()
                            buffer = self.buffer
                        else:
                            line.version += 1
                            if fresh and written[1]:
                                line.frozen = runs_row(*written)
                                line.frozen_version = line.version
                    pen = cursor.attrs[1]
                    glyph = self._glyphs(pen).__getitem__
                else:
                    stop = x + len(text)
                    if stop <= columns and (text.isascii() or narrow.issuperset(text)):
                        line.version += 1
                        if not lazy:
                            if line:
                                self._split_wide_at(line, x, stop)
                            line.update(zip(range(x, stop), map(glyph, text)))
                        if fresh:
                            line.frozen = text if pen is DEFAULT_PEN else runs_row(text, [pen, len(text)])
                            line.frozen_version = line.version
                        self.last_graphic = text[-1]
                    else:
                        self._fill_lazy_rows()
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
                buffer.append(Line() if pen[BG] == "default" else self._blank_line())  # back-colour erase
                if history is not None:
                    history.add(gone)
        if not defer:
            self.settle_rows()

    def settle_rows(self) -> None:
        """Give the lazy rows still on screen their cells."""
        if self.lazy_rows:
            self.lazy_rows = False
            self._fill_lazy_rows()

    def _fill_lazy_rows(self) -> None:
        for line in self.buffer:
            if not line and line.frozen is not None and line.frozen_version == line.version:
                frozen = line.frozen
                if type(frozen) is str:
                    line.update(enumerate(map(self._glyphs(DEFAULT_PEN).__getitem__, frozen)))
                    continue
                if frozen[0] is None:  # kept as it came: draw it again, without moving anything
                    line.update(enumerate(self._styled_cells(split_sgr(frozen[2]), self._glyphs(frozen[1]))))
                    continue
                text = frozen[0]
                start = 0
                for pen, count in row_runs(frozen):
                    stop = start + count
                    line.update(zip(range(start, stop), map(self._glyphs(pen).__getitem__, text[start:stop])))
                    start = stop

    def _keep_styled(self, parts: list[str], text: str) -> tuple | str | None:
        """A lazy row's form for ``text`` (split in ``parts``) kept as it came, with
        the cursor and pen left as drawing it would leave them; "" when it draws
        nothing, None when it cannot be kept so (it wraps, holds wide characters,
        or its SGR sequences would take more room than its runs)."""
        plain = "".join(parts[::2])
        params = parts[1::2]
        if (
            len(plain) > self.columns or len(text) - len(plain) > 8 * len(params) + 64
            or not (plain.isascii() or self._narrow_chars.issuperset(plain))
        ):
            return None
        cursor = self.cursor
        glyphs = self._last_glyphs
        if glyphs.pen is not cursor.attrs[1]:
            glyphs = self._glyphs(cursor.attrs[1])
        start = glyphs.pen
        # The pen at the end: what follows the last SGR 0 (it resets all but the
        # hyperlink, which no SGR changes), else the whole chain.
        last = len(params) - 1
        while last > 0 and params[last] not in ("0", ""):
            last -= 1
        for step in islice(params, max(last, 0), None):
            following = glyphs.after.get(step)
            glyphs = self._glyphs_after(glyphs, step) if following is None else following
        self._last_glyphs = glyphs
        cursor.attrs = (cursor.attrs[0], glyphs.pen)
        if not plain:
            return ""
        cursor.x = len(plain)
        self.last_graphic = plain[-1]
        return (None, start, text)

    def _styled_cells(self, parts: list[str], glyphs: _Glyphs) -> list:
        """The cells :func:`split_sgr` parts draw, starting with ``glyphs``."""
        cells = list(map(glyphs.__getitem__, parts[0]))
        for params, run in zip(islice(parts, 1, None, 2), islice(parts, 2, None, 2)):
            following = glyphs.after.get(params)
            glyphs = self._glyphs_after(glyphs, params) if following is None else following
            if run:
                cells += map(glyphs.__getitem__, run)
        return cells
