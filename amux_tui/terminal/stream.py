"""Parse a program's output and apply it to a :class:`TerminalScreen`.

pyte's own ``Stream`` walks escape sequences one character at a time through a
generator and trips over what current TUIs send (``CSI >4;?m`` and ``CSI ?6n``
raise, DCS/APC payloads are drawn as text, ``CSI <``/``CSI =`` leak). This
stream matches whole sequences with regular expressions instead:

* a run of printable text goes to ``screen.draw`` in one call, and with the
  SGR sequences between its coloured runs to ``screen.draw_styled``; whole
  lines of either to ``screen.draw_lines``;
* a CSI is split into private marker, parameters, intermediates and final byte
  and dispatched only when it is a sequence amux knows, anything else is dropped;
* OSC/DCS/APC/PM/SOS strings are collected up to their terminator (bounded in
  size), then interpreted or dropped, never drawn;
* a sequence cut by the end of a chunk is kept and completed by the next one.

Nothing a program writes can raise out of :meth:`TerminalStream.feed`.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable

from . import replies
from .colors import TerminalColors
from .screen import TerminalScreen

log = logging.getLogger(__name__)

# Printable text and SGR sequences (colours between runs): drawn as one batch.
# Possessive quantifiers: a line without its CR LF must fail at once, not backtrack.
_TEXT = re.compile(r"(?:[^\x00-\x1f\x7f-\x9f]++|\x1b\[[0-9;:]*+m)++")
# Complete lines of the same, each ended by CR LF (what a PTY makes of "\n").
_LINES = re.compile(r"(?:(?:[^\x00-\x1f\x7f-\x9f]++|\x1b\[[0-9;:]*+m)*+\r\n)+")
_CSI = re.compile(r"\x1b\[([<=>?]?)([0-9:;<=>?]*)([ -/]*)([@-~])")
_CSI_PARTIAL = re.compile(r"\x1b\[[0-?]*[ -/]*\Z")
# A CSI broken by a stray byte: ignore up to its final byte, stop before controls.
_CSI_BAD_TAIL = re.compile(r"[^\x00-\x1f@-~]*[@-~]?")
_ESC = re.compile(r"\x1b([ -/]*)([0-~])")
_ESC_PARTIAL = re.compile(r"\x1b[ -/]*\Z")
_STRING_END = re.compile(r"\x07|\x1b|\x9c")
_STRING_STARTS = {"]": "osc", "P": "dcs", "_": "apc", "^": "pm", "X": "sos"}
_MAX_STRING = 1 << 20  # bigger OSC/DCS payloads (images) are dropped, not kept
_MAX_PARTIAL = 4096


def _ints(params: str) -> list[int]:
    """CSI parameters as ints; empty or odd parameters read as 0, sub-parameters dropped."""
    if not params:
        return []
    return [min(int(p), 65535) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")]


class TerminalStream:
    """Feeds bytes (UTF-8) or text into a screen, answering queries through it."""

    def __init__(self, screen: TerminalScreen, colors: TerminalColors | None = None) -> None:
        self.screen = screen
        self.colors = colors or TerminalColors()
        #: Called with (key, value) for OSC 7501 items such as ("state", "idle").
        self.on_agent_state: Callable[[str, str], None] | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._partial = ""
        self._string_kind: str | None = None
        self._string_parts: list[str] = []
        self._string_size = 0
        s = screen
        self._plain_csi: dict[str, Callable[..., None]] = {
            "@": s.insert_characters, "A": s.cursor_up, "B": s.cursor_down,
            "C": s.cursor_forward, "D": s.cursor_back, "E": s.cursor_down1,
            "F": s.cursor_up1, "G": s.cursor_to_column, "`": s.cursor_to_column,
            "H": s.cursor_position, "f": s.cursor_position, "I": s.cursor_forward_tab,
            "J": s.erase_in_display, "K": s.erase_in_line, "L": s.insert_lines,
            "M": s.delete_lines, "P": s.delete_characters, "X": s.erase_characters,
            "Z": s.cursor_back_tab, "a": s.cursor_forward, "b": s.repeat_last,
            "d": s.cursor_to_line, "e": s.cursor_down, "g": s.clear_tab_stop,
            "h": s.set_mode, "l": s.reset_mode, "r": s.set_margins,
        }
        self._controls: dict[str, Callable[[], None]] = {
            "\x07": s.bell, "\x08": s.backspace, "\x09": s.tab,
            "\x0a": s.linefeed, "\x0b": s.linefeed, "\x0c": s.linefeed,
            "\x0d": s.carriage_return, "\x0e": s.shift_out, "\x0f": s.shift_in,
        }

    # -- input -------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Parse a chunk of program output (any split of a UTF-8 stream)."""
        self.feed_text(self._decoder.decode(data))

    def feed_text(self, text: str) -> None:
        if self._partial:
            text = self._partial + text
            self._partial = ""
        pos = 0
        end = len(text)
        if self._string_kind is not None:
            pos = self._continue_string(text, 0)
            if pos < 0:
                return
        screen = self.screen
        draw = screen.draw
        draw_styled = screen.draw_styled
        controls = self._controls
        match_text = _TEXT.match
        match_lines = _LINES.match
        match_csi = _CSI.match
        while pos < end:
            match = match_text(text, pos)
            if match is not None:
                stop = match.end()
                try:
                    if text.startswith("\r\n", stop):
                        # A run of whole lines: hand them over in one call.
                        stop = match_lines(text, pos).end()
                        screen.draw_lines(text[pos:stop - 2].split("\r\n"))
                    elif text.find("\x1b", pos, stop) < 0:
                        draw(text[pos:stop])
                    else:
                        draw_styled(text[pos:stop])
                except Exception:  # noqa: BLE001 - a bad draw must not stop the stream
                    log.debug("draw failed", exc_info=True)
                pos = stop
                continue
            char = text[pos]
            if char == "\x1b":
                match = match_csi(text, pos)
                if match is not None:
                    pos = match.end()
                    self._csi(*match.groups())
                    continue
                pos = self._escape(text, pos)
                if pos < 0:
                    return
                continue
            handler = controls.get(char)
            if handler is not None:
                if char == "\r" and text.startswith("\r\n", pos):
                    screen.carriage_return()
                    screen.linefeed()
                    pos += 2
                    continue
                try:
                    handler()
                except Exception:  # noqa: BLE001
                    log.debug("control %r failed", char, exc_info=True)
            pos += 1

    # -- escape sequences ------------------------------------------------------------

    def _keep_partial(self, text: str, pos: int) -> int:
        """Keep an incomplete sequence for the next chunk (dropped if absurdly long)."""
        if len(text) - pos <= _MAX_PARTIAL:
            self._partial = text[pos:]
        return -1

    def _escape(self, text: str, pos: int) -> int:
        """Handle an ESC that is not a complete CSI; returns the next position or -1."""
        if pos + 1 >= len(text):
            return self._keep_partial(text, pos)
        second = text[pos + 1]
        if second == "[":
            if _CSI_PARTIAL.match(text, pos):
                return self._keep_partial(text, pos)
            # A malformed CSI: skip up to and including its final byte.
            skip = _CSI_BAD_TAIL.match(text, pos + 2)
            return skip.end() if skip else pos + 2
        kind = _STRING_STARTS.get(second)
        if kind is not None:
            self._string_kind = kind
            self._string_parts = []
            self._string_size = 0
            return self._continue_string(text, pos + 2)
        match = _ESC.match(text, pos)
        if match is None:
            if _ESC_PARTIAL.match(text, pos):
                return self._keep_partial(text, pos)
            return pos + 1  # ESC followed by a control: drop the ESC
        self._esc(*match.groups())
        return match.end()

    def _continue_string(self, text: str, pos: int) -> int:
        """Collect an OSC/DCS/APC/PM/SOS body; returns where parsing resumes or -1."""
        end = len(text)
        match = _STRING_END.search(text, pos)
        if match is None:
            self._collect(text[pos:])
            return end
        stop = match.start()
        self._collect(text[pos:stop])
        if match.group() == "\x1b":
            if stop + 1 >= end:
                self._partial = "\x1b"
                return -1
            if text[stop + 1] == "\\":
                self._finish_string("\x1b\\")
                return stop + 2
            # Any other ESC aborts the string; the ESC starts something new.
            self._abort_string()
            return stop
        self._finish_string(match.group())
        return stop + 1

    def _collect(self, piece: str) -> None:
        if not piece:
            return
        self._string_size += len(piece)
        if self._string_size <= _MAX_STRING:
            self._string_parts.append(piece)

    def _abort_string(self) -> None:
        self._string_kind = None
        self._string_parts = []

    def _finish_string(self, terminator: str) -> None:
        kind = self._string_kind
        body = "".join(self._string_parts)
        oversized = self._string_size > _MAX_STRING
        self._abort_string()
        if oversized:
            return
        try:
            if kind == "osc":
                self._osc(body, "\x07" if terminator == "\x07" else "\x1b\\")
            elif kind == "dcs":
                self._dcs(body)
        except Exception:  # noqa: BLE001
            log.debug("string %s failed", kind, exc_info=True)

    def _esc(self, intermediates: str, final: str) -> None:
        screen = self.screen
        try:
            if not intermediates:
                if final == "7":
                    screen.save_cursor()
                elif final == "8":
                    screen.restore_cursor()
                elif final == "D":
                    screen.index()
                elif final == "E":
                    screen.carriage_return()
                    screen.index()
                elif final == "M":
                    screen.reverse_index()
                elif final == "H":
                    screen.set_tab_stop()
                elif final == "c":
                    screen.reset()
                elif final in "=>":
                    screen.modes.application_keypad = final == "="
            elif intermediates in ("(", ")"):
                screen.define_charset(final, intermediates)
            elif intermediates == "#" and final == "8":
                screen.alignment_display()
        except Exception:  # noqa: BLE001
            log.debug("ESC %s%s failed", intermediates, final, exc_info=True)

    def _csi(self, private: str, params: str, intermediates: str, final: str) -> None:
        screen = self.screen
        try:
            if not private and not intermediates:
                if final == "m":
                    screen.select_graphic_rendition_text(params)
                    return
                handler = self._plain_csi.get(final)
                if handler is not None:
                    handler(*_ints(params))
                else:
                    self._other_plain_csi(params, final)
            elif private == "?" and not intermediates:
                if final == "h":
                    screen.set_mode(*_ints(params), private=True)
                elif final == "l":
                    screen.reset_mode(*_ints(params), private=True)
                elif final in "JK":
                    self._plain_csi[final](*_ints(params))
                elif final == "n":
                    self._report_status(_ints(params), private=True)
            elif intermediates == "$" and final == "p":
                numbers = _ints(params)
                if numbers:
                    screen.write_process_input(
                        replies.mode_report(screen.modes, numbers[0], private=private == "?"))
            elif private == ">" and not intermediates:
                if final == "c":
                    screen.write_process_input(replies.secondary_device_attributes())
                elif final == "q":
                    screen.write_process_input(replies.xtversion())
            elif intermediates == " " and final == "q" and not private:
                numbers = _ints(params)
                screen.cursor_shape = numbers[0] if numbers else 0
            elif intermediates == "!" and final == "p" and not private:
                self._soft_reset()
            # Everything else (kitty keyboard CSI ?u / >u / <u / =u, XTMODKEYS
            # CSI >4;1m, DECSCA, ...) is recognised as a sequence and dropped.
        except Exception:  # noqa: BLE001
            log.debug("CSI %s%s%s%s failed", private, params, intermediates, final, exc_info=True)

    def _other_plain_csi(self, params: str, final: str) -> None:
        screen = self.screen
        numbers = _ints(params)
        if final == "c":
            if not numbers or numbers[0] == 0:
                screen.write_process_input(replies.PRIMARY_DEVICE_ATTRIBUTES)
        elif final == "n":
            self._report_status(numbers, private=False)
        elif final == "S":
            screen.scroll_up(numbers[0] if numbers else 1)
        elif final == "T" and len(numbers) <= 1:
            screen.scroll_down(numbers[0] if numbers else 1)
        elif final == "s" and not numbers:
            screen.save_cursor()
        elif final == "u" and not numbers:
            screen.restore_cursor()
        elif final == "t":
            answer = replies.window_report(numbers, lines=screen.lines, columns=screen.columns)
            if answer:
                screen.write_process_input(answer)

    def _report_status(self, numbers: list[int], *, private: bool) -> None:
        if not numbers:
            return
        screen = self.screen
        row, column = screen.cursor.y + 1, min(screen.cursor.x, screen.columns - 1) + 1
        if screen.margins is not None and 6 in screen.modes.enabled:
            row -= screen.margins.top
        answer = replies.device_status(numbers[0], private=private, row=row, column=column)
        if answer:
            screen.write_process_input(answer)

    def _soft_reset(self) -> None:
        """DECSTR: modes and rendition back to defaults, screen content kept."""
        screen = self.screen
        screen.select_graphic_rendition_text("0")
        screen.margins = None  # not set_margins(): DECSTR leaves the cursor where it is
        screen.reset_mode(4)
        screen.reset_mode(6, 1, 2004, 1004, 2026, 9, 1000, 1002, 1003, 1006, 1015, private=True)
        screen.set_mode(7, 25, private=True)
        screen.modes.application_keypad = False

    # -- strings ---------------------------------------------------------------

    def _osc(self, body: str, terminator: str) -> None:
        screen = self.screen
        code, _, rest = body.partition(";")
        if code in ("0", "2"):
            screen.set_title(rest)
            if code == "0":
                screen.set_icon_name(rest)
        elif code == "1":
            screen.set_icon_name(rest)
        elif code == "8":
            _params, _, url = rest.partition(";")
            screen.set_link(url)
        elif code in ("4", "10", "11", "12") and "?" in rest:
            answer = replies.colour_query(body.split(";"), self.colors, terminator)
            if answer:
                screen.write_process_input(answer)
        elif code == "7":
            screen.working_directory = rest
        elif code == "7501" and self.on_agent_state is not None:
            # Codex: "7501;state=working:app=codex" (items split by ":" or ";").
            for item in rest.replace(";", ":").split(":"):
                key, sep, value = item.partition("=")
                if sep:
                    self.on_agent_state(key.strip(), value.strip())
        # OSC 52 (clipboard), 66 (text sizing), 133 and the rest are dropped.

    def _dcs(self, body: str) -> None:
        if body.startswith("+q"):
            self.screen.write_process_input(replies.termcap_query(body[2:]))
        elif body.startswith("$q"):
            self.screen.write_process_input(replies.setting_query())
