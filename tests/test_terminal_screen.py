"""The screen model: colours, wide characters, modes, scrollback, alternate screen."""

from __future__ import annotations

import pytest

from amux_tui.terminal.lines import line_serial
from amux_tui.terminal.cells import describe
from amux_tui.terminal.screen import TerminalScreen
from amux_tui.terminal.stream import TerminalStream


def make(columns: int = 20, lines: int = 5, scrollback: int = 100):
    screen = TerminalScreen(columns, lines, scrollback=scrollback)
    stream = TerminalStream(screen)
    screen.on_reply = lambda _text: None
    return screen, stream


def text(screen: TerminalScreen) -> list[str]:
    return [line.rstrip() for line in screen.display]


@pytest.mark.parametrize(
    ("sgr", "fg", "bg"),
    [
        ("31", "red", "default"),
        ("91;42", "brightred", "green"),
        ("38;5;1", "red", "default"),
        ("38;5;196;48;5;21", "ff0000", "0000ff"),
        ("38;5;244", "808080", "default"),
        ("38;2;1;2;3", "010203", "default"),
        ("38:2::10:20:30;48:2:40:50:60", "0a141e", "28323c"),
        ("38;2;255;128;0;48;2;0;0;0", "ff8000", "000000"),
    ],
)
def test_colours(sgr: str, fg: str, bg: str) -> None:
    screen, stream = make()
    stream.feed(f"\x1b[{sgr}mX\x1b[0mY".encode())
    assert (describe(screen.buffer[0][0]).fg, describe(screen.buffer[0][0]).bg) == (fg, bg)
    assert (describe(screen.buffer[0][1]).fg, describe(screen.buffer[0][1]).bg) == ("default", "default")


def test_text_attributes_and_their_resets() -> None:
    screen, stream = make()
    stream.feed(b"\x1b[1;2;3;4;7;9ma\x1b[22;23;24;27;29mb\x1b[4:3mc\x1b[4:0md")
    a, b, c, d = (describe(screen.buffer[0][x]) for x in range(4))
    assert a.bold and a.dim and a.italics and a.underscore and a.reverse and a.strikethrough
    assert not any((b.bold, b.dim, b.italics, b.underscore, b.reverse, b.strikethrough))
    assert c.underscore and not d.underscore


def test_wide_characters_take_two_cells_and_overwrite_cleanly() -> None:
    screen, stream = make()
    stream.feed("\u4e2d\u6587!".encode())
    line = screen.buffer[0]
    assert [line[x][0] for x in range(5)] == ["\u4e2d", "", "\u6587", "", "!"]
    assert screen.cursor.x == 5
    stream.feed(b"\x1b[1;2Hx")  # lands on the right half of the first wide char
    assert [line[x][0] for x in range(3)] == [" ", "x", "\u6587"]


def test_wide_character_wraps_instead_of_splitting() -> None:
    screen, stream = make(columns=5)
    stream.feed("abcd\u4e2d".encode())
    assert text(screen)[:2] == ["abcd", "\u4e2d"]


def test_autowrap_and_scrollback() -> None:
    screen, stream = make(columns=10, lines=3, scrollback=5)
    stream.feed(b"".join(b"line%d\r\n" % n for n in range(10)))
    assert screen.history_text() == [f"line{n}" for n in range(3, 8)]
    assert text(screen) == ["line8", "line9", ""]
    assert screen.history.evicted_total == 8
    stream.feed(b"0123456789abc")
    assert text(screen)[1:] == ["0123456789", "abc"]


def test_scrollback_is_not_fed_by_the_alternate_screen_or_margins() -> None:
    screen, stream = make(columns=10, lines=3)
    stream.feed(b"\x1b[?1049h" + b"alt\r\n" * 10 + b"\x1b[?1049l")
    assert screen.history_text() == []
    stream.feed(b"\x1b[2;3r\x1b[3;1H" + b"m\r\n" * 5 + b"\x1b[r")
    assert screen.history_text() == []


