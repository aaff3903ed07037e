"""The terminal stream against the exact sequences real TUIs send.

Each robustness test feeds a sequence that stock pyte 0.8.2 mishandles (see
``test_stock_pyte_still_mishandles`` for proof the inputs are not vacuous) and
checks what amux's screen does with it instead.
"""

from __future__ import annotations

import os

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amux_tui.terminal.colors import TerminalColors
from amux_tui.terminal.cells import describe
from amux_tui.terminal.screen import TerminalScreen
from amux_tui.terminal.stream import TerminalStream


def make(columns: int = 40, lines: int = 6, **colors: str):
    screen = TerminalScreen(columns, lines, scrollback=100)
    stream = TerminalStream(screen, TerminalColors(**colors) if colors else None)
    replies: list[str] = []
    screen.on_reply = replies.append
    return screen, stream, replies


def row(screen: TerminalScreen, y: int = 0) -> str:
    return screen.display[y].rstrip()


def test_stock_pyte_still_mishandles() -> None:
    """The inputs below break stock pyte, so the tests that follow prove a fix."""
    screen = pyte.Screen(40, 4)
    stream = pyte.Stream(screen)
    with pytest.raises(TypeError):
        stream.feed("\x1b[>4;?m")
    stream = pyte.Stream(screen)
    with pytest.raises(TypeError):
        stream.feed("\x1b[?6n")
    screen.reset()
    pyte.Stream(screen).feed("\x1bP+q544e\x1b\\")
    assert "544e" in screen.display[0]
    screen.reset()
    pyte.Stream(screen).feed("a\u200db rest")
    assert "rest" not in screen.display[0]


def test_xtmodkeys_query_is_dropped() -> None:
    screen, stream, replies = make()
    stream.feed(b"a\x1b[>4;?mb\x1b[>4;1mc")
    assert row(screen) == "abc"
    cell = describe(screen.buffer[0][2])
    assert not cell.bold and not cell.underscore
    assert replies == []


def test_private_cursor_position_report() -> None:
    screen, stream, replies = make()
    stream.feed(b"hello\r\nab\x1b[?6n")
    assert replies == ["\x1b[?2;3;1R"]
    assert row(screen, 1) == "ab"


@pytest.mark.parametrize(
    "sequence",
    [
        b"\x1bP+q544e;636f6c6f7273\x1b\\",       # XTGETTCAP (OpenCode)
        b"\x1bP$qm\x1b\\",                       # DECRQSS
        b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\",  # kitty graphics query (APC)
        b"\x1b^privacy message\x1b\\",           # PM
        b"\x1bXstart of string\x1b\\",           # SOS
        b"\x1b]66;s=2;big\x07",                  # OSC 66 text sizing
        b"\x1b]52;c;aGVsbG8=\x07",               # OSC 52 clipboard
    ],
)
def test_strings_are_never_drawn(sequence: bytes) -> None:
    screen, stream, replies = make()
    stream.feed(b"<" + sequence + b">")
    assert row(screen) == "<>"


