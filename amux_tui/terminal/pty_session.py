"""A command running in its own pseudo-terminal, driven from the asyncio loop.

ptyprocess forks the child into a new session (so its own process group) with
the PTY as controlling terminal. From then on nothing blocks: output is read
with ``loop.add_reader`` on the non-blocking master, taking what is available
up to a bound per wake-up; input is written without blocking (the rest waits for
``add_writer``); exit is noticed through a pidfd. ``close()`` ends the whole
process tree (see :mod:`amux_tui.processes`) with SIGHUP, SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import asyncio
import errno
import os
import secrets
import shutil
import signal
from collections.abc import Callable, Mapping, Sequence

import ptyprocess

from amux_tui import processes, watchdog

from .pty_child import SESSION_MARKER, live_groups, prepare_child, terminal_environment

_READ_SIZE = 65536
# Per wake-up: a PTY gives at most 4 KB a read and each read lets the writer
# refill it, so one callback must not chase a flooding program for long.
_READ_LIMIT = 65536
_EXIT_DRAIN = 0.2  # how long output may trail the child's exit

__all__ = ["SESSION_MARKER", "PtySession", "terminal_environment"]


class PtySession:
    """One command in a PTY. Create, set the callbacks, then :meth:`start` inside a running loop.

    Args:
        argv: the command and its arguments; ``argv[0]`` is looked up on the child's PATH.
        env: variables set on top of the inherited environment (None as a value unsets one).
        cwd: working directory of the child (default: ours).
        columns, lines: initial size of the terminal.
        inherit_env: start from our environment (default) or from nothing but ``env``.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str | None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        columns: int = 80,
        lines: int = 24,
        inherit_env: bool = True,
    ) -> None:
        if not argv:
            raise ValueError("argv must name a command")
        self.argv = list(argv)
        self.cwd = os.fspath(cwd) if cwd is not None else None
        self.columns = max(1, columns)
        self.lines = max(1, lines)
        self._marker = secrets.token_hex(8)
        self.env = terminal_environment(env, inherit=inherit_env, marker=self._marker)
        #: Called with each batch of output bytes.
        self.on_output: Callable[[bytes], None] | None = None
        #: Called once with the exit code (negative: killed by that signal).
        self.on_exit: Callable[[int], None] | None = None
        self.pid = 0
        self.returncode: int | None = None
        self._process: ptyprocess.PtyProcess | None = None
        self._fd = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False
        self._paused = False
        self._eof = False
        self._pending_input = bytearray()
        self._pidfd = -1
        self._exit_reported = False
        self._exit_timer: asyncio.TimerHandle | None = None
        self._exited: asyncio.Future[int] | None = None
        self._closing: asyncio.Task[int | None] | None = None
        self._cleanup: asyncio.Task[None] | None = None

    # -- life cycle ------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._process is not None

    @property
    def running(self) -> bool:
        """True from :meth:`start` until the child has exited."""
        return self.started and self.returncode is None

    def start(self) -> None:
        """Spawn the child (a short blocking fork + exec) and start watching it."""
        if self._process is not None:
            raise RuntimeError("this session was already started")
        self._loop = asyncio.get_running_loop()
        program = shutil.which(self.argv[0], path=self.env.get("PATH"))
        if program is None:
            raise FileNotFoundError(f"command not found: {self.argv[0]!r}")
        processes.become_subreaper()
        processes.prepare_die_with_parent()
        watchdog.start()
        parent = os.getpid()
        self._process = ptyprocess.PtyProcess.spawn(
            [program, *self.argv[1:]], cwd=self.cwd, env=self.env,
            dimensions=(self.lines, self.columns), preexec_fn=lambda: prepare_child(parent),
        )
        # We reap and close ourselves; ptyprocess's close() would sleep and waitpid.
        self._process.closed = True
        self.pid = self._process.pid
        live_groups.add(self.pid)
        watchdog.watch(self.pid, processes.marker(SESSION_MARKER, self._marker))
        self._fd = self._process.fd
        os.set_blocking(self._fd, False)
        self._exited = self._loop.create_future()
        self._loop.add_reader(self._fd, self._on_readable)
        self._reading = True
        self._watch_exit()

    def _watch_exit(self) -> None:
        assert self._loop is not None
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self._poll_exit()
            return
        self._loop.add_reader(self._pidfd, self._on_child_exit)

    def _poll_exit(self) -> None:
        if self.returncode is None and self._loop is not None:
            if self._reap_child() is None:
                self._loop.call_later(0.05, self._poll_exit)

    def _on_child_exit(self) -> None:
        self._reap_child()

    def _reap_child(self) -> int | None:
        """Collect the child's status if it has exited (only ever here)."""
        if self.returncode is not None:
            return self.returncode
        code = processes.reap(self.pid)
        if code is None:
            return None
        self.returncode = code
        if self._pidfd >= 0 and self._loop is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        # Output may trail the exit a little: report once the PTY drained or soon.
        self._on_readable()
        if self._eof:
            self._report_exit()
        elif self._loop is not None:
            self._exit_timer = self._loop.call_later(_EXIT_DRAIN, self._report_exit)
        if self._closing is None and self._loop is not None:
            self._cleanup = self._loop.create_task(self._end_leftovers())
        return code

    def _report_exit(self) -> None:
        if self._exit_reported or self.returncode is None:
            return
        self._exit_reported = True
        if self._exit_timer is not None:
            self._exit_timer.cancel()
        if self._exited is not None and not self._exited.done():
            self._exited.set_result(self.returncode)
        if self.on_exit is not None:
            self.on_exit(self.returncode)

    async def wait(self) -> int:
        """The exit code, once the child has exited and its output was read."""
        if self._exited is None:
            raise RuntimeError("the session was not started")
        return await asyncio.shield(self._exited)

    async def _end_leftovers(self) -> None:
        """The child exited by itself: end what it left running (daemons)."""
        await self._terminate_tree(grace=0.5)
        live_groups.discard(self.pid)  # the group is empty: its id may be reused
        watchdog.forget(self.pid)

    async def close(self, grace: float = 0.5) -> int | None:
        """End the child and everything it started; returns its exit code.

        Sends SIGHUP, then SIGTERM, then SIGKILL to every member of the session,
        waiting up to ``grace`` seconds after each, and reaps them. Safe to call
        more than once and after the child exited.
        """
        if self._process is None:
            return None
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close(grace))
        return await asyncio.shield(self._closing)

    async def _close(self, grace: float) -> int | None:
        if self._cleanup is not None and not self._cleanup.done():
            self._cleanup.cancel()
        await self._terminate_tree(grace=grace)
        live_groups.discard(self.pid)
        watchdog.forget(self.pid)
        self._report_exit()
        self._stop_io()
        return self.returncode

    def _members(self) -> dict[int, processes.ProcessInfo]:
        marker = processes.marker(SESSION_MARKER, self._marker)
        return processes.session_members(self.pid, marker, root_reaped=self.returncode is not None)

    async def _terminate_tree(self, *, grace: float) -> None:
        loop = asyncio.get_running_loop()
        for sig, wait in ((signal.SIGHUP, grace), (signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
            members = self._members()
            self._reap_members(members)
            alive = {pid: info for pid, info in members.items() if not info.zombie}
            if not alive and self.returncode is not None:
                break
            self._signal(alive, sig)
            deadline = loop.time() + wait
            while alive or self.returncode is None:
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(0.02)
                self._reap_members(alive)
                alive = {pid: info for pid, info in alive.items() if processes.still_running(info)}
        await self._reap_stragglers()

    async def _reap_stragglers(self) -> None:
        """Reap members that died after their parent (re-parented to us as zombies)."""
        own = os.getpid()
        for _ in range(25):
            zombies = [info for info in self._members().values() if info.zombie]
            for info in zombies:
                if info.ppid == own:
                    processes.reap(info.pid)
            if not zombies:
                return
            await asyncio.sleep(0.02)

    def _signal(self, members: Mapping[int, processes.ProcessInfo], sig: int) -> None:
        if self.returncode is None:
            try:
                os.killpg(self.pid, sig)
            except OSError:
                pass
        processes.signal_processes(members, sig)

    def _reap_members(self, members: Mapping[int, processes.ProcessInfo]) -> None:
        self._reap_child()
        for pid in members:
            if pid != self.pid:
                processes.reap(pid)

    # -- output ------------------------------------------------------------------

    def _on_readable(self) -> None:
        if self._fd < 0 or self._eof:
            return
        chunks = []
        total = 0
        while total < _READ_LIMIT:
            try:
                data = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                break
            except OSError:  # EIO: every holder of the terminal's other end closed it
                data = b""
            if not data:
                self._eof = True
                break
            chunks.append(data)
            total += len(data)
        if chunks and self.on_output is not None:
            self.on_output(chunks[0] if len(chunks) == 1 else b"".join(chunks))
        if self._eof:
            self._remove_reader()
            if self.returncode is not None:
                self._report_exit()

    def _remove_reader(self) -> None:
        if self._reading and self._loop is not None and self._fd >= 0:
            self._loop.remove_reader(self._fd)
        self._reading = False

    def pause_reading(self) -> None:
        """Stop reading output (back-pressure: the program blocks when the PTY fills)."""
        if not self._paused:
            self._paused = True
            self._remove_reader()

    def resume_reading(self) -> None:
        if self._paused:
            self._paused = False
            if not self._eof and self._fd >= 0 and self._loop is not None:
                self._loop.add_reader(self._fd, self._on_readable)
                self._reading = True

    # -- input -------------------------------------------------------------------

    def write(self, data: bytes | str) -> None:
        """Send input to the program, in order, without blocking."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if self._fd < 0 or not data:
            return
        if self._pending_input:
            self._pending_input += data
            return
        written = self._write_some(data)
        if written < len(data):
            self._pending_input += data[written:]
            assert self._loop is not None
            self._loop.add_writer(self._fd, self._flush_input)

    def _write_some(self, data: bytes) -> int:
        try:
            return os.write(self._fd, data)
        except BlockingIOError:
            return 0
        except OSError as exc:  # the program is gone: input has nowhere to go
            if exc.errno not in (errno.EIO, errno.EBADF, errno.EPIPE):
                raise
            return len(data)

    def _flush_input(self) -> None:
        written = self._write_some(bytes(self._pending_input))
        del self._pending_input[:written]
        if not self._pending_input and self._loop is not None and self._fd >= 0:
            self._loop.remove_writer(self._fd)

    def resize(self, columns: int, lines: int) -> None:
        """Set the terminal size; the kernel sends SIGWINCH to the foreground group."""
        columns, lines = max(1, columns), max(1, lines)
        if (columns, lines) == (self.columns, self.lines):
            return
        self.columns, self.lines = columns, lines
        if self._process is not None and self._fd >= 0:
            try:
                self._process.setwinsize(lines, columns)
            except OSError:
                pass

    def _stop_io(self) -> None:
        if self._loop is None or self._process is None:
            return
        self._remove_reader()
        if self._fd >= 0:
            if self._pending_input:
                self._loop.remove_writer(self._fd)
                self._pending_input.clear()
            self._process.fileobj.close()  # closes the master fd exactly once
            self._fd = -1
        if self._pidfd >= 0:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
