"""Finding and ending every process a harness left behind.

A harness's process group is not enough: Codex's interactive TUI starts a ``codex app-server``
daemon in a session of its own. Two nets catch such strays: (1) amux makes itself a child
subreaper (``PR_SET_CHILD_SUBREAPER``), so orphaned descendants stay its descendants instead of
moving to PID 1; (2) every harness gets ``AMUX_SESSION_ID`` in its environment, which its
descendants inherit, so a scan of ``/proc/*/environ`` finds them wherever they went.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
from collections.abc import Iterable
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
PROC = Path("/proc")


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def parent_map() -> dict[int, int]:
    """pid -> parent pid for every visible process."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 2 (comm) may contain spaces and parentheses: the fields after the last ")" are safe.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(root: int, parents: dict[int, int] | None = None) -> set[int]:
    """Every process whose parent chain leads to ``root`` (``root`` excluded)."""
    parents = parent_map() if parents is None else parents
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def with_session_marker(session_id: str) -> set[int]:
    """Processes whose environment carries ``AMUX_SESSION_ID=session_id`` (same user only)."""
    marker = f"AMUX_SESSION_ID={session_id}".encode()
    found: set[int] = set()
    me = os.getpid()
    for entry in PROC.iterdir() if PROC.is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.add(int(entry.name))
    return found


def session_processes(session_id: str, *roots: int) -> set[int]:
    """Everything belonging to a session: descendants of ``roots`` plus marker carriers."""
    parents = parent_map()
    found = with_session_marker(session_id) if session_id else set()
    for root in roots:
        found |= descendants(root, parents)
        if root in parents:
            found.add(root)
    found.discard(os.getpid())
    return found


def signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def reap_zombies(pids: Iterable[int]) -> None:
    """Collect exit statuses of our own children among ``pids`` (adopted strays become ours)."""
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def alive(pids: Iterable[int]) -> set[int]:
    still = set()
    for pid in pids:
        try:
            state = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            still.add(pid)
    return still


async def end_processes(pids: set[int], *, grace: float = 2.0, first_signal: int = signal.SIGTERM) -> set[int]:
    """Signal, wait up to ``grace`` seconds, then SIGKILL what is left; returns what survived."""
    if not pids:
        return set()
    signal_all(pids, first_signal)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    remaining = alive(pids)
    while remaining and loop.time() < deadline:
        await asyncio.sleep(0.05)
        reap_zombies(remaining)
        remaining = alive(remaining)
    if remaining:
        signal_all(remaining, signal.SIGKILL)
        for _ in range(40):
            reap_zombies(remaining)
            remaining = alive(remaining)
            if not remaining:
                break
            await asyncio.sleep(0.05)
    return remaining
