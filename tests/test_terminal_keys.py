"""Key, paste, focus and mouse encoding: the bytes an xterm sends."""

from __future__ import annotations

import pytest

from amux_tui.terminal.keys import encode_focus, encode_key, encode_paste
from amux_tui.terminal.mouse import MouseEvent, encode_mouse


@pytest.mark.parametrize(
    ("key", "normal", "application"),
    [
        ("up", "\x1b[A", "\x1bOA"),
        ("left", "\x1b[D", "\x1bOD"),
        ("home", "\x1b[H", "\x1bOH"),
        ("end", "\x1b[F", "\x1bOF"),
        ("ctrl+up", "\x1b[1;5A", "\x1b[1;5A"),
        ("shift+right", "\x1b[1;2C", "\x1b[1;2C"),
        ("ctrl+shift+left", "\x1b[1;6D", "\x1b[1;6D"),
        ("alt+down", "\x1b[1;3B", "\x1b[1;3B"),
    ],
)
def test_cursor_keys(key: str, normal: str, application: str) -> None:
    assert encode_key(key) == normal
    assert encode_key(key, application_cursor=True) == application


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("enter", "\r"), ("tab", "\t"), ("shift+tab", "\x1b[Z"), ("escape", "\x1b"),
        ("backspace", "\x7f"), ("ctrl+h", "\x08"), ("delete", "\x1b[3~"), ("insert", "\x1b[2~"),
        ("pageup", "\x1b[5~"), ("pagedown", "\x1b[6~"), ("ctrl+pagedown", "\x1b[6;5~"),
        ("f1", "\x1bOP"), ("f4", "\x1bOS"), ("shift+f1", "\x1b[1;2P"), ("f5", "\x1b[15~"),
        ("f12", "\x1b[24~"), ("ctrl+f5", "\x1b[15;5~"), ("ctrl+c", "\x03"), ("ctrl+a", "\x01"),
        ("ctrl+z", "\x1a"), ("ctrl+space", "\x00"), ("ctrl+@", "\x00"),
        ("ctrl+backslash", "\x1c"), ("ctrl+right_square_bracket", "\x1d"),
        ("ctrl+underscore", "\x1f"), ("alt+x", "\x1bx"), ("alt+enter", "\x1b\r"),
        ("alt+ctrl+c", "\x1b\x03"), ("a", "a"), ("A", "A"), ("shift+a", "A"), ("space", " "),
        ("exclamation_mark", "!"), ("slash", "/"), ("full_stop", "."), ("\u00e9", "\u00e9"),
    ],
)
def test_other_keys(key: str, encoded: str) -> None:
    assert encode_key(key) == encoded


def test_unknown_keys_have_no_encoding() -> None:
    assert encode_key("f30") is None
    assert encode_key("no_such_key_name") is None


def test_paste_plain_and_bracketed() -> None:
    assert encode_paste("a\nb\r\nc", bracketed=False) == "a\rb\rc"
    assert encode_paste("x\ny", bracketed=True) == "\x1b[200~x\ry\x1b[201~"
    # A paste cannot end itself early and run the rest as typed input.
    assert encode_paste("a\x1b[201~rm -rf\n", bracketed=True) == "\x1b[200~arm -rf\r\x1b[201~"


def test_focus_reports() -> None:
    assert encode_focus(True) == "\x1b[I"
    assert encode_focus(False) == "\x1b[O"


def press(x: int = 4, y: int = 2, button: int = 0, **mods: bool) -> MouseEvent:
    return MouseEvent("press", x, y, button, **mods)


def test_mouse_not_reported_without_tracking() -> None:
    assert encode_mouse(press(), tracking=0, sgr=True) is None


def test_mouse_sgr_press_release_wheel_motion() -> None:
    assert encode_mouse(press(), tracking=1000, sgr=True) == b"\x1b[<0;5;3M"
    assert encode_mouse(MouseEvent("release", 4, 2, 0), tracking=1000, sgr=True) == b"\x1b[<0;5;3m"
    assert encode_mouse(press(button=2, ctrl=True, shift=True), tracking=1000, sgr=True) == b"\x1b[<22;5;3M"
    assert encode_mouse(MouseEvent("scroll_up", 0, 0), tracking=1000, sgr=True) == b"\x1b[<64;1;1M"
    assert encode_mouse(MouseEvent("scroll_down", 9, 9), tracking=1000, sgr=True) == b"\x1b[<65;10;10M"
    drag = MouseEvent("move", 6, 2, 0)
    hover = MouseEvent("move", 6, 2, -1)
    assert encode_mouse(drag, tracking=1000, sgr=True) is None
    assert encode_mouse(drag, tracking=1002, sgr=True) == b"\x1b[<32;7;3M"
    assert encode_mouse(hover, tracking=1002, sgr=True) is None
    assert encode_mouse(hover, tracking=1003, sgr=True) == b"\x1b[<35;7;3M"


def test_mouse_legacy_and_urxvt() -> None:
    assert encode_mouse(press(), tracking=1000) == b"\x1b[M" + bytes((32, 37, 35))
    assert encode_mouse(MouseEvent("release", 4, 2, 2), tracking=1000) == b"\x1b[M" + bytes((35, 37, 35))
    assert encode_mouse(press(x=300), tracking=1000) is None  # beyond what X10 can say
    assert encode_mouse(press(x=300), tracking=1000, urxvt=True) == b"\x1b[32;301;3M"
    assert encode_mouse(MouseEvent("release", 1, 1, 0), tracking=9) is None
    assert encode_mouse(press(ctrl=True), tracking=9) == b"\x1b[M" + bytes((32, 37, 35))
