"""Find and end every process a terminal session started, daemons included.

A harness runs in its own session and process group, but what it starts may
leave both: Codex leaves an ``app-server`` daemon, and a daemon may call
``setsid()`` and lose its parent. A process belongs to a terminal session when

* its parent chain leads back to the session's first process, or
* it is in that process's session or process group, or
* its environment carries the session's marker variable (inherited by every
  descendant that does not scrub its environment, whatever it did to detach).

amux marks itself a child subreaper, so orphans of its sessions are re-parented
to amux rather than to init, and amux can reap them: no zombies stay behind.
Linux only (``/proc``); elsewhere only the process group is ended.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
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


def has_marker(pid: int, marker: bytes) -> bool:
    """Whether ``pid``'s environment holds ``marker`` (``NAME=value``)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return marker in handle.read().split(b"\0")
    except OSError:
        return False


def session_members(root: int, marker: bytes | None, *, root_reaped: bool = False) -> dict[int, ProcessInfo]:
    """Processes belonging to the terminal session whose first process is ``root``.

    Once ``root`` has been reaped its pid may name an unrelated process, so
    then only processes that also carry the marker, or were re-parented to
    us, count by session or group.
    """
    processes = all_processes()
    own = os.getpid()
    children: dict[int, list[int]] = {}
    for info in processes.values():
        children.setdefault(info.ppid, []).append(info.pid)
    members: dict[int, ProcessInfo] = {}
    pending = [] if root_reaped else [root]
    while pending:
        pid = pending.pop()
        info = processes.get(pid)
        if info is not None and pid not in members:
            members[pid] = info
            pending.extend(children.get(pid, ()))
    uid = os.getuid()
    for info in processes.values():
        if info.pid in members or info.pid == own:
            continue
        in_group = info.sid == root or info.pgid == root
        if in_group and (not root_reaped or info.ppid == own):
            members[info.pid] = info
        elif marker is not None and not info.zombie and _owned_by(info.pid, uid) and has_marker(info.pid, marker):
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


def become_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process (Linux); True if in force."""
    global _subreaper_done
    if _subreaper_done:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _subreaper_done = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _subreaper_done = False
    return _subreaper_done
