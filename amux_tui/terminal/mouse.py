"""Encode mouse events in the form the program asked for.

Tracking modes decide which events are reported (9: presses only; 1000:
presses, releases, wheel; 1002: also motion with a button held; 1003: all
motion); encodings decide the bytes (SGR 1006 ``CSI < b;x;y M/m``, urxvt 1015,
or legacy X10 ``CSI M`` with coordinates as bytes, limited to 223).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MouseKind = Literal["press", "release", "move", "scroll_up", "scroll_down", "scroll_left", "scroll_right"]

_WHEEL = {"scroll_up": 64, "scroll_down": 65, "scroll_left": 66, "scroll_right": 67}
_LEGACY_LIMIT = 223


@dataclass(frozen=True, slots=True)
class MouseEvent:
    """A mouse event in terminal cells (0-based), independent of any UI library."""

    kind: MouseKind
    x: int
    y: int
    #: 0 left, 1 middle, 2 right; -1 when no button is involved (plain motion).
    button: int = -1
    shift: bool = False
    alt: bool = False
    ctrl: bool = False


def encode_mouse(event: MouseEvent, *, tracking: int, sgr: bool = False, urxvt: bool = False) -> bytes | None:
    """The report for ``event`` under the program's modes, or None if it wants none."""
    if tracking == 0:
        return None
    kind = event.kind
    if tracking == 9 and kind != "press":
        return None
    if kind == "move":
        if tracking == 1000 or (tracking == 1002 and event.button < 0):
            return None
    code = _button_code(event)
    if code is None:
        return None
    if tracking != 9:
        code += (4 if event.shift else 0) + (8 if event.alt else 0) + (16 if event.ctrl else 0)
    column, row = max(0, event.x) + 1, max(0, event.y) + 1
    release = kind == "release"
    if sgr:
        return f"\x1b[<{code};{column};{row}{'m' if release else 'M'}".encode()
    if release:
        code = (code & ~0b11) | 3  # legacy releases do not say which button
    if urxvt:
        return f"\x1b[{code + 32};{column};{row}M".encode()
    if column > _LEGACY_LIMIT or row > _LEGACY_LIMIT:
        return None
    return bytes((0x1B, 0x5B, 0x4D, code + 32, column + 32, row + 32))


def _button_code(event: MouseEvent) -> int | None:
    if event.kind in _WHEEL:
        return _WHEEL[event.kind]
    if event.kind == "move":
        return 32 + (event.button if 0 <= event.button <= 2 else 3)
    if 0 <= event.button <= 2:
        return event.button
    return None
