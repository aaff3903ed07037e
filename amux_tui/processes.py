"""Find and end every process a session started, daemons included.

A harness runs in a process group of its own, but what it starts may leave it:
Codex's interactive TUI leaves a ``codex app-server`` daemon in a session of
its own, and a daemon may call ``setsid()`` and lose its parent. A process
belongs to a session whose first process is ``root`` when

* its parent chain leads back to ``root``, or
* it is in ``root``'s session or process group, or
* its environment carries the session's marker variable, ``NAME=value``
  (inherited by every descendant that does not scrub its environment, whatever
  it did to detach). The terminal sets ``AMUX_TERMINAL_SESSION``, ``amux
  launch`` sets ``AMUX_SESSION_ID``; :func:`marker` builds either.

amux marks itself a child subreaper, so orphans of its sessions are re-parented
to amux rather than to init, and amux can reap them: no zombies stay behind.
Every record keeps the process's start time, so a pid reused by an unrelated
process is never signalled. Linux only (``/proc``); elsewhere nothing is found.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import resource
import signal
from collections.abc import Mapping
from dataclasses import dataclass

_PR_SET_CHILD_SUBREAPER = 36
_subreaper_done = False


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """The fields of ``/proc/<pid>/stat`` that matter for ownership."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    start_time: int

    @property
    def zombie(self) -> bool:
        return self.state in ("Z", "X")


def marker(name: str, value: str) -> bytes:
    """The environment entry ``NAME=value`` that marks a session's processes."""
    return f"{name}={value}".encode()


def read_process(pid: int) -> ProcessInfo | None:
    """The process ``pid`` as /proc shows it now, or None if there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain ")" or spaces.
    fields = raw[raw.rfind(b")") + 2:].split()
    try:
        return ProcessInfo(
            pid=pid,
            ppid=int(fields[1]),
            pgid=int(fields[2]),
            sid=int(fields[3]),
            state=fields[0].decode("ascii", "replace"),
            start_time=int(fields[19]),
        )
    except (IndexError, ValueError):
        return None


def all_processes() -> dict[int, ProcessInfo]:
    found: dict[int, ProcessInfo] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if name.isdigit():
            info = read_process(int(name))
            if info is not None:
                found[info.pid] = info
    return found


def has_marker(pid: int, entry: bytes) -> bool:
    """Whether ``pid``'s environment holds ``entry`` (``NAME=value``)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return entry in handle.read().split(b"\0")
    except OSError:
        return False


def descendants(root: int, processes: Mapping[int, ProcessInfo] | None = None) -> dict[int, ProcessInfo]:
    """Every process whose parent chain leads to ``root`` (``root`` excluded)."""
    processes = all_processes() if processes is None else processes
    children: dict[int, list[int]] = {}
    for info in processes.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found: dict[int, ProcessInfo] = {}
    pending = list(children.get(root, ()))
    while pending:
        pid = pending.pop()
        if pid not in found and pid in processes:
            found[pid] = processes[pid]
            pending.extend(children.get(pid, ()))
    return found


def session_members(root: int, entry: bytes | None, *, root_reaped: bool = False) -> dict[int, ProcessInfo]:
    """Processes belonging to the session whose first process is ``root``.

    ``entry`` is the session's marker (see :func:`marker`), or None. Once
    ``root`` has been reaped its pid may name an unrelated process, so then
    only processes that carry the marker, or were re-parented to us, count by
    session or group.
    """
    processes = all_processes()
    own = os.getpid()
    members: dict[int, ProcessInfo] = {}
    if not root_reaped and root in processes:
        members[root] = processes[root]
        members.update(descendants(root, processes))
    uid = os.getuid()
    for info in processes.values():
        if info.pid in members or info.pid == own:
            continue
        in_group = info.sid == root or info.pgid == root
        if in_group and (not root_reaped or info.ppid == own):
            members[info.pid] = info
        elif entry is not None and not info.zombie and _owned_by(info.pid, uid) and has_marker(info.pid, entry):
            members[info.pid] = info
    members.pop(own, None)
    return members


