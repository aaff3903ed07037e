"""Parse a program's output and apply it to a :class:`TerminalScreen`.

pyte's own ``Stream`` walks escape sequences one character at a time through a
generator and trips over what current TUIs send (``CSI >4;?m`` and ``CSI ?6n``
raise, DCS/APC payloads are drawn as text, ``CSI <``/``CSI =`` leak). This
stream matches whole sequences with regular expressions instead:

* a run of printable text goes to ``screen.draw`` in one call, and with the
  SGR sequences between its coloured runs to ``screen.draw_styled``; whole
  lines of either to ``screen.draw_lines``. Fed without settling (the
  terminal's parsing slices), rows those lines write may stay lazy and a line
  cut by the chunk's end is held back until the next chunk or :meth:`settle`
  (see :mod:`.line_batches`);
* a CSI is split into private marker, parameters, intermediates and final byte
  and dispatched (:mod:`.sequences`) only when it is a sequence amux knows,
  anything else is dropped;
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

from .colors import TerminalColors
from .screen import TerminalScreen
from .sequences import SequenceActions

log = logging.getLogger(__name__)

# Printable text and SGR sequences (colours between runs): drawn as one batch.
# Possessive quantifiers: a line without its CR LF must fail at once, not backtrack.
_TEXT = re.compile(r"(?:[^\x00-\x1f\x7f-\x9f]++|\x1b\[[0-9;:]*+m)++")
# Complete lines of the same, each ended by CR LF (what a PTY makes of "\n").
_LINES = re.compile(r"(?:(?:[^\x00-\x1f\x7f-\x9f]++|\x1b\[[0-9;:]*+m)*+\r\n)+")
# What may follow a run of text at the end of a chunk and still turn out to
# continue it: a CR (of CR LF) or the start of an SGR.
_TEXT_TAIL = re.compile(r"(?:\r|\x1b(?:\[[0-9;:]*)?)?\Z")
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


class TerminalStream(SequenceActions):
    """Feeds bytes (UTF-8) or text into a screen, answering queries through it."""

    def __init__(self, screen: TerminalScreen, colors: TerminalColors | None = None) -> None:
        self.screen = screen
        self.colors = colors or TerminalColors()
        #: Called with (key, value) for OSC 7501 items such as ("state", "idle").
        self.on_agent_state: Callable[[str, str], None] | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._partial = ""
        # Text at the end of a chunk fed without settling, kept to be drawn with
        # the rest of its line (drawing it alone would settle the lazy rows).
        self._held = ""
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

    def feed(self, data: bytes, *, settle: bool = True) -> None:
        """Parse a chunk of program output (any split of a UTF-8 stream).

        With ``settle`` False, rows that whole lines wrote may be left lazy
        (see :mod:`.line_batches`) until :meth:`settle` or the next feed that
        settles: for a caller feeding several chunks before anyone looks.
        """
        self.feed_text(self._decoder.decode(data), settle=settle)

    def feed_text(self, text: str, *, settle: bool = True) -> None:
        self._parse(text, settle)
        if settle:
            self.screen.settle_rows()

    def settle(self) -> None:
        """Finish what a feed without ``settle`` left: held text, lazy rows."""
        if self._held:
            held, self._held = self._held, ""
            self._parse(held, True)
        self.screen.settle_rows()

    def _parse(self, text: str, settle: bool) -> None:
        if self._held:
            text = self._held + text
            self._held = ""
        if self._partial:
            text = self._partial + text
            self._partial = ""
        pos = 0
        end = len(text)
        screen = self.screen
        if self._string_kind is not None:
            screen.settle_rows()
            pos = self._continue_string(text, 0)
            if pos < 0:
                return
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
                        screen.draw_lines(text[pos:stop - 2].split("\r\n"), defer=not settle)
                        pos = stop
                        continue
                    if not settle and end - pos <= _MAX_PARTIAL and _TEXT_TAIL.match(text, stop):
                        self._held = text[pos:]  # the start of a line cut by the chunk's end
                        return
                    # Anything but whole lines may look at any row: no lazy rows from here.
                    if screen.lazy_rows:
                        screen.settle_rows()
                    if text.find("\x1b", pos, stop) < 0:
                        draw(text[pos:stop])
                    else:
                        draw_styled(text[pos:stop])
                except Exception:  # noqa: BLE001 - a bad draw must not stop the stream
                    log.debug("draw failed", exc_info=True)
                pos = stop
                continue
            if screen.lazy_rows:
                screen.settle_rows()
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
