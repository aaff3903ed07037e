"""Screen cells and SGR (Select Graphic Rendition) parsing.

A cell is what one screen position holds: ``(data, pen)``. Colours are strings:
``"default"``, one of the sixteen :data:`ANSI_NAMES` (rendered through the
theme's palette, see :mod:`amux_tui.terminal.colors`) or ``"rrggbb"`` hex for
256-colour entries 16-255 and truecolour.
"""

from __future__ import annotations

from typing import NamedTuple

ANSI_NAMES: tuple[str, ...] = (
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "brightblack", "brightred", "brightgreen", "brightyellow",
    "brightblue", "brightmagenta", "brightcyan", "brightwhite",
)
ANSI_INDEX: dict[str, int] = {name: index for index, name in enumerate(ANSI_NAMES)}


def _cube_level(index: int) -> int:
    return 0 if index == 0 else 55 + index * 40


def _xterm_256_hex() -> tuple[str, ...]:
    """Hex for 256-colour entries 16-255 (the 6x6x6 cube, then 24 greys)."""
    entries = []
    for n in range(216):
        r, g, b = n // 36, (n // 6) % 6, n % 6
        entries.append(f"{_cube_level(r):02x}{_cube_level(g):02x}{_cube_level(b):02x}")
    for n in range(24):
        level = 8 + n * 10
        entries.append(f"{level:02x}{level:02x}{level:02x}")
    return tuple(entries)


_EXTENDED_HEX = _xterm_256_hex()


def colour_256(index: int) -> str:
    """The colour string for 256-colour palette entry ``index``."""
    if index < 16:
        return ANSI_NAMES[index]
    return _EXTENDED_HEX[min(index, 255) - 16]


# A pen (how a cell is drawn) and a cell (what a screen position holds) are
# plain tuples, not NamedTuples: the garbage collector stops tracking plain
# tuples of strings and bools after one look, and a dict of them is born
# untracked when copied, so ten thousand rows of history cost a collection
# nothing. Read them with the index constants below, or `describe` a cell.

#: ``(fg, bg, bold, italics, underscore, strikethrough, reverse, blink, dim, link, conceal, overline)``
Pen = tuple
#: ``(data, pen)``: one grapheme, or ``""`` for the right half of a wide character.
Cell = tuple

PEN_FIELDS = ("fg", "bg", "bold", "italics", "underscore", "strikethrough", "reverse", "blink", "dim", "link",
              "conceal", "overline")
FG, BG, BOLD, ITALICS, UNDERSCORE, STRIKETHROUGH, REVERSE, BLINK, DIM, LINK, CONCEAL, OVERLINE = range(len(PEN_FIELDS))
_PEN_INDEX = {name: index for index, name in enumerate(PEN_FIELDS)}
DATA, PEN = 0, 1

_pens: dict[Pen, Pen] = {}


def intern_pen(pen: Pen) -> Pen:
    """The one shared pen equal to ``pen``: cells drawn alike share it, so a
    renderer can group a row's cells by pen identity."""
    shared = _pens.get(pen)
    if shared is None:
        if len(_pens) > 65536:  # a program cycling through truecolour: start over
            _pens.clear()
        shared = _pens[pen] = pen
    return shared


DEFAULT_PEN = intern_pen(("default", "default", False, False, False, False, False, False, False, None, False, False))
DEFAULT_CELL: Cell = (" ", DEFAULT_PEN)


def make_pen(**fields: object) -> Pen:
    """A pen with ``fields`` set (by name) and the rest at their defaults."""
    return pen_with(DEFAULT_PEN, **fields)


def pen_with(pen: Pen, **changes: object) -> Pen:
    """``pen`` with ``changes`` (by field name) applied."""
    fields = list(pen)
    for name, value in changes.items():
        fields[_PEN_INDEX[name]] = value
    return intern_pen(tuple(fields))


def cell_with(cell: Cell, **changes: object) -> Cell:
    """``cell``'s text drawn with ``changes`` applied to its pen."""
    return (cell[0], pen_with(cell[1], **changes))


class CellInfo(NamedTuple):
    """A readable view of a cell (for tests, debugging, and callers who prefer names)."""

    data: str
    fg: str
    bg: str
    bold: bool
    italics: bool
    underscore: bool
    strikethrough: bool
    reverse: bool
    blink: bool
    dim: bool
    link: str | None
    conceal: bool
    overline: bool


def describe(cell: Cell) -> CellInfo:
    return CellInfo(cell[0], *cell[1])


# Short names for the pen positions, used by the SGR parser below.
_FG, _BG, _BOLD, _ITALICS, _UNDER, _STRIKE, _REVERSE, _BLINK, _DIM, _LINK, _CONCEAL, _OVER = (
    FG, BG, BOLD, ITALICS, UNDERSCORE, STRIKETHROUGH, REVERSE, BLINK, DIM, LINK, CONCEAL, OVERLINE)

# Plain on/off attributes: SGR code -> (field index, value).
_FLAGS: dict[int, tuple[tuple[int, bool], ...]] = {
    1: ((_BOLD, True),),
    2: ((_DIM, True),),
    3: ((_ITALICS, True),),
    4: ((_UNDER, True),),
    5: ((_BLINK, True),),
    6: ((_BLINK, True),),
    7: ((_REVERSE, True),),
    8: ((_CONCEAL, True),),
    9: ((_STRIKE, True),),
    21: ((_UNDER, True),),
    22: ((_BOLD, False), (_DIM, False)),
    23: ((_ITALICS, False),),
    24: ((_UNDER, False),),
    25: ((_BLINK, False),),
    27: ((_REVERSE, False),),
    28: ((_CONCEAL, False),),
    29: ((_STRIKE, False),),
    53: ((_OVER, True),),
    55: ((_OVER, False),),
}


