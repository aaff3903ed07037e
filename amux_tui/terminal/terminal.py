"""A running terminal: a PTY session, its screen, and what the program reports.

:class:`Terminal` owns the pipeline ``PtySession -> TerminalStream ->
TerminalScreen``: output is queued and parsed in bounded slices by the loop's
:class:`~.feeder.FeedScheduler` (reading pauses while too much is queued, so a
flooding program is slowed by the PTY, not by our memory), answers to queries
go straight back to the program, and the owner hears about frames, title,
busy/idle (Codex's OSC 7501), bell and exit through plain callbacks.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from .colors import TerminalColors
from .feeder import scheduler_for
from .keys import encode_focus, encode_key, encode_paste
from .mouse import MouseEvent, encode_mouse
from .pty_session import PtySession
from .screen import TerminalScreen
from .stream import TerminalStream

# Queued output at which reading pauses (the program then blocks on the PTY)
# and resumes: small, so what the program writes after a key press shows soon.
_HIGH_WATER = 1 << 18
_LOW_WATER = 1 << 16
_SYNC_HOLD = 0.15  # longest a synchronized-output frame is held back


class Terminal:
    """A program in a PTY with an emulated screen.

    Args:
        argv, env, cwd: the command (see :class:`PtySession`); or pass ``session``.
        session: an existing, not yet started :class:`PtySession` to drive instead.
            With neither, the terminal has no program: :meth:`feed` replays output.
        columns, lines: initial size.
        scrollback: lines kept above the screen (0 for none).
        colors: the theme, used to answer colour queries (OSC 4/10/11/12).
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        env: Mapping[str, str | None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        session: PtySession | None = None,
        columns: int = 80,
        lines: int = 24,
        scrollback: int = 10_000,
        colors: TerminalColors | None = None,
    ) -> None:
        if session is None and argv is not None:
            session = PtySession(argv, env=env, cwd=cwd, columns=columns, lines=lines)
        elif session is not None:
            session.resize(columns, lines)
        self.session = session
        self.colors = colors or TerminalColors()
        self.screen = TerminalScreen(columns, lines, scrollback=scrollback)
        self.stream = TerminalStream(self.screen, self.colors)
        self.screen.on_reply = self._reply
        self.screen.on_bell = self._bell
        self.stream.on_agent_state = self._agent_state
        #: New content is ready to show (called at most once per parsing turn).
        self.on_frame: Callable[[], None] | None = None
        self.on_title: Callable[[str], None] | None = None
        #: Busy (True) / idle (False) as reported by the program (Codex: OSC 7501).
        self.on_busy: Callable[[bool], None] | None = None
        self.on_bell: Callable[[], None] | None = None
        #: The program exited and all its output has been parsed.
        self.on_exit: Callable[[int], None] | None = None
        self.title = ""
        self.busy: bool | None = None
        self.exit_code: int | None = None
        self._queue: deque[memoryview] = deque()
        self._queued = 0
        self._pending_exit: int | None = None
        self._sync_since: float | None = None
        self._sync_timer: asyncio.TimerHandle | None = None
        self._frame_due = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exited = asyncio.Event()

    def set_colors(self, colors: TerminalColors) -> None:
        """Use ``colors`` from now on (for answers; the view draws with the same)."""
        self.colors = colors
        self.stream.colors = colors

    # -- life cycle ------------------------------------------------------------

    def start(self) -> None:
        """Start the program (inside a running loop).

        A program that cannot be started (not found, not executable, bad cwd)
        is reported the way a shell would: the screen says why and the
        terminal exits with code 127.
        """
        if self.session is None:
            raise RuntimeError("this terminal has no program to start")
        self._loop = asyncio.get_running_loop()
        self.session.on_output = self._on_output
        self.session.on_exit = self._on_exit
        try:
            self.session.start()
        except OSError as exc:
            self.feed(f"\x1b[31mamux: cannot start {self.session.argv[0]}: {exc}\x1b[0m\r\n".encode())
            self._pending_exit = 127
            self._report_exit()

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    async def close(self, grace: float = 0.5) -> int | None:
        """End the program and its whole process tree; returns its exit code."""
        if self.session is None or not self.session.started:
            return self.exit_code
        code = await self.session.close(grace)
        if self._loop is not None:
            scheduler_for(self._loop).discard(self)
        self._queue.clear()
        self._queued = 0
        if self._sync_timer is not None:
            self._sync_timer.cancel()
        if code is not None and self.exit_code is None:
            self._pending_exit = code
            self._report_exit()
        return code

    async def wait(self) -> int:
        """Wait for the program to exit and its output to be parsed; its exit code."""
        await self._exited.wait()
        assert self.exit_code is not None
        return self.exit_code

    # -- output ------------------------------------------------------------------

    def _on_output(self, data: bytes) -> None:
        # A memoryview: slicing off what was parsed must not copy the rest.
        self._queue.append(memoryview(data))
        self._queued += len(data)
        if self._queued > _HIGH_WATER and self.session is not None:
            self.session.pause_reading()
        assert self._loop is not None
        scheduler_for(self._loop).add(self)

    def feed_slice(self, limit: int) -> tuple[int, bool]:
        """Parse up to ``limit`` queued bytes (called by the feed scheduler):
        (bytes parsed, more queued)."""
        queue = self._queue
        if not queue:
            return 0, False
        pieces = []
        size = 0
        while queue and size < limit:  # several reads of the PTY make one batch
            piece = queue[0]
            if size + len(piece) > limit:
                queue[0] = piece[limit - size:]
                piece = piece[:limit - size]
            else:
                queue.popleft()
            pieces.append(piece)
            size += len(piece)
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self._queued -= size
        # Rows may stay lazy until the end of the turn (after_turn settles them):
        # most of a flood scrolls off before then and never needs its cells.
        self.stream.feed(data, settle=False)
        self._frame_due = True
        if self._queued < _LOW_WATER and self.session is not None:
            self.session.resume_reading()
        return size, bool(queue)

    def feed(self, data: bytes) -> None:
        """Parse ``data`` at once, as if the program wrote it (tests, replays)."""
        self.stream.feed(data)
        self._frame_due = True
        self.after_turn()

    def after_turn(self) -> None:
        """Report what changed during a parsing turn."""
        self.stream.settle()
        screen = self.screen
        if screen.title != self.title:
            self.title = screen.title
            if self.on_title is not None:
                self.on_title(self.title)
        if self._frame_due:
            self._maybe_frame()
        if not self._queue and self._pending_exit is not None:
            self._report_exit()

    def _maybe_frame(self) -> None:
        """Show the frame, unless the program is inside a synchronized update."""
        if self.screen.modes.synchronized_output:
            loop = self._loop or asyncio.get_event_loop()
            if self._sync_since is None:
                self._sync_since = loop.time()
                self._sync_timer = loop.call_later(_SYNC_HOLD, self._sync_expired)
                return
            if loop.time() - self._sync_since < _SYNC_HOLD:
                return
        self._sync_since = None
        if self._sync_timer is not None:
            self._sync_timer.cancel()
            self._sync_timer = None
        self._frame_due = False
        if self.on_frame is not None:
            self.on_frame()

    def _sync_expired(self) -> None:
        # The end mark is late (or lost): show what there is.
        self._sync_timer = None
        if self._sync_since is not None:
            self._sync_since -= _SYNC_HOLD
            self._maybe_frame()

    def _on_exit(self, code: int) -> None:
        self._pending_exit = code
        if not self._queue:
            self._report_exit()

    def _report_exit(self) -> None:
        if self._pending_exit is None or self.exit_code is not None:
            return
        self.exit_code = self._pending_exit
        self._exited.set()
        if self._frame_due or self.screen.modes.synchronized_output:
            self._frame_due = True
            self._sync_since = None
            self.screen.modes.set(2026, False)
            self._maybe_frame()
        if self.on_exit is not None:
            self.on_exit(self.exit_code)

    def _write(self, data: bytes | str) -> None:
        if self.session is not None:
            self.session.write(data)

    def _reply(self, text: str) -> None:
        self._write(text)

    def _bell(self) -> None:
        if self.on_bell is not None:
            self.on_bell()

    def _agent_state(self, key: str, value: str) -> None:
        if key != "state":
            return
        busy = {"working": True, "busy": True, "idle": False, "done": False}.get(value.lower())
        if busy is not None and busy != self.busy:
            self.busy = busy
            if self.on_busy is not None:
                self.on_busy(busy)

    # -- input -------------------------------------------------------------------

    def send_text(self, text: str) -> None:
        """Type ``text`` as is (characters, or control bytes such as "\\r")."""
        self._write(text)

    def send_key(self, key: str) -> bool:
        """Press ``key`` (Textual-style name, e.g. "up", "ctrl+c"); False if it has no encoding."""
        encoded = encode_key(key, application_cursor=self.screen.modes.application_cursor_keys)
        if encoded is None:
            return False
        self._write(encoded)
        return True

    def paste(self, text: str) -> None:
        """Paste ``text``, bracketed when the program asked for it (mode 2004)."""
        self._write(encode_paste(text, bracketed=self.screen.modes.bracketed_paste))

    def send_mouse(self, event: MouseEvent) -> bool:
        """Report a mouse event if the program tracks the mouse; False if it does not want it."""
        modes = self.screen.modes
        encoded = encode_mouse(event, tracking=modes.mouse_tracking, sgr=modes.mouse_sgr, urxvt=modes.mouse_urxvt)
        if encoded is None:
            return False
        self._write(encoded)
        return True

    def send_focus(self, focused: bool) -> bool:
        """Report focus in/out if the program asked for it (mode 1004)."""
        if not self.screen.modes.focus_events:
            return False
        self._write(encode_focus(focused))
        return True

    @property
    def wants_mouse(self) -> bool:
        return self.screen.modes.mouse_tracking != 0

    def resize(self, columns: int, lines: int) -> None:
        """Resize the screen and the PTY (the program gets SIGWINCH)."""
        columns, lines = max(1, columns), max(1, lines)
        self.screen.resize(lines, columns)
        if self.session is not None:
            self.session.resize(columns, lines)