def test_kitty_graphics_and_text_sizing_stay_unanswered() -> None:
    screen, stream, replies = make()
    stream.feed(b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b]66;w=2;x\x1b\\\x1b[?u")
    assert replies == []


@pytest.mark.parametrize(
    "sequence",
    [b"\x1b[<u", b"\x1b[<1u", b"\x1b[=1;1u", b"\x1b[=c", b"\x1b[>7u", b"\x1b[<35;10;4M", b"\x1b[?u"],
)
def test_private_marker_csi_does_not_leak(sequence: bytes) -> None:
    screen, stream, _ = make()
    stream.feed(b"[" + sequence + b"]")
    assert row(screen) == "[]"


def test_zero_width_joiner_keeps_the_rest_of_the_run() -> None:
    screen, stream, _ = make()
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    stream.feed(f"a{family}b rest".encode())
    assert describe(screen.buffer[0][1]).data == family
    assert describe(screen.buffer[0][2]).data == ""  # the emoji is wide
    assert row(screen) == f"a{family}b rest"


def test_variation_selector_keeps_the_rest_and_widens() -> None:
    screen, stream, _ = make()
    stream.feed("\u2764\ufe0f ok".encode())
    assert describe(screen.buffer[0][0]).data == "\u2764\ufe0f"
    assert describe(screen.buffer[0][1]).data == ""
    assert row(screen) == "\u2764\ufe0f ok"
    assert screen.cursor.x == 5


@pytest.mark.parametrize("autowrap", [b"", b"\x1b[?7l"], ids=["autowrap", "no autowrap"])
@pytest.mark.parametrize("before", ["x" * 9, "x" * 8 + "\u4e2d"], ids=["after text", "over a wide character"])
def test_a_selector_read_apart_from_its_emoji_at_the_last_column(autowrap: bytes, before: str) -> None:
    """The emoji lands on the last column, its VS16 comes in the next read and makes it wide:
    the screen ends as when both came in one read (on the next row, or without autowrap over
    the last two columns), not with a two-column cell squeezed into one."""
    data = autowrap + f"{before}\u2764\ufe0fab".encode()
    cut = data.index("\ufe0f".encode())
    whole, _, _ = make(10, 3)
    TerminalStream(whole).feed(data)
    split, stream, _ = make(10, 3)
    stream.feed(data[:cut])
    stream.feed(data[cut:])
    assert [row(split, y) for y in range(3)] == [row(whole, y) for y in range(3)]
    assert [[split.buffer[y][x] for x in range(10)] for y in range(3)] == [
        [whole.buffer[y][x] for x in range(10)] for y in range(3)]
    assert (split.cursor.x, split.cursor.y) == (whole.cursor.x, whole.cursor.y)


def test_a_selector_read_apart_from_its_emoji_in_insert_mode_pushes_the_rest_by_two() -> None:
    data = "abcdef\x1b[1;2H\x1b[4h\u2764\ufe0fZ".encode()
    cut = data.index("\ufe0f".encode())
    split, stream, _ = make(10, 2)
    stream.feed(data[:cut])
    stream.feed(data[cut:])
    assert row(split) == "a\u2764\ufe0fZbcdef"
    assert describe(split.buffer[0][2]).data == "" and split.cursor.x == 4


def test_joiner_split_across_chunks() -> None:
    screen, stream, _ = make()
    stream.feed("x\U0001f468".encode())
    stream.feed("\u200d\U0001f469 y".encode())
    assert describe(screen.buffer[0][1]).data == "\U0001f468\u200d\U0001f469"
    assert row(screen) == "x\U0001f468\u200d\U0001f469 y"


def test_combining_accent_joins_previous_cell() -> None:
    screen, stream, _ = make()
    stream.feed("e\u0301t\u00e9".encode())
    assert describe(screen.buffer[0][0]).data == "e\u0301"
    assert row(screen) == "e\u0301t\u00e9"


def test_sequences_split_at_every_byte() -> None:
    data = (
        "\x1b[1;31mred\x1b[0m \x1b]0;title\x07\x1bP+q544e\x1b\\\u4e2d\u6587 "
        "\x1b[38;2;1;2;3mrgb\x1b[m\x1b[?2004h\x1b[>4;?m end"
    ).encode()
    whole, whole_stream, whole_replies = make()
    whole_stream.feed(data)
    split, split_stream, split_replies = make()
    for index in range(len(data)):
        split_stream.feed(data[index:index + 1])
    assert split.display == whole.display
    assert split.title == whole.title == "title"
    assert split_replies == whole_replies
    assert split.modes.bracketed_paste
    assert describe(split.buffer[0][0]).fg == "red" and describe(split.buffer[0][0]).bold


def test_malformed_csi_is_skipped_and_next_sequence_parsed() -> None:
    screen, stream, _ = make()
    stream.feed(b"a\x1b[1;2\x1b[31mb\x1b[ 1 2qc")
    assert row(screen) == "abc"
    assert describe(screen.buffer[0][1]).fg == "red"


def test_oversized_string_is_dropped_without_growing() -> None:
    screen, stream, _ = make()
    stream.feed(b"\x1b]0;" + b"x" * (2 << 20))
    stream.feed(b"\x07after")
    assert row(screen) == "after"
    assert screen.title == ""


def test_c1_and_nul_bytes_are_not_drawn() -> None:
    screen, stream, _ = make()
    stream.feed("a\u009bb\x00c\x7fd".encode())
    assert row(screen) == "abcd"


# More examples for a longer local run: AMUX_HYPOTHESIS_EXAMPLES=5000 pytest ...
EXAMPLES = int(os.environ.get("AMUX_HYPOTHESIS_EXAMPLES", "300"))

_FRAGMENTS = st.sampled_from([
    b"\x1b", b"\x1b[", b"\x1b]", b"\x1bP", b"\x1b_", b"\x1b\\", b"\x07", b"[", b"?", b">",
    b"<", b"=", b";", b":", b"$", b" ", b"!", b"0", b"1", b"9", b"99999", b"m", b"h", b"l",
    b"H", b"J", b"K", b"r", b"n", b"c", b"q", b"p", b"u", b"t", b"S", b"T", b"L", b"M",
    b"@", b"P", b"X", b"b", b"\r", b"\n", b"\t", b"\x08", b"\x0e", b"\x0f", b"a", b"\xe4\xb8",
    b"\xad", b"\xf0\x9f\x91\xa8", b"\xe2\x80\x8d", b"\xef\xb8\x8f", b"\xcc\x81", b"\xff",
    b"1049", b"1000", b"2026", b"38;2;", b"48;5;", b"(0", b"#8", b"7", b"8", b"?6n", b"?u",
])


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.binary(max_size=12)), max_size=60), st.data())
def test_random_bytes_never_raise(pieces: list[bytes], data: st.DataObject) -> None:
    columns = data.draw(st.integers(2, 30))
    lines = data.draw(st.integers(1, 8))
    screen = TerminalScreen(columns, lines, scrollback=20)
    stream = TerminalStream(screen)
    screen.on_reply = lambda _text: None
    for piece in pieces:
        stream.feed(piece)
        if data.draw(st.booleans()):
            new_columns = data.draw(st.integers(1, 30))
            screen.resize(data.draw(st.integers(1, 8)), new_columns)
    assert len(screen.buffer) == screen.lines
    assert 0 <= screen.cursor.y < screen.lines
    assert 0 <= screen.cursor.x <= screen.columns
    for line in screen.buffer:
        assert all(0 <= x < screen.columns for x in line)
    assert len(screen.history) <= 20
    screen.take_dirty()
    assert isinstance(screen.display, list)


def test_whole_lines_fast_path_matches_byte_by_byte() -> None:
    lines = [
        "plain ascii", "", "caf\u00e9 \u2014 narrow unicode", "\u4e2d\u6587 wide", "x" * 45,
        "e\u0301 combining", "\x1b[31mred\x1b[0m after",
    ]
    data = ("\r\n".join(lines * 4) + "\r\n" + "\x1b[2;4r" + "\r\n".join(lines) + "\r\n\x1b[r").encode()
    whole, whole_stream, _ = make(columns=20, lines=5)
    whole_stream.feed(data)
    split, split_stream, _ = make(columns=20, lines=5)
    for index in range(len(data)):
        split_stream.feed(data[index:index + 1])
    assert split.display == whole.display
    assert split.history_text() == whole.history_text()
    assert (split.cursor.x, split.cursor.y) == (whole.cursor.x, whole.cursor.y)
