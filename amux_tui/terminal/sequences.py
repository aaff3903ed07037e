"""What the escape sequences :class:`~.stream.TerminalStream` matched do to the screen.

Mixed into the stream: ESC and CSI sequences are dispatched here once parsed
(only the ones amux knows; the rest are dropped), as are the bodies of OSC and
DCS strings. Answers to queries go back to the program through the screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import replies

if TYPE_CHECKING:
    from .colors import TerminalColors
    from .screen import TerminalScreen

log = logging.getLogger(__name__)


def _ints(params: str) -> list[int]:
    """CSI parameters as ints; empty or odd parameters read as 0, sub-parameters dropped."""
    if not params:
        return []
    return [min(int(p), 65535) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")]


class SequenceActions:
    """ESC, CSI, OSC and DCS actions for :class:`~.stream.TerminalStream`."""

    screen: TerminalScreen
    colors: TerminalColors
    on_agent_state: Callable[[str, str], None] | None
    _plain_csi: dict[str, Callable[..., None]]

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
