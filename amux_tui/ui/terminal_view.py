"""``TerminalView``: a program in a PTY, shown and driven inside a Textual app.

The view renders the :class:`~amux_tui.terminal.Terminal`'s screen line by line
(cached strips, see :mod:`.terminal_strips`), repaints at most ~60 times a
second however fast output arrives, follows its size (the PTY follows), and
while focused forwards keys, pastes, mouse and focus changes to the program.
One key chord (default ``ctrl+backslash``, shown in the footer) leaves the
terminal so the app's own keys work again. With the program in the main
screen, the wheel and shift+PageUp/PageDown scroll back through its history.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual import events
from textual.binding import Binding, BindingsMap
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from amux_tui.terminal import PtySession, Terminal, TerminalColors
from amux_tui.terminal.screen import line_serial

from .terminal_mouse import MouseForwarding
from .terminal_strips import CURSOR_BLOCK, CURSOR_UNDERLINE, StripRenderer

DEFAULT_LEAVE_KEY = "ctrl+backslash"
FRAME_INTERVAL = 1 / 60
#: While output floods (scrolls or redraws most of the screen faster than we
#: repaint), repaint less often: nobody reads that at 60 fps, and four flooding
#: views must leave the loop time for parsing and keys.
FLOOD_FRAME_INTERVAL = 1 / 12
_MODIFIERS = ("ctrl", "alt", "meta", "super")


class _FloodPacer:
    """Spreads the repaints of flooding views over successive screen updates.

    A full repaint of a flooding view costs Textual a few milliseconds; four of
    them in one screen update would hold the loop four times as long. Each
    flooding view takes the next free slot, one per 1/60 s.
    """

    next_slot = 0.0

    @classmethod
    def slot(cls, wanted: float) -> float:
        slot = max(wanted, cls.next_slot)
        cls.next_slot = slot + FRAME_INTERVAL
        return slot


class TerminalView(MouseForwarding, Widget, can_focus=True):
    """An embedded terminal running ``argv`` (or a given session / terminal).

    Args:
        argv, env, cwd: the program to run (``env`` is added to ours; None unsets).
        session: an unstarted :class:`PtySession` to run instead of ``argv``.
        terminal: a :class:`Terminal` to show (e.g. one with no program, fed by :meth:`feed`).
        scrollback: lines of history kept above the screen.
        colors: colours to draw with and to answer colour queries with (default: the app theme's).
        leave_key: the key chord that moves focus out of the terminal.
        autostart: start the program once the view has its size.
    """

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    TerminalView {
        width: 1fr;
        height: 1fr;
        background: $background;
        color: $foreground;
    }
    """
    BINDINGS = [Binding(DEFAULT_LEAVE_KEY, "leave_terminal", "Leave terminal", priority=True)]

    @dataclass
    class TitleChanged(Message):
        """The program set its window title (OSC 0/2)."""

        terminal_view: TerminalView
        title: str

        @property
        def control(self) -> TerminalView:
            return self.terminal_view

    @dataclass
    class BusyChanged(Message):
        """The program reported working (True) or idle (False) (Codex: OSC 7501)."""

        terminal_view: TerminalView
        busy: bool

        @property
        def control(self) -> TerminalView:
            return self.terminal_view

    @dataclass
    class Started(Message):
        """The program was spawned (or failed to start, and shows why): it runs from here on."""

        terminal_view: TerminalView

        @property
        def control(self) -> TerminalView:
            return self.terminal_view

    @dataclass
    class Exited(Message):
        """The program exited; its output is all on screen. Negative codes are signals."""

        terminal_view: TerminalView
        exit_code: int

        @property
        def control(self) -> TerminalView:
            return self.terminal_view

    @dataclass
    class Left(Message):
        """The user pressed the leave key: focus moved out of the terminal."""

        terminal_view: TerminalView

        @property
        def control(self) -> TerminalView:
            return self.terminal_view

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        env: Mapping[str, str | None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        session: PtySession | None = None,
        terminal: Terminal | None = None,
        scrollback: int = 10_000,
        colors: TerminalColors | None = None,
        leave_key: str = DEFAULT_LEAVE_KEY,
        autostart: bool = True,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.terminal = terminal or Terminal(argv, env=env, cwd=cwd, session=session, scrollback=scrollback)
        self._explicit_colors = colors or (self.terminal.colors if terminal is not None else None)
        self.leave_key = leave_key
        if leave_key != DEFAULT_LEAVE_KEY:
            # Bindings are per class; this instance gets its own map with its own key.
            self._bindings = BindingsMap([Binding(leave_key, "leave_terminal", "Leave terminal", priority=True)])
        self.autostart = autostart
        self._renderer: StripRenderer | None = None
        self._scroll_back = 0
        self._seen_evicted = 0
        self._last_paint = 0.0
        self._paint_timer: asyncio.TimerHandle | None = None
        self._frame_interval = FRAME_INTERVAL
        self._frames_since_paint = 0
        self._painted_rows: list[tuple] = []
        self._painted_evicted = 0
        self._mouse_button = -1
        self.terminal.on_frame = self._on_frame
        self.terminal.on_title = lambda title: self.post_message(self.TitleChanged(self, title))
        self.terminal.on_busy = lambda busy: self.post_message(self.BusyChanged(self, busy))
        self.terminal.on_exit = self._on_exit

    # -- life cycle ------------------------------------------------------------

    def on_mount(self) -> None:
        colors = self._explicit_colors or self._theme_colors()
        self.terminal.set_colors(colors)
        self._renderer = StripRenderer(colors)
        if self.autostart and self.terminal.session is not None and not self.terminal.session.started:
            self.call_after_refresh(self.start)

    def _theme_colors(self) -> TerminalColors:
        background = self.styles.background
        foreground = self.styles.color
        return TerminalColors(
            foreground=foreground.hex6 if foreground.a else "#d0d0d0",
            background=background.hex6 if background.a else "#1e1e1e",
            cursor=foreground.hex6 if foreground.a else "#d0d0d0",
        )

    def start(self) -> None:
        """Start the program at the view's current size."""
        session = self.terminal.session
        if session is None or session.started:
            return
        width, height = self.size
        if width and height:
            self.terminal.resize(width, height)
        self.terminal.start()  # a program that cannot start shows why and exits 127
        self.post_message(self.Started(self))

    async def close(self, grace: float = 0.5) -> int | None:
        """End the program and everything it started; returns its exit code."""
        return await self.terminal.close(grace)

    async def _on_unmount(self) -> None:
        if self._paint_timer is not None:
            self._paint_timer.cancel()
        await self.terminal.close()

    def _on_exit(self, code: int) -> None:
        screen = self.terminal.screen
        start = "\r\n" if screen.cursor.x else ""
        note = f"{start}\x1b[0m\x1b[7m[process exited with status {code}]\x1b[0m\x1b[?25l"
        self.terminal.feed(note.encode())
        self.post_message(self.Exited(self, code))

    @property
    def title(self) -> str:
        """The program's window title (OSC 0/2), "" until it sets one."""
        return self.terminal.title

    @property
    def busy(self) -> bool | None:
        """Working (True) / idle (False) as the program last reported; None if it never did."""
        return self.terminal.busy

    @property
    def running(self) -> bool:
        return self.terminal.running

    @property
    def exit_code(self) -> int | None:
        return self.terminal.exit_code

    # -- input, for broadcast and the dashboard --------------------------------

    def send_text(self, text: str) -> None:
        """Type ``text`` into the program as is."""
        self._to_bottom()
        self.terminal.send_text(text)

    def paste(self, text: str) -> None:
        """Paste ``text`` (bracketed when the program asked for it)."""
        self._to_bottom()
        self.terminal.paste(text)

    def send_key(self, key: str) -> bool:
        """Press a key by name ("enter", "ctrl+c", "up", ...)."""
        self._to_bottom()
        return self.terminal.send_key(key)

    def feed(self, data: bytes) -> None:
        """Show ``data`` as if the program wrote it (replays, tests)."""
        self.terminal.feed(data)

    # -- painting ------------------------------------------------------------------

    def _on_frame(self) -> None:
        self._frames_since_paint += 1
        screen = self.terminal.screen
        evicted = screen.history.evicted_total - self._seen_evicted
        self._seen_evicted = screen.history.evicted_total
        if self._scroll_back and evicted > 0:
            # Keep the history the user is reading in place while output arrives.
            self._scroll_back = min(self._scroll_back + evicted, len(screen.history))
        if self._paint_timer is not None:
            return
        now = time.monotonic()
        due = self._last_paint + self._frame_interval
        if self._frame_interval == FLOOD_FRAME_INTERVAL:
            due = _FloodPacer.slot(max(due, now))
        if due <= now:
            self._paint()
        else:
            self._paint_timer = asyncio.get_running_loop().call_later(due - now, self._paint)

    def _paint(self) -> None:
        self._paint_timer = None
        self._last_paint = time.monotonic()
        screen = self.terminal.screen
        screen.take_dirty()
        # Repaint only rows whose content (row identity + version) or cursor changed.
        cursor = screen.cursor
        cursor_row = -1 if cursor.hidden else cursor.y
        rows = [
            (line_serial(line), line.version, cursor.x if y == cursor_row else -1)
            for y, line in enumerate(screen.buffer)
        ]
        painted = self._painted_rows
        changed = [y for y, row in enumerate(rows) if y >= len(painted) or painted[y] != row]
        self._painted_rows = rows
        scrolled = screen.history.evicted_total != self._painted_evicted
        self._painted_evicted = screen.history.evicted_total
        # A flood: output outruns the repaints (several frames per paint) and
        # most rows change each time (scrolling text, full-screen redraws).
        frames, self._frames_since_paint = self._frames_since_paint, 0
        flooding = (scrolled or frames >= 3) and len(changed) * 2 >= len(rows)
        self._frame_interval = FLOOD_FRAME_INTERVAL if flooding else FRAME_INTERVAL
        if self._scroll_back or len(changed) * 2 > len(rows) or len(painted) != len(rows):
            self.refresh()
        elif changed:
            width = self.size.width
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def render_line(self, y: int) -> Strip:
        renderer = self._renderer
        width = self.size.width
        if renderer is None:
            return Strip.blank(width)
        screen = self.terminal.screen
        history = screen.history
        back = min(self._scroll_back, len(history))
        index = len(history) - back + y
        if index < len(history):
            return renderer.render_history(history.name(index), history[index], screen.columns, width)
        row = index - len(history)
        if row >= screen.lines:
            return renderer.blank(width)
        cursor = None
        if back == 0 and row == screen.cursor.y and not screen.cursor.hidden and self.has_focus:
            shape = CURSOR_UNDERLINE if screen.cursor_shape in (3, 4) else CURSOR_BLOCK
            cursor = (min(screen.cursor.x, screen.columns - 1), shape)
        return renderer.render(screen.buffer[row], screen.columns, width, cursor)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.terminal.screen.columns

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.terminal.screen.lines

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        if width and height:
            self.terminal.resize(width, height)
            self._scroll_back = min(self._scroll_back, len(self.terminal.screen.history))
            self.refresh()

    def on_focus(self) -> None:
        self.terminal.send_focus(True)
        self.refresh()

    def on_blur(self) -> None:
        self.terminal.send_focus(False)
        self.refresh()

    # -- scrollback --------------------------------------------------------------

    def _scroll_history(self, lines: int) -> None:
        screen = self.terminal.screen
        if screen.in_alternate_screen:
            return
        back = max(0, min(self._scroll_back + lines, len(screen.history)))
        if back != self._scroll_back:
            self._scroll_back = back
            self.refresh()

    def _to_bottom(self) -> None:
        if self._scroll_back:
            self._scroll_back = 0
            self.refresh()

    @property
    def scrolled_back(self) -> int:
        """Lines of history above the live screen currently in view (0: live)."""
        return self._scroll_back

    # -- keys and paste ------------------------------------------------------------

    def action_leave_terminal(self) -> None:
        self.post_message(self.Left(self))
        self.screen.focus_next()
        # `has_focus` only changes when the Blur event is handled: ask the screen what it focused now.
        if self.screen.focused is self:
            self.screen.set_focus(None)

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        key = event.key
        if key in ("shift+pageup", "shift+pagedown") and not self.terminal.screen.in_alternate_screen:
            page = max(1, self.terminal.screen.lines - 1)
            self._scroll_history(page if key == "shift+pageup" else -page)
            return
        self._to_bottom()
        modifiers = key.split("+")[:-1]
        character = event.character
        if character and character.isprintable() and not any(m in modifiers for m in _MODIFIERS):
            self.terminal.send_text(character)
        elif not self.terminal.send_key(key) and character:
            self.terminal.send_text(character)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        self.paste(event.text)
