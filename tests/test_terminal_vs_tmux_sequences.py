"""Hand-written escape sequences in amux's terminal core and in tmux, through a real PTY.

Where tmux 3.3 and xterm agree, amux must match tmux cell for cell (attributes, cursor and modes
too). Where tmux departs from xterm, the case says what xterm does and amux is checked against
that instead (from xterm's util.c/cursor.c: erasing, ICH and DCH cancel a pending wrap,
``ResetWrap``; CUB moves from the last column; CHT, LNM and DECSTR are implemented).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tmux_reference import COLUMNS, FIXTURES, fresh_pairs, needs_tmux, tmux_installed  # noqa: F401

pytestmark = needs_tmux

PENDING = "x" * (COLUMNS - 1) + "W"  # W on the last column: the next character wraps

#: Sequences tmux and xterm treat alike.
AGREED = {
    "wide character at the margin wraps whole": "x" * (COLUMNS - 1) + "\u4e2dZ",
    "ICH on the last column": "x" * (COLUMNS - 1) + "\x1b[@Z",
    "CUF during a pending wrap": PENDING + "\x1b[CZ",
    "CR during a pending wrap": PENDING + "\rZ",
    "DECSC/DECRC during a pending wrap": PENDING + "\x1b7\x1b[5;5H\x1b8Z",
    "REP": "ab\x1b[3bZ",
    "tab stops set and cleared": "\x1b[3g\x1b[1;10H\x1bH\r\tZ\x1b[1;30H\x1b[2ZY",
    "DECALN": "\x1b#8",
    "insert mode": "abc\r\x1b[4hZZ\x1b[4l",
    "SD inside a region": "1\n2\n3\n4\x1b[2;3r\x1b[T",
    "origin mode VPA clamps": "\x1b[5;10r\x1b[?6h\x1b[20dZ",
    "origin mode homes to the region": "\x1b[5;10r\x1b[?6hZ",
    "origin mode CUP clamps": "\x1b[5;15r\x1b[?6h\x1b[20;3HZ",
    "bare DECSTBM homes": "\x1b[5;10r\x1b[8;8H\x1b[rZ",
    "RI at the top of a region": "\x1b[5;10r\x1b[5;1H\x1bMZ",
    "scrolling and erasing in blue": "\x1b[44m\x1b[24;1H\n\n\x1bM\x1b[3;1H\x1b[2L\x1b[M\x1b[S\x1b[T\x1b[0mZ",
    "erasing in red": "abcdef\x1b[41m\x1b[1;3H\x1b[K\x1b[2;1H\x1b[Jxy\x1b[0m",
    "TAB keeps a pending wrap": PENDING + "\tU",
    "NEL and IND": "ab\x1bEZ\x1b[24;1H\x1bDY",
    "DECSC keeps the rendition": "\x1b[31m\x1b7\x1b[0m\x1b8Z",
    "DECAWM off": "\x1b[?7l" + "y" * (COLUMNS + 5) + "Z\x1b[?7h",
    "CUP 0;0": "\x1b[0;0HZ",
    "EL 1": "abcdef\x1b[1;3H\x1b[1K",
    "colours 16, 256 and truecolour": "\x1b[1;31mA\x1b[38;5;208mB\x1b[48;5;17mC\x1b[38;2;1;2;3;48;2;250;0;9mD\x1b[0mE",
    "attributes": "\x1b[2mA\x1b[22;3mB\x1b[23;4mC\x1b[24;5mD\x1b[25;7mE\x1b[27;9mF\x1b[29;8mG\x1b[0mH",
    "HPA and CNL": "\x1b[10`Z\x1b[2EY",
    "alternate screen": "main\x1b[?1049h\x1b[2;2Halt\x1b[?1049l",
    "modes": "\x1b[?1h\x1b=\x1b[?1002h\x1b[?1006h\x1b[?25lZ",
}

#: Sequences where tmux 3.3 departs from xterm: (xterm's first two rows, xterm's cursor (row, column)).
XTERM_NOT_TMUX = {
    # tmux erases nothing and wraps; xterm erases the last column and cancels the wrap.
    "EL during a pending wrap": (PENDING + "\x1b[KZ", ("x" * (COLUMNS - 1) + "Z", ""), (0, COLUMNS - 1)),
    "ECH during a pending wrap": (PENDING + "\x1b[XZ", ("x" * (COLUMNS - 1) + "Z", ""), (0, COLUMNS - 1)),
    "DCH during a pending wrap": (PENDING + "\x1b[PZ", ("x" * (COLUMNS - 1) + "Z", ""), (0, COLUMNS - 1)),
    # ICH at the margin: tmux inserts nothing; xterm inserts at the last column, pushing W off.
    "ICH during a pending wrap": (PENDING + "\x1b[@Z", ("x" * (COLUMNS - 1) + "Z", ""), (0, COLUMNS - 1)),
    # tmux counts the cursor one past the last column; xterm moves left from the last column.
    "BS during a pending wrap": (PENDING + "\bZ", ("x" * (COLUMNS - 2) + "ZW", ""), (0, COLUMNS - 1)),
    "CUB during a pending wrap": (PENDING + "\x1b[DZ", ("x" * (COLUMNS - 2) + "ZW", ""), (0, COLUMNS - 1)),
    # tmux 3.3 implements neither CHT (CSI I) nor LNM (CSI 20 h: a linefeed also returns).
    "CHT": ("\x1b[2IZ", (" " * 16 + "Z", ""), (0, 17)),
    "LNM": ("\x1b[20hab\nZ\x1b[20l", ("ab", "Z"), (1, 1)),
    # DCH on the right half of a wide character: tmux 3.3 pulls B into the padding cell (the row
    # then shows one column off); xterm blanks the whole character (util.c DamagedCells).
    "DCH on half a wide character": ("A\u4e2dB\x1b[1;3H\x1b[P", ("A B", ""), (0, 2)),
}


@pytest.fixture
async def writer(tmp_path: Path):
    start, pairs = fresh_pairs(tmp_path)
    pair = start([sys.executable, str(FIXTURES / "write_hex.py")])
    await pair.settle()
    yield pair
    for each in pairs:
        await each.close()


def write(pair, text: str) -> None:
    """Reset both terminals (RIS), then have the program write ``text``."""
    pair.send(("\x1bc" + text).encode().hex() + "\r")


async def test_sequences_where_tmux_and_xterm_agree(writer) -> None:
    for name, text in AGREED.items():
        write(writer, text)
        screen = await writer.compare(name)
        assert screen.strip(), name


async def test_sequences_where_tmux_departs_from_xterm(writer) -> None:
    screen = writer.terminal.screen
    for name, (text, rows, (y, x)) in XTERM_NOT_TMUX.items():
        write(writer, text)
        await writer.settle()
        assert [screen.display[0].rstrip(), screen.display[1].rstrip()] == list(rows), name
        assert (screen.cursor.y, min(screen.cursor.x, screen.columns - 1)) == (y, x), name
    # xterm's DECSTR resets the rendition (tmux keeps it): Z is drawn plain.
    write(writer, "\x1b[31m\x1b[!pZ")
    await writer.settle()
    assert screen.buffer[0][0][1][0] == "default"
