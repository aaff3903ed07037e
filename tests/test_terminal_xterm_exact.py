"""Escape sequences where xterm and tmux agree: the exact bytes, then cells, attributes and cursor.

Each case is one that amux's screen once got wrong (see issue 14): back-colour erase on
scrolling, origin mode, ``CSI r``, TAB with a pending wrap, conceal/overline, and wide
characters cut in two by DCH/ECH/ICH/EL.
"""

from __future__ import annotations

import pytest
from rich.style import Style

from amux_tui.terminal.cells import describe
from amux_tui.terminal.colors import TerminalColors
from amux_tui.terminal.graphemes import cluster_width
from amux_tui.terminal.screen import TerminalScreen
from amux_tui.terminal.stream import TerminalStream
from amux_tui.ui.terminal_strips import StripRenderer


def feed(data: bytes, columns: int = 10, lines: int = 4) -> TerminalScreen:
    screen = TerminalScreen(columns, lines, scrollback=100)
    TerminalStream(screen).feed(data)
    return screen


def row(screen: TerminalScreen, y: int) -> str:
    return screen.line_text(screen.buffer[y], screen.columns)


def backgrounds(screen: TerminalScreen, y: int) -> list[str]:
    return [describe(screen.buffer[y][x]).bg for x in range(screen.columns)]


def cursor(screen: TerminalScreen) -> tuple[int, int]:
    return screen.cursor.y, screen.cursor.x


def assert_blue_blank(screen: TerminalScreen, y: int) -> None:
    """Row ``y`` is blank in blue and nothing else: back-colour erase takes the background only."""
    for x in range(screen.columns):
        cell = describe(screen.buffer[y][x])
        assert (cell.data, cell.fg, cell.bg, cell.bold, cell.underscore) == (" ", "default", "blue", False, False), (y, x)


# -- 1. back-colour erase on rows scrolled in ------------------------------------------

FILLED = b"\x1b[H" + b"\r\n".join(b"%d........." % n for n in range(4)) + b"\x1b[1;4;44m"


@pytest.mark.parametrize(
    ("name", "sequence", "blue_rows", "kept", "expected_cursor"),
    [
        ("LF at the bottom margin", b"\x1b[4;3H\n", [3], {0: "1.........", 2: "3........."}, (3, 2)),
        ("IND at the bottom margin", b"\x1b[4;3H\x1bD", [3], {0: "1.........", 2: "3........."}, (3, 2)),
        ("RI at the top margin", b"\x1b[1;5H\x1bM", [0], {1: "0.........", 3: "2........."}, (0, 4)),
        ("IL", b"\x1b[2;5H\x1b[2L", [1, 2], {0: "0.........", 3: "1........."}, (1, 0)),
        ("DL", b"\x1b[2;5H\x1b[M", [3], {1: "2.........", 2: "3........."}, (1, 0)),
        ("SU", b"\x1b[2;5H\x1b[2S", [2, 3], {0: "2.........", 1: "3........."}, (1, 4)),
        ("SD", b"\x1b[2;5H\x1b[T", [0], {1: "0.........", 3: "2........."}, (1, 4)),
        ("LF inside a scroll region", b"\x1b[2;3r\x1b[3;1H\n", [2], {0: "0.........", 1: "2.........", 3: "3........."}, (2, 0)),
    ],
)
def test_rows_scrolled_in_take_the_background_colour(name, sequence, blue_rows, kept, expected_cursor) -> None:
    screen = feed(FILLED + sequence)
    for y in blue_rows:
        assert_blue_blank(screen, y)
    for y, text in kept.items():
        assert row(screen, y) == text
        assert backgrounds(screen, y) == ["default"] * 10
    assert cursor(screen) == expected_cursor


def test_a_flood_of_lines_scrolls_in_blue_rows() -> None:
    # Whole lines in one chunk take the stream's draw_lines fast path.
    screen = feed(b"\x1b[44m" + b"".join(b"line %d\r\n" % n for n in range(6)))
    assert [row(screen, y).rstrip() for y in range(3)] == ["line 3", "line 4", "line 5"]
    # "line 3" was written on a row of the first screen; the rows after it were scrolled in blue.
    assert backgrounds(screen, 0) == ["blue"] * 6 + ["default"] * 4
    assert backgrounds(screen, 1) == ["blue"] * 10
    assert_blue_blank(screen, 3)
    assert cursor(screen) == (3, 0)


