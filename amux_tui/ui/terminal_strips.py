"""Screen rows to Textual ``Strip``s, cached per row.

A row is keyed by its identity and version (see ``amux_tui.terminal.screen.Line``),
so a row that only moved (the screen scrolled) is not rendered again, and a
changed row is rendered once. Cells are grouped into segments at C speed
(``itertools.groupby`` over the style fields).
"""

from __future__ import annotations

from itertools import groupby, repeat
from operator import itemgetter

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from amux_tui.terminal.cells import DATA, DEFAULT_CELL, PEN, REVERSE, Cell, Pen, cell_with
from amux_tui.terminal.colors import TerminalColors
from amux_tui.terminal.lines import FrozenLine, Line, line_serial, row_cells

_PEN = itemgetter(1)
_TEXT = itemgetter(0)

#: How the cursor cell is drawn: a block (reverse video) or an underline.
CURSOR_BLOCK = "block"
CURSOR_UNDERLINE = "underline"


class StripRenderer:
    """Renders rows with the terminal's colours; remembers the last few thousand."""

    def __init__(self, colors: TerminalColors, cache_size: int = 160) -> None:
        self.colors = colors
        self.default_style = Style(color=colors.foreground, bgcolor=colors.background)
        self._styles: dict[Pen, Style] = {}
        self._strips: LRUCache[tuple, Strip] = LRUCache(cache_size)

    def clear(self) -> None:
        self._strips.clear()

    def style(self, pen: Pen) -> Style:
        """The Rich style for a cell's pen."""
        style = self._styles.get(pen)
        if style is None:
            fg, bg, bold, italics, underscore, strike, reverse, blink, dim, link, conceal, overline = pen
            colors = self.colors
            background = colors.resolve(bg, foreground=False)
            style = Style(
                # Concealed text is drawn in its background colour too: hidden
                # even where the outer terminal ignores the conceal attribute.
                color=background if conceal else colors.resolve(fg, foreground=True),
                bgcolor=background,
                bold=bold, dim=dim, italic=italics, underline=underscore,
                strike=strike, reverse=reverse, blink=blink, link=link,
                conceal=conceal, overline=overline,
            )
            if len(self._styles) > 4096:
                self._styles.clear()
            self._styles[pen] = style
        return style

    def render(self, line: Line, columns: int, width: int, cursor: tuple[int, str] | None = None) -> Strip:
        """A screen row as a strip exactly ``width`` cells wide (``columns`` cells of screen)."""
        key = (line_serial(line), line.version, columns, width, cursor)
        strip = self._strips.get(key)
        if strip is None:
            cells = list(map(line.get, range(columns), repeat(DEFAULT_CELL)))
            strip = self._strips[key] = self._build(cells, width, cursor)
        return strip

    def render_history(self, name: tuple, row: FrozenLine, columns: int, width: int) -> Strip:
        """A history row; ``name`` identifies it (history rows never change)."""
        key = (name, columns, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._build(row_cells(row, columns), width, None)
        return strip

    def blank(self, width: int) -> Strip:
        return Strip.blank(width, self.default_style)

    def _build(self, cells: list[Cell], width: int, cursor: tuple[int, str] | None) -> Strip:
        if cursor is not None:
            _mark_cursor(cells, *cursor)
        style = self.style
        # Cells drawn alike share one interned pen: grouping compares identities.
        segments = [Segment("".join(map(_TEXT, group)), style(pen)) for pen, group in groupby(cells, _PEN)]
        return self._fit(segments, width)

    def _fit(self, segments: list[Segment], width: int) -> Strip:
        """A strip of exactly ``width`` cells, built once (no second strip to pad or crop)."""
        length = 0
        for segment in segments:
            text = segment.text
            length += len(text) if text.isascii() else cell_len(text)
        if length < width:
            segments.append(Segment(" " * (width - length), self.default_style))
        elif length > width:
            return Strip(segments, length).crop(0, width)
        return Strip(segments, width)


def _mark_cursor(cells: list[Cell], x: int, shape: str) -> None:
    if not 0 <= x < len(cells):
        return
    if cells[x][DATA] == "" and x > 0:  # on the right half of a wide character
        x -= 1
    cell = cells[x]
    if shape == CURSOR_UNDERLINE:
        cell = cell_with(cell, underscore=True)
    else:
        cell = cell_with(cell, reverse=not cell[PEN][REVERSE])
    cells[x] = (cell[DATA] or " ", cell[PEN])