def test_erase_display_3_clears_scrollback() -> None:
    screen, stream = make(columns=10, lines=2)
    stream.feed(b"a\r\nb\r\nc\r\n")
    assert screen.history_text()
    stream.feed(b"\x1b[H\x1b[2J\x1b[3J")
    assert screen.history_text() == []
    assert text(screen) == ["", ""]


def test_alternate_screen_restores_main_screen_and_cursor() -> None:
    screen, stream = make()
    stream.feed(b"main text\r\nsecond\x1b[?1049h")
    assert screen.in_alternate_screen
    assert text(screen) == [""] * 5
    stream.feed(b"\x1b[3;3Halt stuff")
    stream.feed(b"\x1b[?1049l")
    assert not screen.in_alternate_screen
    assert text(screen)[:2] == ["main text", "second"]
    assert (screen.cursor.y, screen.cursor.x) == (1, 6)


def test_alternate_screen_1047_and_47() -> None:
    screen, stream = make()
    stream.feed(b"keep\x1b[?47hgone\x1b[?47l")
    assert text(screen)[0] == "keep"
    stream.feed(b"\x1b[?1047hx\x1b[?1047l")
    assert text(screen)[0] == "keep"


@pytest.mark.parametrize(
    ("mode", "attribute"),
    [
        (1, "application_cursor_keys"),
        (1004, "focus_events"),
        (1006, "mouse_sgr"),
        (2004, "bracketed_paste"),
        (2026, "synchronized_output"),
    ],
)
def test_private_modes_are_remembered(mode: int, attribute: str) -> None:
    screen, stream = make()
    assert not getattr(screen.modes, attribute)
    stream.feed(b"\x1b[?%dh" % mode)
    assert getattr(screen.modes, attribute)
    stream.feed(b"\x1b[?%dl" % mode)
    assert not getattr(screen.modes, attribute)


def test_mouse_tracking_modes() -> None:
    screen, stream = make()
    for mode in (1000, 1002, 1003):
        stream.feed(b"\x1b[?%d;1006h" % mode)
        assert screen.modes.mouse_tracking == mode
    stream.feed(b"\x1b[?1003l")
    assert screen.modes.mouse_tracking == 0


def test_keypad_and_cursor_visibility() -> None:
    screen, stream = make()
    stream.feed(b"\x1b=\x1b[?25l")
    assert screen.modes.application_keypad and screen.cursor.hidden
    stream.feed(b"\x1b>\x1b[?25h")
    assert not screen.modes.application_keypad and not screen.cursor.hidden


def test_column_mode_does_not_resize() -> None:
    screen, stream = make()
    stream.feed(b"\x1b[?3h\x1b[96h")
    assert screen.columns == 20


def test_cursor_save_restore_and_shape() -> None:
    screen, stream = make()
    stream.feed(b"\x1b[2;4H\x1b[s\x1b[5;1H\x1b[u")
    assert (screen.cursor.y, screen.cursor.x) == (1, 3)
    stream.feed(b"\x1b7\x1b[H\x1b8")
    assert (screen.cursor.y, screen.cursor.x) == (1, 3)
    stream.feed(b"\x1b8")  # restoring twice gives the same position
    assert (screen.cursor.y, screen.cursor.x) == (1, 3)
    stream.feed(b"\x1b[5 q")
    assert screen.cursor_shape == 5


def test_title_and_links() -> None:
    screen, stream = make()
    stream.feed(b"\x1b]0;first\x07\x1b]2;second\x1b\\")
    assert screen.title == "second"
    stream.feed(b"\x1b]8;;https://example.com/x\x1b\\link\x1b]8;;\x1b\\ plain")
    assert text(screen)[0] == "link plain"
    assert describe(screen.buffer[0][0]).link == "https://example.com/x"
    assert describe(screen.buffer[0][5]).link is None


