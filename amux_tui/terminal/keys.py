"""Encode keys, pastes and focus changes as the bytes an xterm would send.

Keys are plain data, named the way Textual names them (``"up"``, ``"ctrl+c"``,
``"shift+tab"``, ``"f5"``, ``"alt+x"``, ``"a"``, ``"space"``,
``"exclamation_mark"``), so this module needs no UI library. Cursor keys follow
the program's application-cursor mode (DECCKM); modifiers use xterm's
``CSI 1;<mod>X`` form.
"""

from __future__ import annotations

import unicodedata

_CSI = "\x1b["
_SS3 = "\x1bO"

# Keys with a final letter: normal mode CSI X, application mode SS3 X.
_CURSOR_KEYS = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
# F1-F4 are SS3 P..S without modifiers.
_PF_KEYS = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
# Keys sent as CSI <n> ~.
_TILDE_KEYS = {
    "insert": 2, "delete": 3, "pageup": 5, "pagedown": 6,
    "f5": 15, "f6": 17, "f7": 18, "f8": 19, "f9": 20, "f10": 21, "f11": 23, "f12": 24,
    "f13": 25, "f14": 26, "f15": 28, "f16": 29, "f17": 31, "f18": 32, "f19": 33, "f20": 34,
}
_SIMPLE_KEYS = {
    "enter": "\r", "return": "\r", "tab": "\t", "escape": "\x1b", "backspace": "\x7f",
    "space": " ", "newline": "\n",
}
# Control combinations that are not ctrl+letter.
_CONTROL_SYMBOLS = {
    "@": "\x00", "at": "\x00", "space": "\x00", "2": "\x00",
    "left_square_bracket": "\x1b", "[": "\x1b", "3": "\x1b",
    "backslash": "\x1c", "\\": "\x1c", "4": "\x1c",
    "right_square_bracket": "\x1d", "]": "\x1d", "5": "\x1d",
    "circumflex_accent": "\x1e", "^": "\x1e", "6": "\x1e",
    "underscore": "\x1f", "_": "\x1f", "minus": "\x1f", "7": "\x1f", "slash": "\x1f",
    "8": "\x7f", "backspace": "\x08", "question_mark": "\x7f",
}
# Textual's friendly names for some punctuation, back to Unicode names.
_NAME_FIXES = {
    "slash": "solidus", "backslash": "reverse solidus", "at": "commercial at",
    "minus": "hyphen-minus", "plus": "plus sign", "underscore": "low line",
    "less_than_sign": "less-than sign", "greater_than_sign": "greater-than sign",
    "hyphen_minus": "hyphen-minus",
}
_MODIFIER_BITS = {"shift": 1, "alt": 2, "meta": 2, "ctrl": 4, "super": 8}


def key_character(name: str) -> str | None:
    """The character a key name stands for (``"a"``, ``"slash"``, ``"space"``), if any."""
    if len(name) == 1:
        return name
    if name == "space":
        return " "
    unicode_name = _NAME_FIXES.get(name, name).replace("_", " ")
    try:
        return unicodedata.lookup(unicode_name)
    except KeyError:
        return None


def _split(key: str) -> tuple[set[str], str]:
    """``"ctrl+shift+up"`` -> ({"ctrl", "shift"}, "up")."""
    *prefix, base = key.split("+")
    return {part for part in prefix if part in _MODIFIER_BITS}, base or "plus"


def _modifier_code(modifiers: set[str]) -> int:
    """xterm's modifier parameter: 1 + shift(1) + alt/meta(2) + ctrl(4) + super(8)."""
    bits = 0
    for name in modifiers:
        bits |= _MODIFIER_BITS[name]
    return 1 + bits


def encode_key(key: str, *, application_cursor: bool = False) -> str | None:
    """The text an xterm sends for ``key``, or None for a key it has no encoding for."""
    modifiers, base = _split(key.lower() if len(key) > 1 else key)
    code = _modifier_code(modifiers)
    if base in _CURSOR_KEYS:
        final = _CURSOR_KEYS[base]
        if code > 1:
            return f"{_CSI}1;{code}{final}"
        return (_SS3 if application_cursor else _CSI) + final
    if base in _PF_KEYS:
        final = _PF_KEYS[base]
        return f"{_CSI}1;{code}{final}" if code > 1 else _SS3 + final
    if base in _TILDE_KEYS:
        number = _TILDE_KEYS[base]
        return f"{_CSI}{number};{code}~" if code > 1 else f"{_CSI}{number}~"
    if base == "tab" and "shift" in modifiers:
        return f"{_CSI}Z" if code == 2 else f"{_CSI}1;{code}Z"
    alt = "alt" in modifiers or "meta" in modifiers
    prefix = "\x1b" if alt else ""
    if "ctrl" in modifiers:
        text = _control(base)
        return None if text is None else prefix + text
    if base in _SIMPLE_KEYS:
        return prefix + _SIMPLE_KEYS[base]
    char = key_character(base)
    if char is None:
        return None
    if "shift" in modifiers and len(base) == 1:
        char = char.upper()
    return prefix + char


def _control(base: str) -> str | None:
    if len(base) == 1 and base.isascii() and base.isalpha():
        return chr(ord(base.lower()) & 0x1F)
    if base in _CONTROL_SYMBOLS:
        return _CONTROL_SYMBOLS[base]
    if base in _SIMPLE_KEYS:
        return _SIMPLE_KEYS[base]
    char = key_character(base)
    return char if char is not None and char.isdigit() else None


BRACKETED_PASTE_START = "\x1b[200~"
BRACKETED_PASTE_END = "\x1b[201~"


def encode_paste(text: str, *, bracketed: bool) -> str:
    """Pasted text: line ends as Enter (CR), wrapped in ESC[200~ ... ESC[201~ when asked.

    An end marker inside the text is removed so a paste cannot end itself early
    and have the rest run as typed commands.
    """
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    if not bracketed:
        return text
    text = text.replace(BRACKETED_PASTE_END, "").replace(BRACKETED_PASTE_START, "")
    return f"{BRACKETED_PASTE_START}{text}{BRACKETED_PASTE_END}"


def encode_focus(focused: bool) -> str:
    """Focus report (mode 1004): CSI I when focus arrives, CSI O when it leaves."""
    return f"{_CSI}I" if focused else f"{_CSI}O"
