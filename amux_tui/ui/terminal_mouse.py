"""Mouse input for :class:`~.terminal_view.TerminalView`.

Clicks, drags and the wheel go to the program when it asked for mouse
tracking (in the encoding it asked for); otherwise the wheel scrolls the
history, or in the alternate screen sends cursor keys (mode 1007).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events

from amux_tui.terminal import MouseEvent

if TYPE_CHECKING:
    from .terminal_view import TerminalView

    _Base = TerminalView
else:
    _Base = object

WHEEL_LINES = 3


class MouseForwarding(_Base):
    """Mouse handlers mixed into TerminalView."""

    def _mouse(self, kind: str, event: events.MouseEvent, button: int) -> bool:
        offset = event.get_content_offset_capture(self)
        return self.terminal.send_mouse(MouseEvent(
            kind, offset.x, offset.y, button,  # type: ignore[arg-type]
            shift=event.shift, alt=event.meta, ctrl=event.ctrl,
        ))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if self.terminal.wants_mouse and self._scroll_back == 0:
            self._mouse_button = max(0, event.button - 1)
            if self._mouse("press", event, self._mouse_button):
                self.capture_mouse()
                event.stop()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._mouse_button >= 0:
            self._mouse("release", event, self._mouse_button)
            self._mouse_button = -1
            self.release_mouse()
            event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.terminal.wants_mouse and self._scroll_back == 0:
            self._mouse("move", event, self._mouse_button)

    def _wheel(self, event: events.MouseEvent, up: bool) -> None:
        event.stop()
        screen = self.terminal.screen
        if self.terminal.wants_mouse and self._scroll_back == 0:
            self._mouse("scroll_up" if up else "scroll_down", event, -1)
        elif screen.in_alternate_screen:
            if not screen.modes.alternate_scroll:
                return
            # Alternate scroll mode (1007): the wheel becomes cursor keys.
            for _ in range(WHEEL_LINES):
                self.terminal.send_key("up" if up else "down")
        else:
            self._scroll_history(WHEEL_LINES if up else -WHEEL_LINES)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._wheel(event, up=True)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._wheel(event, up=False)
