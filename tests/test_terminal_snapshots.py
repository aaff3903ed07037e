"""Snapshot tests of TerminalView fed fixed byte streams (no program, so deterministic).

Update the pictures after an intended change with
``pytest tests/test_terminal_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from amux_tui.terminal import Terminal, TerminalColors
from amux_tui.ui.terminal_view import TerminalView

SIZE = (60, 16)
COLORS = TerminalColors(foreground="#d0d0d0", background="#1e1e1e", cursor="#d0d0d0")


class ReplayApp(App):
    """One TerminalView, fed ``data`` once mounted."""

    CSS = "TerminalView { border: none; }"

    def __init__(self, *chunks: bytes) -> None:
        super().__init__()
        self.chunks = chunks

    def compose(self) -> ComposeResult:
        yield TerminalView(terminal=Terminal(columns=SIZE[0], lines=SIZE[1]), colors=COLORS, autostart=False)

    def on_mount(self) -> None:
        view = self.query_one(TerminalView)
        view.focus()
        for chunk in self.chunks:
            view.feed(chunk)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause(0.1)


def colour_stream() -> bytes:
    parts = ["\x1b[H"]
    for n in range(8):
        parts.append(f"\x1b[{30 + n}m fg{n} \x1b[{90 + n}mbr{n}\x1b[0m")
    parts.append("\r\n")
    for n in range(8):
        parts.append(f"\x1b[{40 + n}m bg{n} \x1b[{100 + n}m{n}\x1b[0m")
    parts.append("\r\n")
    for n in range(16, 256, 4):
        parts.append(f"\x1b[48;5;{n}m ")
    parts.append("\x1b[0m\r\n")
    for n in range(0, 60):
        red, green = 255 - n * 4, n * 4
        parts.append(f"\x1b[48;2;{red};{green};128m\x1b[38;2;{green};{red};0m*")
    parts.append("\x1b[0m\r\n")
    parts.append("\x1b[1mbold\x1b[0m \x1b[2mdim\x1b[0m \x1b[3mitalic\x1b[0m \x1b[4munderline\x1b[0m ")
    parts.append("\x1b[7mreverse\x1b[0m \x1b[9mstrike\x1b[0m \x1b[1;4;38;5;208mmixed\x1b[0m\r\n")
    parts.append("\x1b]8;;https://example.com\x1b\\a link\x1b]8;;\x1b\\ after\r\n")
    return "".join(parts).encode()


def test_colours_and_attributes(snap_compare) -> None:
    assert snap_compare(ReplayApp(colour_stream()), terminal_size=SIZE, run_before=settle)


def test_wide_characters_and_emoji(snap_compare) -> None:
    text = (
        "CJK: \u4e2d\u6587\u5b57\u7b26 | kana \u30ab\u30bf\u30ab\u30ca\r\n"
        "emoji: \U0001f600 \u2764\ufe0f \U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f1eb\U0001f1f7 end\r\n"
        "accents: e\u0301 a\u0308 n\u0303 | box: \u256d\u2500\u2500\u256e\r\n"
        "\x1b[42m\u4e2d\x1b[0m\x1b[44m\u6587\x1b[0m|\x1b[5;1Hoverwrite: \u4e2d\u6587\x1b[5;12Hx\r\n"
    )
    assert snap_compare(ReplayApp(text.encode()), terminal_size=SIZE, run_before=settle)


def test_alternate_screen(snap_compare) -> None:
    main = b"main screen line 1\r\nmain screen line 2\r\n$ "
    alt = (
        b"\x1b[?1049h\x1b[H\x1b[2J\x1b[44m\x1b[2K full-screen app \x1b[0m"
        b"\x1b[3;5H\x1b[1m\xe2\x94\x8c\xe2\x94\x80\xe2\x94\x80\xe2\x94\x90\x1b[0m"
        b"\x1b[4;5H\xe2\x94\x82OK\xe2\x94\x82\x1b[5;5H\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80\xe2\x94\x98"
        b"\x1b[16;1H\x1b[7m q quit \x1b[0m\x1b[4;7H"
    )
    assert snap_compare(ReplayApp(main, alt), terminal_size=SIZE, run_before=settle)


def test_main_screen_restored_after_alternate(snap_compare) -> None:
    main = b"main screen line 1\r\nmain screen line 2\r\n$ "
    alt = b"\x1b[?1049h\x1b[H\x1b[2Jfull-screen app\x1b[10;10Hgone"
    back = b"\x1b[?1049lls\r\n"
    assert snap_compare(ReplayApp(main, alt, back), terminal_size=SIZE, run_before=settle)


def test_cursor_block_and_underline(snap_compare) -> None:
    data = b"$ type here\r\n> \x1b[1mabc\x1b[0m\x1b[3;1Hsecond prompt \x1b[4 q\x1b[2;4H"
    assert snap_compare(ReplayApp(data), terminal_size=SIZE, run_before=settle)


def test_exit_status_is_shown(snap_compare) -> None:
    class ExitApp(ReplayApp):
        def on_mount(self) -> None:  # runs after ReplayApp.on_mount (Textual calls both)
            view = self.query_one(TerminalView)
            view._on_exit(3)  # what a real exit triggers (see test_terminal_view.py)

    assert snap_compare(ExitApp(b"last output of the program"), terminal_size=SIZE, run_before=settle)
