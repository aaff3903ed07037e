"""Whole lines of output at once: the shape of most floods.

Mixed into :class:`~.screen.TerminalScreen` (through :class:`LineBatches`).
``draw_lines`` takes texts that each end with CR LF. A row written whole from
column 0 gets only its history form (``Line.frozen``) at first and is marked
``Line.lazy``: in a flood most rows scroll off before anyone looks at them, so
they never need their cells. :meth:`LineBatches.settle_rows` gives the lazy rows
still on screen their cells (the same interned cells drawing them would have
written), at the end of ``draw_lines`` or, with ``defer``, when the caller says:
the stream settles before anything else touches the screen and at the end of a
feed, and :class:`~.terminal.Terminal` at the end of each parsing turn, so a
screen is never seen with lazy rows.
"""

from __future__ import annotations

from pyte import modes as pyte_modes

from .cells import BG, DEFAULT_PEN
from .drawing import _IDENTITY_CHARSET, TextDrawing, split_sgr
from .lines import Line, row_runs, runs_row


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
        for index, text in enumerate(texts):
            if text:
                x = cursor.x
                line = buffer[cursor.y]
                fresh = x == 0 and not line
                lazy = fresh and index < settled_from
                if "\x1b" in text:
                    parts = split_sgr(text)
                    written = self._write_styled(parts, record=fresh, write=not lazy)
                    if written is None:
                        self.settle_rows()  # the general path may look at the rows above (joining marks)
                        self._draw_parts(parts)
                        self.take_dirty()
                        buffer = self.buffer
                    else:
                        line.version += 1
                        if fresh and written[1]:
                            line.frozen = runs_row(*written)
                            line.frozen_version = line.version
                            if lazy:
                                line.lazy = self.lazy_rows = True
                    pen = cursor.attrs[1]
                    glyph = self._glyphs(pen).__getitem__
                else:
                    stop = x + len(text)
                    if stop <= columns and (text.isascii() or narrow.issuperset(text)):
                        line.version += 1
                        if lazy:
                            line.lazy = self.lazy_rows = True
                        else:
                            if line:
                                self._split_wide_at(line, x, stop)
                            line.update(zip(range(x, stop), map(glyph, text)))
                        if fresh:
                            line.frozen = text if pen is DEFAULT_PEN else runs_row(text, [pen, len(text)])
                            line.frozen_version = line.version
                        self.last_graphic = text[-1]
                    else:
                        self.settle_rows()
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
        if not self.lazy_rows:
            return
        self.lazy_rows = False
        for line in self.buffer:
            if line.lazy:
                line.lazy = False
                frozen = line.frozen
                if type(frozen) is str:
                    line.update(enumerate(map(self._glyphs(DEFAULT_PEN).__getitem__, frozen)))
                    continue
                text = frozen[0]
                start = 0
                for pen, count in row_runs(frozen):
                    stop = start + count
                    line.update(zip(range(start, stop), map(self._glyphs(pen).__getitem__, text[start:stop])))
                    start = stop
