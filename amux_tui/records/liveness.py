"""Which ``running`` records really run: a session whose amux died is ``lost``.

A record names its owner (the amux process, by pid and start time, so a reused pid does not
count) and the harness's process group. When the owner is gone, whatever is left of the session
is ended — the group's leader if it is still the same process, and every process carrying the
session's marker (``AMUX_SESSION_ID=<id>``, which every harness process inherits) — and the
record becomes ``lost``. Linux only (``/proc``); elsewhere nothing is found alive.
"""

from __future__ import annotations

import os
import signal
import time

from .. import processes
from .store import SessionRecord, SessionStore

SESSION_MARKER = "AMUX_SESSION_ID"
REAP_GRACE = 1.0


def owner_fields(pid: int | None = None) -> dict[str, int | None]:
    """``owner_pid`` / ``owner_start`` for this process (or ``pid``)."""
    pid = os.getpid() if pid is None else pid
    info = processes.read_process(pid)
    return {"owner_pid": pid, "owner_start": info.start_time if info else None}


def group_fields(pgid: int) -> dict[str, int | None]:
    """``pgid`` / ``pgid_start`` for a harness whose process group is led by ``pgid``."""
    info = processes.read_process(pgid)
    return {"pgid": pgid, "pgid_start": info.start_time if info else None}


def owner_alive(record: SessionRecord) -> bool:
    if record.owner_pid is None:
        return False
    info = processes.read_process(record.owner_pid)
    if info is None or info.zombie:
        return False
    return record.owner_start is None or info.start_time == record.owner_start


def leftovers(record: SessionRecord) -> dict[int, processes.ProcessInfo]:
    """The session's processes still running: its group leader (same start time) and every
    process of ours carrying its marker."""
    entry = processes.marker(SESSION_MARKER, record.id)
    found: dict[int, processes.ProcessInfo] = {}
    uid = os.getuid()
    everything = processes.all_processes()
    live = [info for info in everything.values() if not info.zombie and info.pid != os.getpid()]
    leader = everything.get(record.pgid) if record.pgid is not None else None
    leader_is_ours = leader is not None and record.pgid_start is not None and leader.start_time == record.pgid_start
    for info in live:
        in_group = leader_is_ours and info.pgid == record.pgid
        if in_group or (_owned_by(info.pid, uid) and processes.has_marker(info.pid, entry)):
            found[info.pid] = info
    return found


def _owned_by(pid: int, uid: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == uid
    except OSError:
        return False


def reap(members: dict[int, processes.ProcessInfo], grace: float = REAP_GRACE) -> dict[int, processes.ProcessInfo]:
    """SIGTERM, wait up to ``grace``, then SIGKILL; what survived (normally nothing)."""
    alive = dict(members)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        if not alive:
            break
        processes.signal_processes(alive, sig)
        deadline = time.monotonic() + wait
        while alive and time.monotonic() < deadline:
            time.sleep(0.02)
            for pid in alive:
                processes.reap(pid)  # ours when we were their subreaper
            alive = {pid: info for pid, info in alive.items() if processes.still_running(info)}
    return alive


def mark_lost_sessions(store: SessionStore) -> list[SessionRecord]:
    """Every ``running`` record whose amux is gone: its processes ended, the record ``lost``."""
    lost: list[SessionRecord] = []
    for record in store.running():
        if owner_alive(record):
            continue
        reap(leftovers(record))
        store.finish(record.id, "lost", None)
        record.state = "lost"
        lost.append(record)
    return lost
