"""The batched drawing paths and run-length history rows give what drawing run by run gives.

Whole chunks take the fast paths (a line of coloured runs is one row update, a row written
whole keeps its history form); the same bytes fed one text run, SGR, CR or LF at a time take
the general paths (one draw or SGR per call, rows converted when they scroll off). Both must
end with the same cells, cursor, pen and history.
"""

from __future__ import annotations

import random
import re
import sys

import pytest

from amux_tui.terminal import lines as lines_module
from amux_tui.terminal.cells import DEFAULT_CELL, make_pen
from amux_tui.terminal.lines import Line, freeze_line, row_cells, row_text, thaw_line
from amux_tui.terminal.screen import TerminalScreen
from amux_tui.terminal.stream import TerminalStream

SGRS = ["31", "1;32", "0", "38;5;208", "48;5;17", "38;2;10;20;30", "38:2::1:2:3", "7", "27;39", "4:3", "", "44", "49"]
WORDS = ["alpha", "beta", "\u4e2d\u6587", "caf\u00e9", "e\u0301", "\u2764\ufe0f", "x" * 30, "  ", "tab\there"]


def coloured_stream(seed: int, lines: int = 300) -> bytes:
    """Lines of words and SGR runs, some longer than the screen, some with wide text."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        parts = []
        for _ in range(rng.randint(0, 12)):
            if rng.random() < 0.4:
                parts.append(f"\x1b[{rng.choice(SGRS)}m")
            parts.append(rng.choice(WORDS) + " ")
        if rng.random() < 0.05:
            parts.append("\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\")
        out.append("".join(parts))
    return ("\r\n".join(out) + "\r\npartial \x1b[1mend").encode()


def fed(data: bytes, *, one_by_one: bool, columns: int = 40, lines: int = 8) -> TerminalScreen:
    screen = TerminalScreen(columns, lines, scrollback=1000)
    stream = TerminalStream(screen)
    if one_by_one:
        for token in re.split(rb"(\x1b\[[0-9;:]*m|\r|\n)", data):
            stream.feed(token)
    else:
        stream.feed(data)
    return screen


def state(screen: TerminalScreen) -> tuple:
    rows = [[screen.buffer[y][x] for x in range(screen.columns)] for y in range(screen.lines)]
    history = [row_cells(row, screen.columns) for row in screen.history]
    return rows, history, (screen.cursor.x, screen.cursor.y), screen.cursor.attrs[1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batched_drawing_matches_drawing_run_by_run(seed: int) -> None:
    data = coloured_stream(seed)
    whole, single = fed(data, one_by_one=False), fed(data, one_by_one=True)
    assert len(whole.history) > 200  # the history took rows of both kinds
    assert state(whole) == state(single)
    assert whole.history_text() == single.history_text()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lines_kept_as_they_came_match_drawing_run_by_run(seed: int) -> None:
    """Narrow coloured lines that scroll off in one batch are kept with their SGR
    sequences (no runs worked out): they must give back the same cells."""
    data = mixed_stream(seed)
    whole, single = fed(data, one_by_one=False), fed(data, one_by_one=True)
    assert sum(1 for row in whole.history if type(row) is tuple and row[0] is None) > 20
    assert state(whole) == state(single)
    assert whole.history_text() == single.history_text()


def test_background_colour_is_kept_by_batched_lines() -> None:
    data = b"\x1b[44m" + b"".join(b"\x1b[31mred\x1b[39m plain %d\r\n" % n for n in range(20))
    assert state(fed(data, one_by_one=False)) == state(fed(data, one_by_one=True))


ROWS = {
    "plain": {x: (c, DEFAULT_CELL[1]) for x, c in enumerate("hello world")},
    "coloured": {x: (c, make_pen(fg="red" if x % 3 else "00ff00", bold=x > 4)) for x, c in enumerate("coloured row!")},
    "gaps and trailing blanks": {0: ("a", DEFAULT_CELL[1]), 5: ("b", make_pen(bg="blue")), 9: DEFAULT_CELL},
    "wide and clusters": {0: ("\u4e2d", DEFAULT_CELL[1]), 1: ("", DEFAULT_CELL[1]), 2: ("e\u0301", make_pen(fg="red")),
                          3: ("\u2764\ufe0f", DEFAULT_CELL[1]), 4: ("", DEFAULT_CELL[1])},
    "empty": {},
}


@pytest.mark.parametrize("name", list(ROWS))
def test_history_rows_give_back_their_cells(name: str) -> None:
    line = Line(ROWS[name])
    frozen = freeze_line(line)
    expected = [line[x] for x in range(12)]
    assert row_cells(frozen, 12) == expected
    assert row_text(frozen, 12).rstrip() == "".join(cell[0] for cell in expected).rstrip()
    assert thaw_line(frozen, 12) == {x: cell for x, cell in line.items() if cell != DEFAULT_CELL and x < 12}


def test_a_coloured_200_column_row_is_small() -> None:
    screen = TerminalScreen(200, 2, scrollback=10)
    text = "".join(f"\x1b[3{n % 8}mword{n:02d}\x1b[0m " if n % 4 == 0 else f"word{n:02d} " for n in range(28))
    TerminalStream(screen).feed((text + "-" * (200 - 28 * 7) + "\r\n").encode() * 3)
    row = screen.history[0]
    assert row_text(row, 200).endswith("-")
    size = sys.getsizeof(row) + sum(map(sys.getsizeof, row))  # the row and its two strings
    assert size < 600  # a dict of 200 cells takes about 10 KB


def test_rows_fall_back_to_pen_tuples_when_pen_numbers_run_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "_MAX_PENS", len(lines_module._PENS))
    line = Line({0: ("a", make_pen(fg="123456")), 1: ("b", make_pen(fg="654321"))})
    frozen = freeze_line(line)
    assert frozen[1] == make_pen(fg="123456") and len(frozen) == 5
    assert row_cells(frozen, 3) == [line[0], line[1], DEFAULT_CELL]


def mixed_stream(seed: int) -> bytes:
    """Coloured lines with, between them, what must see every row settled: moves up
    into rows just written, a mark joining the row above, tabs, background colour,
    the alternate screen."""
    rng = random.Random(seed)
    lines = []
    for _ in range(300):  # narrow lines that fit: the ones whole lines make lazy
        words = [rng.choice(["alpha", "beta", "gamma", "caf\u00e9", "  "]) for _ in range(rng.randint(0, 5))]
        lines.append("".join(f"\x1b[{rng.choice(SGRS)}m{word} " if rng.random() < 0.4 else f"{word} " for word in words))
    extras = ["\x1b[3A\x1b[2Gxy\x1b[3B", "\u0301", "a\tb", "\x1b[44m", "\x1b[49m", "\x1b[?1049hALT\x1b[?1049l",
              "\x1b[2A\x1b[2K\x1b[2B", "\x1b[3A\x1b[3P\x1b[5X\x1b[3B", "\x1b[1;1H\x1b[1S\x1b[8;1H",
              "\x1b[2;1H\x1b[2L\x1b[8;1H", "\x1b]0;title\x07", "",
              "\x1b[32m" + "w" * 40 + "\r\n\u0301\x1b[31mx"]  # a mark joining the last cell of the row above
    out = []
    for line in lines:
        if rng.random() < 0.1:
            out.append(rng.choice(extras) + line)
        else:
            out.append(line)
    return "\r\n".join(out).encode()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_feeding_in_chunks_without_settling_gives_the_same_screen(seed: int) -> None:
    """Chunks fed with settle=False (rows left lazy, a line cut by a chunk held back)
    and settled at the end, or settled after some chunks, end as the whole fed at once."""
    rng = random.Random(seed)
    for data in (coloured_stream(seed), mixed_stream(seed)):
        screen = TerminalScreen(40, 8, scrollback=1000)
        stream = TerminalStream(screen)
        pos = 0
        while pos < len(data):
            size = rng.choice([1, 7, 64, 300, 2000])
            stream.feed(data[pos:pos + size], settle=rng.random() < 0.2)
            pos += size
        stream.settle()
        assert not any(line.lazy for line in screen.buffer)
        whole = fed(data, one_by_one=False)
        assert state(screen) == state(whole)
        assert screen.history_text() == whole.history_text()


# Sequences that touch rows the lines before them wrote, or change how the next lines are drawn.
EDITS = ["\x1b[2A", "\x1b[3B", "\x1b[5;3H", "\x1b[J", "\x1b[1J", "\x1b[2J", "\x1b[3J", "\x1b[K", "\x1b[1K", "\x1b7",
         "\x1b8", "\x1b[s", "\x1b[u", "\x1b[?1049h", "\x1b[?1049l", "\x1b[?47h", "\x1b[?47l", "\x1b[2;5r", "\x1b[r",
         "\x1b[4h", "\x1b[4l", "\x1b(0", "\x1b(B", "\x0e", "\x0f", "\x1b[2L", "\x1b[2M", "\x1b[2S", "\x1b[T", "\x1bM",
         "\x1bD", "\t", "\r", "\x08", "\x1b[3b", "\x1b[?7l", "\x1b[?7h", "\x1b[2P", "\x1b[3X", "\x1b[2@", "\u0301", "\n",
         "\x1b]8;;https://example.com\x1b\\", "\x1b]8;;\x1b\\", "\x1b[?6h", "\x1b[?6l", "\x1b[44m\x1b[2J", "\x1bc",
         "\x1b[!p", "\x1b#8"]


def edited_stream(rng: random.Random) -> bytes:
    out = []
    for _ in range(200):
        if rng.random() < 0.3:
            out.append(rng.choice(EDITS))
            continue
        words = WORDS[:6] if rng.random() < 0.8 else WORDS  # mostly lines that fit
        parts = [(f"\x1b[{rng.choice(SGRS)}m" if rng.random() < 0.4 else "") + rng.choice(words) + " "
                 for _ in range(rng.randint(0, 6))]
        out.append("".join(parts) + "\r\n")
    return "".join(out).encode()


@pytest.mark.parametrize("seed", [10, 34, 96, 1, 2, 3, 4, 5])  # 10, 34, 96: an emoji cut from its VS16, half a wide character overwritten
def test_parsing_turns_with_resizes_between_them_match_drawing_run_by_run(seed: int) -> None:
    """What a terminal does: slices fed without settling, settled at the end of each turn, the
    screen resized between turns (by the UI), with every kind of edit in the output. After each
    turn the screen, the scrollback, cursor and pen are what the same bytes drawn run by run give."""
    rng = random.Random(seed)
    columns, lines = rng.randint(8, 40), rng.randint(2, 9)
    data = edited_stream(rng)
    sliced, single = TerminalScreen(columns, lines, scrollback=500), TerminalScreen(columns, lines, scrollback=500)
    sliced_stream, single_stream = TerminalStream(sliced), TerminalStream(single)
    pos = 0
    while pos < len(data):
        for _ in range(rng.randint(1, 4)):
            chunk = data[pos:pos + rng.choice([1, 3, 17, 64, 300, 2000])]
            pos += len(chunk)
            sliced_stream.feed(chunk, settle=False)
            for token in re.split(rb"(\x1b\[[0-9;:]*m|\r|\n)", chunk):
                single_stream.feed(token)
        sliced_stream.settle()
        assert state(sliced) == state(single), pos
        if rng.random() < 0.15:
            size = rng.randint(2, 10), rng.randint(6, 45)
            sliced.resize(*size)
            single.resize(*size)
