"""Honest answers to the queries programs send at start-up.

Each function returns the exact bytes (as text) to write back to the program,
or None when amux does not implement what is asked (kitty keyboard, kitty
graphics, OSC 66 text sizing, pixel sizes) so the program's own timeout
decides. Answers are written while parsing, so everything the program sent
before the query has already been applied (cursor position reports are right).
"""

from __future__ import annotations

from amux_tui import __version__

from .colors import TerminalColors, xparse_colour
from .modes import ModeState

#: DA1: a VT220 with ANSI colour (22). No sixel, no other extensions.
PRIMARY_DEVICE_ATTRIBUTES = "\x1b[?62;22c"

TERMINAL_NAME = "amux"


def _version_number(version: str) -> int:
    """0.1.0 -> 100, 1.2.3 -> 10203 (DA2 wants one number)."""
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def secondary_device_attributes() -> str:
    """DA2: terminal type 1 (VT220), amux's version, no ROM cartridge."""
    return f"\x1b[>1;{_version_number(__version__)};0c"


def xtversion() -> str:
    """XTVERSION: our own name. Claiming "XTerm" makes Claude Code drop to 256 colours."""
    return f"\x1bP>|{TERMINAL_NAME}({__version__})\x1b\\"


def device_status(mode: int, *, private: bool, row: int, column: int) -> str | None:
    """DSR 5 (status ok) and 6 (cursor position, 1-based); ``?6n`` is DECXCPR."""
    if mode == 5:
        return "\x1b[?0n" if private else "\x1b[0n"
    if mode == 6:
        return f"\x1b[?{row};{column};1R" if private else f"\x1b[{row};{column}R"
    return None


def mode_report(modes: ModeState, mode: int, *, private: bool) -> str:
    """DECRQM: whether ``mode`` is set, reset or not recognised."""
    status = modes.report(mode, private=private)
    marker = "?" if private else ""
    return f"\x1b[{marker}{mode};{status}$y"


def colour_query(params: list[str], colors: TerminalColors, terminator: str) -> str:
    """Answers for OSC 4 (palette) and OSC 10/11/12 queries, possibly chained.

    ``params`` is the OSC split on ``;``, its first item the OSC number.
    """
    code = params[0]
    answers = []
    if code == "4":
        pairs = params[1:]
        for index_text, spec in zip(pairs[0::2], pairs[1::2]):
            if spec == "?" and index_text.isdigit() and int(index_text) < 256:
                colour = colors.palette_entry(int(index_text))
                answers.append(f"\x1b]4;{index_text};{xparse_colour(colour)}{terminator}")
        return "".join(answers)
    dynamic = {10: colors.foreground, 11: colors.background, 12: colors.cursor}
    if not code.isdigit():
        return ""
    number = int(code)
    # "OSC 10;?;?" asks for 10 then 11: each further item is the next number.
    for offset, spec in enumerate(params[1:]):
        colour = dynamic.get(number + offset)
        if spec == "?" and colour is not None:
            answers.append(f"\x1b]{number + offset};{xparse_colour(colour)}{terminator}")
    return "".join(answers)


def window_report(params: list[int], *, lines: int, columns: int) -> str | None:
    """XTWINOPS reports amux can answer truthfully: the text area in characters."""
    if params and params[0] == 18:
        return f"\x1b[8;{lines};{columns}t"
    return None


def termcap_query(payload: str) -> str:
    """XTGETTCAP (DCS + q): amux offers no termcap strings, so each name is invalid."""
    return f"\x1bP0+r{payload}\x1b\\"


def setting_query() -> str:
    """DECRQSS (DCS $ q): not supported, answered as an invalid request."""
    return "\x1bP0$r\x1b\\"