def test_default_background_scrolls_in_default_rows() -> None:
    screen = feed(FILLED + b"\x1b[0m\x1b[4;1H\n")
    assert backgrounds(screen, 3) == ["default"] * 10


# -- 2. origin mode -----------------------------------------------------------------------


def test_origin_mode_clamps_a_move_below_the_region_to_its_bottom() -> None:
    screen = feed(b"\x1b[5;15r\x1b[?6h\x1b[20;1HX", lines=20)
    assert cursor(screen) == (14, 1)
    assert row(screen, 14).startswith("X")


def test_origin_mode_counts_rows_from_the_top_margin() -> None:
    screen = feed(b"\x1b[5;15r\x1b[?6h\x1b[3;4HY", lines=20)
    assert row(screen, 6) == "   Y      "
    assert cursor(screen) == (6, 4)
    # Without origin mode the same move is absolute.
    screen = feed(b"\x1b[5;15r\x1b[3;4HY", lines=20)
    assert row(screen, 2) == "   Y      "


# -- 3. CSI r without parameters ------------------------------------------------------------


def test_bare_decstbm_homes_the_cursor_and_clears_the_region() -> None:
    screen = feed(b"\x1b[2;3r\x1b[3;5H\x1b[r", lines=4)
    assert cursor(screen) == (0, 0)
    # The whole screen scrolls again: a linefeed on the last row sends row 0 to the history.
    TerminalStream(screen).feed(b"top\x1b[4;1H\n")
    assert screen.history_text() == ["top"]


def test_a_region_too_small_is_ignored_and_keeps_the_cursor() -> None:
    screen = feed(b"\x1b[3;5H\x1b[3;3r", lines=4)
    assert cursor(screen) == (2, 4)
    assert screen.margins is None


# -- 4. TAB keeps a pending wrap -------------------------------------------------------------


def test_tab_after_the_last_column_keeps_the_pending_wrap() -> None:
    screen = feed(b"0123456789\tU")
    assert row(screen, 0) == "0123456789"
    assert row(screen, 1) == "U         "
    assert cursor(screen) == (1, 1)


def test_tab_stops_at_the_last_column_without_a_pending_wrap() -> None:
    screen = feed(b"012345678\tU")
    assert row(screen, 0) == "012345678U"
    assert cursor(screen) == (0, 10)  # U wrote the last column: wrap pending


# -- 5. conceal and overline -------------------------------------------------------------------


def test_conceal_and_overline_are_kept_per_cell_and_reset() -> None:
    screen = feed(b"\x1b[8ma\x1b[28mb\x1b[53mc\x1b[55md\x1b[8;53me\x1b[0mf")
    cells = [describe(screen.buffer[0][x]) for x in range(6)]
    assert [(c.data, c.conceal, c.overline) for c in cells] == [
        ("a", True, False), ("b", False, False), ("c", False, True),
        ("d", False, False), ("e", True, True), ("f", False, False),
    ]


def test_concealed_text_is_drawn_invisible() -> None:
    screen = feed(b"\x1b[31;42;8mhidden\x1b[28mshown\x1b[53mover", columns=20)
    colors = TerminalColors()
    strip = StripRenderer(colors).render(screen.buffer[0], screen.columns, 20)
    styles = {segment.text: segment.style for segment in strip if segment.text.strip()}
    hidden, shown, over = styles["hidden"], styles["shown"], styles["over"]
    green = colors.palette[2]
    assert isinstance(hidden, Style) and hidden.conceal
    assert hidden.color.name == green and hidden.bgcolor.name == green  # text in its background colour
    assert shown.color.name == colors.palette[1] and not shown.conceal
    assert over.overline and not shown.overline


# -- 6. wide characters cut by DCH, ECH, ICH, EL -------------------------------------------------


def assert_wide_characters_whole(screen: TerminalScreen) -> None:
    """Every wide cell is followed by its padding cell and every padding cell follows one."""
    for y in range(screen.lines):
        line = screen.buffer[y]
        for x in range(screen.columns):
            data = line[x][0]
            if data == "":
                assert x > 0 and cluster_width(line[x - 1][0]) == 2, (y, x, screen.display[y])
            elif data and cluster_width(data) == 2:
                assert x + 1 < screen.columns and line[x + 1][0] == "", (y, x, screen.display[y])


WIDE = "A\u4e2dB".encode()  # A, 中 (columns 1-2), B


