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
from ..harnesses.resolve import SESSION_MARKER
from .store import SessionRecord, SessionStore

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


def leftovers(records: list[SessionRecord]) -> dict[str, dict[int, processes.ProcessInfo]]:
    """Each record's processes still running: its group leader (same start time) with its group, and
    every process of ours carrying its marker. One pass over /proc for all of them."""
    found: dict[str, dict[int, processes.ProcessInfo]] = {record.id: {} for record in records}
    if not records:
        return found
    uid, own = os.getuid(), os.getpid()
    everything = processes.all_processes()
    groups: dict[int, str] = {}
    for record in records:
        leader = everything.get(record.pgid) if record.pgid is not None else None
        if leader is not None and record.pgid_start is not None and leader.start_time == record.pgid_start:
            groups[leader.pid] = record.id
    markers = {processes.marker(SESSION_MARKER, record.id): record.id for record in records}
    for info in everything.values():
        if info.zombie or info.pid == own:
            continue
        if info.pgid in groups:
            found[groups[info.pgid]][info.pid] = info
        elif _owned_by(info.pid, uid):
            owner = _marked(info.pid, markers)
            if owner is not None:
                found[owner][info.pid] = info
    return found


def _marked(pid: int, markers: dict[bytes, str]) -> str | None:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            entries = handle.read().split(b"\0")
    except OSError:
        return None
    return next((markers[entry] for entry in entries if entry in markers), None)


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
    lost = [record for record in store.running() if not owner_alive(record)]
    left = leftovers(lost)
    reap({pid: info for members in left.values() for pid, info in members.items()})
    for record in lost:
        store.finish(record.id, "lost", None)
        record.state = "lost"
    return lost