def _owned_by(pid: int, uid: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == uid
    except OSError:
        return False


def still_running(info: ProcessInfo) -> bool:
    """Whether the process ``info`` describes still exists (same start time) and is not a zombie."""
    now = read_process(info.pid)
    return now is not None and now.start_time == info.start_time and not now.zombie


def same_process(info: ProcessInfo) -> bool:
    """Whether ``info.pid`` still names the process ``info`` describes (zombie or not)."""
    now = read_process(info.pid)
    return now is not None and now.start_time == info.start_time


def reap(pid: int) -> int | None:
    """Collect ``pid``'s exit status if it is our exited child; its exit code or None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def signal_processes(members: Mapping[int, ProcessInfo], sig: int) -> None:
    """Send ``sig`` to each member that is still the process it was (never to a reused pid)."""
    for pid, info in members.items():
        if same_process(info):
            try:
                os.kill(pid, sig)
                if sig != signal.SIGKILL:
                    os.kill(pid, signal.SIGCONT)  # a stopped process must run to see it
            except OSError:
                pass


async def end_processes(members: Mapping[int, ProcessInfo], *, grace: float = 2.0,
                        first_signal: int = signal.SIGTERM, kill_wait: float = 2.0) -> dict[int, ProcessInfo]:
    """Signal, wait up to ``grace`` seconds, then SIGKILL what is left; returns what survived.

    Members that are our children (adopted strays become ours) are reaped as they exit.
    """
    loop = asyncio.get_running_loop()
    alive = dict(members)
    for sig, wait in ((first_signal, grace), (signal.SIGKILL, kill_wait)):
        alive = _reap_exited(alive)
        if not alive:
            break
        signal_processes(alive, sig)
        deadline = loop.time() + wait
        while alive and loop.time() < deadline:
            await asyncio.sleep(0.05)
            alive = _reap_exited(alive)
    return alive


def _reap_exited(members: Mapping[int, ProcessInfo]) -> dict[int, ProcessInfo]:
    """Reap what exited among ``members``; the ones still running."""
    for pid in members:
        reap(pid)
    return {pid: info for pid, info in members.items() if still_running(info)}


def become_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process (Linux); True if in force.

    Asked of the kernel once per process: the terminal and ``amux launch`` both call it.
    """
    global _subreaper_done
    if _subreaper_done:
        return True
    try:
        # libc is already loaded into Python: no library search (which may run ldconfig).
        libc = ctypes.CDLL(None, use_errno=True)
        _subreaper_done = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _subreaper_done = False
    return _subreaper_done


_PR_SET_PDEATHSIG = 1
_prctl = None
_children_fd_limit: tuple[int, int] | None = None


def remember_fd_limit() -> None:
    """Just before amux raises its own soft descriptor limit (the proxy does): the limit its children
    get back in `die_with_parent` (a harness and its tools must not inherit a soft limit of a million:
    programs that close every possible descriptor, or use select(), go slow or break)."""
    global _children_fd_limit
    _children_fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)


def prepare_die_with_parent() -> None:
    """Look up ``prctl`` in the parent, so `die_with_parent` in a forked child only calls it."""
    global _prctl
    if _prctl is None:
        try:
            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            _prctl = False


def die_with_parent(parent: int) -> None:
    """In a forked child before exec: the kernel sends it SIGTERM when ``parent`` dies, even by
    SIGKILL (the watchdog, `amux_tui.watchdog`, ends whatever ignores it or left the session). If the
    parent is already gone, exit at once. The descriptor limit amux was started with is restored."""
    if _children_fd_limit is not None:
        try:
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (_children_fd_limit[0], hard))
        except (ValueError, OSError):
            pass
    if _prctl:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