@pytest.mark.parametrize(
    ("name", "sequence", "expected", "expected_cursor"),
    [
        ("DCH on the right half", b"\x1b[1;3H\x1b[P", "A B       ", (0, 2)),
        ("DCH on the left half", b"\x1b[1;2H\x1b[P", "A B       ", (0, 1)),
        ("DCH of the cell before", b"\x1b[1;1H\x1b[P", "\u4e2dB       ", (0, 0)),
        ("ECH on the right half", b"\x1b[1;3H\x1b[X", "A  B      ", (0, 2)),
        ("ECH on the left half", b"\x1b[1;2H\x1b[X", "A  B      ", (0, 1)),
        ("ICH on the right half", b"\x1b[1;3H\x1b[@", "A   B     ", (0, 2)),
        ("ICH on the left half", b"\x1b[1;2H\x1b[@", "A \u4e2dB     ", (0, 1)),
        ("EL from the right half", b"\x1b[1;3H\x1b[K", "A         ", (0, 2)),
        ("EL to the left half", b"\x1b[1;2H\x1b[1K", "   B      ", (0, 1)),
    ],
)
def test_edits_never_leave_half_a_wide_character(name, sequence, expected, expected_cursor) -> None:
    screen = feed(WIDE + b"\x1b[31m" + sequence)
    assert row(screen, 0) == expected
    assert cursor(screen) == expected_cursor
    assert_wide_characters_whole(screen)
    # The cells the cut blanked keep their own colours (default here), erased ones none either.
    assert all(describe(screen.buffer[0][x]).fg == "default" for x in range(10))


def test_ich_pushing_a_wide_character_half_off_the_row_blanks_it() -> None:
    screen = feed("12345678\u4e2d".encode() + b"\x1b[1;1H\x1b[@")
    assert row(screen, 0) == " 12345678 "
    assert_wide_characters_whole(screen)
    assert cursor(screen) == (0, 0)


# -- a pending wrap ends with an edit at the last column (xterm's ResetWrap) -------------------

PENDING = b"x" * 9 + b"W"  # W on the last column: the next character wraps


@pytest.mark.parametrize(
    ("name", "sequence", "first_row", "second_row", "expected_cursor"),
    [
        ("EL", b"\x1b[KZ", "xxxxxxxxxZ", "          ", (0, 10)),
        ("ECH", b"\x1b[XZ", "xxxxxxxxxZ", "          ", (0, 10)),
        ("DCH", b"\x1b[PZ", "xxxxxxxxxZ", "          ", (0, 10)),
        ("ICH", b"\x1b[@Z", "xxxxxxxxxZ", "          ", (0, 10)),
        ("ED 2", b"\x1b[2JZ", "         Z", "          ", (0, 10)),
        ("BS", b"\bZ", "xxxxxxxxZW", "          ", (0, 9)),
        ("CUB", b"\x1b[DZ", "xxxxxxxxZW", "          ", (0, 9)),
        ("nothing", b"Z", "xxxxxxxxxW", "Z         ", (1, 1)),
    ],
)
def test_edits_during_a_pending_wrap(name, sequence, first_row, second_row, expected_cursor) -> None:
    screen = feed(PENDING + sequence)
    assert (row(screen, 0), row(screen, 1)) == (first_row, second_row)
    assert cursor(screen) == expected_cursor


def test_erase_saved_lines_keeps_the_screen() -> None:
    screen = feed(b"1\r\n2\r\n3\r\n4\r\n5\x1b[3J", lines=3)
    assert screen.history_text() == []
    assert [row(screen, y).rstrip() for y in range(3)] == ["3", "4", "5"]


@pytest.mark.parametrize("split", [None, 16, 13], ids=["one chunk", "cut after the wide character", "cut before it"])
def test_without_autowrap_a_write_over_the_right_half_blanks_the_wide_character(split) -> None:
    """DECAWM off: text past the last column lands on it, over the right half of 中 here;
    xterm blanks the left half too, wherever the program's writes were cut into reads."""
    data = "\x1b[?7lxxxxxxxx\u4e2d!".encode()
    screen = TerminalScreen(10, 2, scrollback=100)
    stream = TerminalStream(screen)
    for part in ([data] if split is None else [data[:split], data[split:]]):
        stream.feed(part)
    assert row(screen, 0) == "xxxxxxxx !"
    assert_wide_characters_whole(screen)
