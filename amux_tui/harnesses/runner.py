"""Running a planned harness in the user's own terminal (``amux launch``).

The harness inherits stdin/stdout/stderr (it is the user's terminal, so no PTY layer), runs in a
process group of its own, and becomes the terminal's foreground group: Ctrl-C, Ctrl-Z and the
rest of job control go to it, not to amux. amux stays in the same event loop (serving the proxy
session, if any), waits for it, and afterwards takes the terminal back, restores its modes, and
ends everything the session left behind (`amux_tui.processes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Iterator, Mapping

from amux_tui import processes, watchdog

from .errors import EXIT_FAILURE, LaunchError
from .resolve import SESSION_MARKER, LaunchPlan

INTERRUPT_GRACE = 2.0
TERMINATE_GRACE = 3.0
STRAY_GRACE = 1.0


@contextlib.contextmanager
def _ignoring_sigttou() -> Iterator[None]:
    """A background process may not change the terminal's foreground group unless it ignores SIGTTOU."""
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGTTOU, previous)


class ForegroundTerminal:
    """Hands the controlling terminal to the harness's process group and back, with job control."""

    def __init__(self, fd: int | None, pid: int, saved_attrs: list | None):
        self.fd, self.pid, self.saved_attrs = fd, pid, saved_attrs

    @classmethod
    def for_stdin(cls, pid: int, fd: int = 0) -> ForegroundTerminal:
        """Only when stdin is a terminal and amux is its foreground process group."""
        try:
            owns = os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            owns = False
        return cls(fd if owns else None, pid, None)

    def give(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError), _ignoring_sigttou():
            os.tcsetpgrp(self.fd, self.pid)
        # Had it touched the terminal before it was foreground, it stopped with SIGTTIN: go on.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGCONT)

    def take_back(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError), _ignoring_sigttou():
            os.tcsetpgrp(self.fd, os.getpgrp())
            if self.saved_attrs is not None:
                import termios

                termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved_attrs)

    def on_child_changed(self) -> None:
        """SIGCHLD: if the harness was stopped by job control, suspend amux too (so the shell
        gets its prompt back); when amux is continued (``fg``), continue the harness."""
        try:
            info = os.waitid(os.P_PID, self.pid, os.WSTOPPED | os.WNOHANG)
        except (ChildProcessError, OSError):
            return
        if info is None:
            return
        if info.si_status in (signal.SIGTTIN, signal.SIGTTOU):
            self.give()
            return
        self.take_back()
        os.kill(os.getpid(), signal.SIGSTOP)
        # ... the user typed `fg`: the shell continued amux; hand the terminal back.
        self.give()


def _save_attrs(fd: int | None) -> list | None:
    if fd is None:
        return None
    import termios

    try:
        return termios.tcgetattr(fd)
    except termios.error:
        return None


def exit_code_of(returncode: int) -> int:
    """A shell-style exit code: killed by signal N -> 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


async def run_plan(plan: LaunchPlan, *, base_env: Mapping[str, str] | None = None,
                   reap_adopted: bool = True, after_spawn: Callable[[], Awaitable[None]] | None = None,
                   on_spawn: Callable[[int], Awaitable[None]] | None = None) -> int:
    """Run the harness in this terminal until it exits; return its exit code.

    SIGINT/SIGTERM/SIGHUP sent to amux end the harness's process group (SIGINT first asks it
    nicely), and everything the session left behind is ended afterwards. ``reap_adopted`` also
    ends orphans adopted by this process (right for ``amux launch``, which runs one session).

    ``after_spawn`` runs once the harness is started, while it boots (``amux launch`` starts
    serving its proxy there). If it raises, the harness's process group is ended and a
    `LaunchError` says why. ``on_spawn(pid)`` learns the harness's pid (its process group) first.
    """
    loop = asyncio.get_running_loop()
    subreaper = processes.become_subreaper() if reap_adopted else False
    processes.prepare_die_with_parent()
    watchdog.start()
    parent = os.getpid()
    process: asyncio.subprocess.Process | None = None
    ending: asyncio.Task | None = None
    signalled: list[int] = []

    def on_signal(sig: int) -> None:
        nonlocal ending
        signalled.append(sig)
        if ending is None and process is not None:
            ending = loop.create_task(_end_harness(process, sig))

    # Handled before the spawn: a signal in the moment after it must not kill amux by default and
    # leave the session running (it is acted on once the harness's pid is known).
    handled = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    for sig in handled:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        process = await asyncio.create_subprocess_exec(
            *plan.argv, env=plan.full_env(base_env), cwd=str(plan.cwd), process_group=0,
            preexec_fn=lambda: processes.die_with_parent(parent))
    except OSError as exc:
        for sig in handled:
            loop.remove_signal_handler(sig)
        raise LaunchError(f"cannot start {plan.argv[0] if plan.argv else plan.harness}: {exc}",
                          exit_code=EXIT_FAILURE) from None
    marker = processes.marker(SESSION_MARKER, plan.session_id) if plan.session_id else None
    watchdog.watch(process.pid, marker)  # if amux is killed (-9), the watchdog ends the session
    terminal = ForegroundTerminal.for_stdin(process.pid)
    terminal.saved_attrs = _save_attrs(terminal.fd)
    terminal.give()
    if signalled and ending is None:
        ending = loop.create_task(_end_harness(process, signalled[0]))
    if terminal.fd is not None:
        loop.add_signal_handler(signal.SIGCHLD, terminal.on_child_changed)
        handled.append(signal.SIGCHLD)
    try:
        if on_spawn is not None:
            await on_spawn(process.pid)
        if after_spawn is not None:
            await _after_spawn(after_spawn, process)
        returncode = await process.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        terminal.take_back()
        if ending is not None:
            ending.cancel()
        strays = processes.session_members(process.pid, marker, root_reaped=process.returncode is not None)
        if subreaper:
            strays.update(processes.descendants(os.getpid()))
            strays.pop(watchdog.own_pid() or 0, None)  # it leaves by itself when amux exits
        await processes.end_processes(strays, grace=STRAY_GRACE)
        watchdog.forget(process.pid)
    if signalled:
        return 128 + signalled[0]
    return exit_code_of(returncode)


async def _after_spawn(step: Callable[[], Awaitable[None]], process: asyncio.subprocess.Process) -> None:
    """Run ``step``; if it fails, the harness must not outlive it (nor keep the terminal)."""
    try:
        await step()
    except BaseException as exc:
        await _end_harness(process, signal.SIGTERM)
        if isinstance(exc, LaunchError) or not isinstance(exc, Exception):
            raise
        raise LaunchError(f"amux stopped the harness: its session could not be set up: {exc}",
                          exit_code=EXIT_FAILURE) from exc


async def _end_harness(process: asyncio.subprocess.Process, sig: int) -> None:
    """Forward the signal to the harness's group; escalate to SIGTERM, then SIGKILL."""
    steps = [(sig, INTERRUPT_GRACE if sig == signal.SIGINT else TERMINATE_GRACE)]
    if sig == signal.SIGINT:
        steps.append((signal.SIGTERM, TERMINATE_GRACE))
    steps.append((signal.SIGKILL, TERMINATE_GRACE))
    for step_signal, grace in steps:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, step_signal)
        try:
            await asyncio.wait_for(process.wait(), grace)
            return
        except asyncio.TimeoutError:
            continue