def _number(text: str) -> int:
    """A parameter as an int; anything that is not digits counts as 0."""
    return int(text) if text.isdigit() else 0


def _extended_colour(args: list[int]) -> tuple[str | None, int]:
    """Parse ``5;n`` or ``2;r;g;b`` after 38/48/58: (colour or None, args consumed)."""
    if not args:
        return None, 0
    if args[0] == 5:
        if len(args) < 2:
            return None, len(args)
        return colour_256(args[1] & 255), 2
    if args[0] == 2:
        if len(args) < 4:
            return None, len(args)
        r, g, b = args[1:4]
        return f"{r & 255:02x}{g & 255:02x}{b & 255:02x}", 4
    return None, 1


def _colon_colour(sub: list[str]) -> str | None:
    """Parse the colon form ``38:5:n`` / ``38:2:[cs]:r:g:b``."""
    values = [_number(s) for s in sub[1:]]
    if values and values[0] == 2 and len(values) >= 5:
        # With a colour-space id (possibly empty) there are 5 values after 38.
        r, g, b = (min(v, 255) for v in values[2:5])
        return f"{r:02x}{g:02x}{b:02x}"
    colour, _ = _extended_colour(values)
    return colour


def make_cell(data: str, pen: Pen) -> Cell:
    return (data, pen)


def _codes(parts: list[str]) -> list[int] | None:
    """All parameters as ints, or None when one is odd (colon forms, garbage)."""
    try:
        return [int(p) if p else 0 for p in parts]
    except ValueError:
        return None


#: An op index meaning "back to the default pen" (the hyperlink is kept).
_RESET = -1
#: What an SGR does, independent of the pen it starts from: ``(field index, value)``
#: assignments in order, ``_RESET`` for SGR 0.
SgrOps = tuple


def sgr_ops(params: str) -> SgrOps:
    """Parse ``CSI params m`` once into ops (see :func:`apply_ops`).

    Unknown codes are ignored; malformed parameters never raise.
    """
    if not params or params == "0":
        return ((_RESET, None),)
    ops: list[tuple[int, object]] = []
    parts = params.split(";")
    codes = _codes(parts)
    if codes is None:
        _mixed_ops(ops, parts)
        return tuple(ops)
    i = 0
    count = len(codes)
    while i < count:
        code = codes[i]
        i += 1
        if code in (38, 48, 58):
            colour, used = _extended_colour(codes[i:i + 4])
            i += used
            if colour is not None and code != 58:  # 58: underline colour, not drawn
                ops.append((_FG if code == 38 else _BG, colour))
        else:
            _code_ops(ops, code)
    return tuple(ops)


def apply_ops(pen: Pen, ops: SgrOps) -> Pen:
    """The pen ``ops`` make of ``pen`` (interned). A hyperlink is not a graphic
    rendition: even SGR 0 keeps it."""
    fields = list(pen)
    for index, value in ops:
        if index == _RESET:
            link = fields[_LINK]
            fields[:] = DEFAULT_PEN
            fields[_LINK] = link
        else:
            fields[index] = value
    return intern_pen(tuple(fields))


def apply_sgr(pen: Pen, params: str) -> Pen:
    """The pen after ``CSI params m``, starting from ``pen`` (interned)."""
    if not params or params == "0":
        return DEFAULT_PEN if pen[_LINK] is None else pen_with(DEFAULT_PEN, link=pen[_LINK])
    return apply_ops(pen, sgr_ops(params))


def _code_ops(ops: list, code: int) -> None:
    if code == 0:
        ops.append((_RESET, None))
    elif code in _FLAGS:
        ops.extend(_FLAGS[code])
    elif 30 <= code <= 37:
        ops.append((_FG, ANSI_NAMES[code - 30]))
    elif 40 <= code <= 47:
        ops.append((_BG, ANSI_NAMES[code - 40]))
    elif 90 <= code <= 97:
        ops.append((_FG, ANSI_NAMES[code - 90 + 8]))
    elif 100 <= code <= 107:
        ops.append((_BG, ANSI_NAMES[code - 100 + 8]))
    elif code == 39:
        ops.append((_FG, "default"))
    elif code == 49:
        ops.append((_BG, "default"))


def _mixed_ops(ops: list, parts: list[str]) -> None:
    """The slow path: colon sub-parameters or malformed numbers."""
    i = 0
    count = len(parts)
    while i < count:
        part = parts[i]
        i += 1
        if ":" in part:
            sub = part.split(":")
            code = _number(sub[0])
            if code in (38, 48):
                colour = _colon_colour(sub)
                if colour is not None:
                    ops.append((_FG if code == 38 else _BG, colour))
            elif code == 4:
                ops.append((_UNDER, _number(sub[1]) != 0 if len(sub) > 1 else True))
            continue
        code = _number(part)
        if code in (38, 48, 58):
            colour, used = _extended_colour([_number(p) for p in parts[i:i + 4]])
            i += used
            if colour is not None and code != 58:
                ops.append((_FG if code == 38 else _BG, colour))
        else:
            _code_ops(ops, code)
