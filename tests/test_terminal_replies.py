"""Answers to start-up queries: honest, in order, and only for what amux supports."""

from __future__ import annotations

import pytest

from amux_tui import __version__
from amux_tui.terminal.colors import TerminalColors
from amux_tui.terminal.screen import TerminalScreen
from amux_tui.terminal.stream import TerminalStream


def ask(data: bytes, **colors: str) -> list[str]:
    screen = TerminalScreen(40, 10)
    stream = TerminalStream(screen, TerminalColors(**colors) if colors else None)
    replies: list[str] = []
    screen.on_reply = replies.append
    stream.feed(data)
    return replies


def test_primary_and_secondary_device_attributes() -> None:
    assert ask(b"\x1b[c\x1b[0c") == ["\x1b[?62;22c", "\x1b[?62;22c"]
    (da2,) = ask(b"\x1b[>c")
    assert da2.startswith("\x1b[>1;") and da2.endswith(";0c")


def test_cursor_position_after_everything_before_it() -> None:
    assert ask(b"line one\r\n\x1b[31mab\x1b[6n") == ["\x1b[2;3R"]
    assert ask(b"\x1b[5;7H\x1b[6n\x1b[5n") == ["\x1b[5;7R", "\x1b[0n"]


def test_xtversion_names_amux() -> None:
    assert ask(b"\x1b[>0q") == [f"\x1bP>|amux({__version__})\x1b\\"]
    assert ask(b"\x1b[>q") == [f"\x1bP>|amux({__version__})\x1b\\"]


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        (b"\x1b[?2026$p", "\x1b[?2026;2$y"),
        (b"\x1b[?2026h\x1b[?2026$p", "\x1b[?2026;1$y"),
        (b"\x1b[?2004h\x1b[?2004$p", "\x1b[?2004;1$y"),
        (b"\x1b[?1049h\x1b[?1049$p", "\x1b[?1049;1$y"),
        (b"\x1b[?25$p", "\x1b[?25;1$y"),
        (b"\x1b[?1007$p", "\x1b[?1007;1$y"),
        (b"\x1b[?1007l\x1b[?1007$p", "\x1b[?1007;2$y"),
        (b"\x1b[?2027$p", "\x1b[?2027;0$y"),
        (b"\x1b[?9999$p", "\x1b[?9999;0$y"),
        (b"\x1b[4$p", "\x1b[4;2$y"),
        (b"\x1b[4h\x1b[4$p", "\x1b[4;1$y"),
    ],
)
def test_mode_reports(query: bytes, answer: str) -> None:
    assert ask(query) == [answer]


def test_colour_queries_use_the_configured_theme() -> None:
    replies = ask(
        b"\x1b]10;?\x1b\\\x1b]11;?\x07\x1b]4;1;?\x07",
        foreground="#e0e0e0", background="#101820",
        palette=("#000000", "#aa0000") + ("#ffffff",) * 14,
    )
    assert replies == [
        "\x1b]10;rgb:e0e0/e0e0/e0e0\x1b\\",
        "\x1b]11;rgb:1010/1818/2020\x07",
        "\x1b]4;1;rgb:aaaa/0000/0000\x07",
    ]


def test_chained_dynamic_colour_query() -> None:
    replies = ask(b"\x1b]10;?;?\x07", foreground="#010203", background="#040506")
    assert replies == ["\x1b]10;rgb:0101/0202/0303\x07\x1b]11;rgb:0404/0505/0606\x07"]


def test_unsupported_queries_stay_unanswered() -> None:
    # kitty keyboard flags, kitty graphics, text sizing, pixel sizes
    assert ask(b"\x1b[?u\x1b_Gi=1,a=q;\x1b\\\x1b]66;w=1;x\x07\x1b[14t\x1b[16t") == []


def test_text_area_size_report() -> None:
    assert ask(b"\x1b[18t") == ["\x1b[8;10;40t"]


def test_termcap_query_is_answered_as_unknown() -> None:
    assert ask(b"\x1bP+q544e\x1b\\") == ["\x1bP0+r544e\x1b\\"]


def test_theme_rejects_bad_colours() -> None:
    with pytest.raises(ValueError):
        TerminalColors(foreground="not a colour")
    with pytest.raises(ValueError):
        TerminalColors(palette=("#000000",))
