"""The colours a terminal draws with, and answers with when a program asks.

Programs query the default foreground/background (OSC 10/11) to pick a light
or dark palette, and palette entries (OSC 4). Answering with the colours the
view really uses keeps what they draw readable, so the same object is given
to the screen (for answers) and to the renderer (for drawing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cells import ANSI_INDEX, colour_256

# xterm's default sixteen colours.
XTERM_PALETTE: tuple[str, ...] = (
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
)


def _normalise(colour: str) -> str:
    """``#rrggbb`` (lower case) from ``#rgb``, ``#rrggbb`` or ``rrggbb``."""
    text = colour.strip().lstrip("#").lower()
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return "#" + text


@dataclass(frozen=True)
class TerminalColors:
    """Default foreground, background, cursor and the 16-colour palette (``#rrggbb``)."""

    foreground: str = "#d0d0d0"
    background: str = "#1e1e1e"
    cursor: str = "#d0d0d0"
    palette: tuple[str, ...] = field(default=XTERM_PALETTE)

    def __post_init__(self) -> None:
        object.__setattr__(self, "foreground", _normalise(self.foreground))
        object.__setattr__(self, "background", _normalise(self.background))
        object.__setattr__(self, "cursor", _normalise(self.cursor))
        palette = tuple(_normalise(c) for c in self.palette)
        if len(palette) != 16:
            raise ValueError("the palette needs exactly 16 colours")
        object.__setattr__(self, "palette", palette)

    def resolve(self, colour: str, *, foreground: bool) -> str:
        """``#rrggbb`` for a cell colour string (``default``, an ANSI name or hex)."""
        if colour == "default":
            return self.foreground if foreground else self.background
        index = ANSI_INDEX.get(colour)
        if index is not None:
            return self.palette[index]
        return "#" + colour

    def palette_entry(self, index: int) -> str:
        """``#rrggbb`` of 256-colour entry ``index``."""
        if 0 <= index < 16:
            return self.palette[index]
        return "#" + colour_256(max(0, min(index, 255)))


def xparse_colour(colour: str) -> str:
    """X11 ``rgb:rrrr/gggg/bbbb`` form of ``#rrggbb``, as xterm answers OSC queries."""
    r, g, b = colour[1:3], colour[3:5], colour[5:7]
    return f"rgb:{r}{r}/{g}{g}/{b}{b}"