def test_repeat_scroll_insert_delete() -> None:
    screen, stream = make(columns=10, lines=4)
    stream.feed(b"-\x1b[4b\r\n1\r\n2\r\n3")
    assert text(screen) == ["-----", "1", "2", "3"]
    stream.feed(b"\x1b[1S")
    assert text(screen) == ["1", "2", "3", ""]
    stream.feed(b"\x1b[2T")
    assert text(screen) == ["", "", "1", "2"]
    stream.feed(b"\x1b[3;1H\x1b[L")
    assert text(screen) == ["", "", "", "1"]
    stream.feed(b"\x1b[M\x1b[M")
    assert text(screen) == ["", "", "", ""]


def test_scroll_region_keeps_rows_outside() -> None:
    screen, stream = make(columns=10, lines=4)
    stream.feed(b"top\x1b[4;1Hbottom\x1b[2;3r\x1b[3;1Ha\r\nb\r\nc")
    assert text(screen) == ["top", "b", "c", "bottom"]


def test_erase_uses_background_colour() -> None:
    screen, stream = make(columns=6, lines=2)
    stream.feed(b"abcdef\x1b[1;3H\x1b[44m\x1b[K")
    assert text(screen)[0] == "ab"
    assert describe(screen.buffer[0][4]).bg == "blue"
    assert not describe(screen.buffer[0][4]).bold


def test_line_drawing_charset() -> None:
    screen, stream = make()
    stream.feed(b"\x1b(0lqk\x1b(B ok")
    assert text(screen)[0] == "\u250c\u2500\u2510 ok"


def test_versions_track_changes_and_survive_scrolling() -> None:
    screen, stream = make(columns=10, lines=3)
    stream.feed(b"a\r\nb\r\nc")
    screen.take_dirty()
    rows = [(line_serial(line), line.version) for line in screen.buffer]
    stream.feed(b"\r\nd")
    dirty = screen.take_dirty()
    moved = [(line_serial(line), line.version) for line in screen.buffer]
    assert moved[:2] == rows[1:]  # rows b and c moved up unchanged
    assert dirty == {2}
    assert screen.buffer[2].version == 1


def test_resize_keeps_cursor_row_and_uses_scrollback() -> None:
    screen, stream = make(columns=10, lines=4)
    stream.feed(b"1\r\n2\r\n3\r\n4")
    screen.resize(2, 10)
    assert text(screen) == ["3", "4"]
    assert screen.history_text() == ["1", "2"]
    screen.resize(4, 10)
    assert text(screen) == ["1", "2", "3", "4"]
    assert screen.history_text() == []
    screen.resize(4, 3)
    stream.feed(b"xyz")
    assert text(screen)[2:] == ["4xy", "z"]


def test_resize_in_alternate_screen_keeps_main_screen() -> None:
    screen, stream = make(columns=10, lines=4)
    stream.feed(b"main\x1b[?1049h\x1b[4;1Halt")
    screen.resize(3, 8)
    stream.feed(b"\x1b[?1049l")
    assert text(screen)[0] == "main"
    assert len(screen.buffer) == 3


def test_insert_and_delete_characters_stay_inside_the_row() -> None:
    screen, stream = make(columns=8, lines=2)
    stream.feed(b"abcdefgh\x1b[1;3H\x1b[2@")
    assert text(screen)[0] == "ab  cdef"
    stream.feed(b"\x1b[1;3H\x1b[3P")
    assert text(screen)[0] == "abdef"
    stream.feed(b"\x1b[1;1H\x1b[99P\x1b[99@")
    assert text(screen)[0] == ""
    assert all(0 <= x < 8 for x in screen.buffer[0])
    stream.feed(b"\x1b[2;1Hxy\x1b[44m\x1b[2;1H\x1b[@")
    assert text(screen)[1] == " xy"
    assert describe(screen.buffer[1][0]).bg == "blue"


def test_alignment_pattern() -> None:
    screen, stream = make(columns=4, lines=2)
    stream.feed(b"\x1b#8")
    assert text(screen) == ["EEEE", "EEEE"]
