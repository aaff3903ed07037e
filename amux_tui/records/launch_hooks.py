"""What ``amux launch`` does around the harness for records and worktrees (async wrappers: the
database and git run in worker threads, the proxy keeps serving)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from .recorder import Recorder, Totals, record_for_plan
from .store import SessionStore


async def make_worktree(cwd: str, name: str | None, harness: str, *, from_dirty: bool) -> Any:
    """The session's new worktree (``--worktree [NAME]``); LaunchError when it cannot be made."""
    from ..harnesses.errors import LaunchError
    from ..worktrees.git import GitError
    from ..worktrees.worktree import create_worktree, new_name

    try:
        return await asyncio.to_thread(create_worktree, cwd, name or new_name(harness), from_dirty=from_dirty)
    except GitError as exc:
        raise LaunchError(str(exc)) from None


def start_dir(worktree: Any, cwd: str) -> Any:
    """The worktree's directory matching ``cwd`` (launched from a subdirectory: that one)."""
    from ..worktrees.worktree import matching_dir

    return matching_dir(worktree, cwd)


async def drop_worktree(worktree: Any) -> None:
    from ..worktrees.worktree import remove_worktree

    await asyncio.to_thread(remove_worktree, worktree)


async def begin(plan: Any, *, proxy_mode: str, worktree: Any = None, store: SessionStore | None = None) -> Recorder | None:
    """Record the session as running (after marking sessions of dead amux processes ``lost``).
    A database that cannot be written costs the record, not the launch: a warning says why."""
    from .liveness import mark_lost_sessions

    store = store or SessionStore.default()
    recorder = Recorder(store, record_for_plan(plan, proxy_mode=proxy_mode, worktree=worktree))

    def start() -> None:
        mark_lost_sessions(store)
        recorder.started()

    try:
        await asyncio.to_thread(start)
    except Exception as exc:  # noqa: BLE001 - RecordsError, sqlite3.Error, OSError: the launch goes on
        print(f"amux: warning: this session is not recorded: {exc}", file=sys.stderr)
        return None
    return recorder


async def spawned(recorder: Recorder | None, pid: int) -> None:
    if recorder is not None:
        await _quietly(recorder.spawned, pid)


TOTALS_INTERVAL = 2.0
"""Seconds between writes of a running proxied session's totals (so `amux sessions` shows them live)."""


def _traffic(plan: Any, server: Any) -> Any:
    if server is None or not plan.proxy_session_id:
        return None
    session = server.session(plan.proxy_session_id)
    return session.traffic if session is not None else None


async def keep_totals(recorder: Recorder | None, plan: Any, server: Any, interval: float = TOTALS_INTERVAL) -> None:
    """While the session runs: its requests, tokens and cost into its record (when they changed)."""
    traffic = _traffic(plan, server)
    if recorder is None or traffic is None:
        return
    from ..providers.prices import load_price_table

    await asyncio.to_thread(load_price_table)
    last = None
    while True:
        await asyncio.sleep(interval)
        totals = Totals.of_traffic(traffic)
        if totals != last:
            await _quietly(recorder.totals, totals)
            last = totals


async def end(recorder: Recorder | None, plan: Any, exit_code: int | None, server: Any = None) -> None:
    """The harness exited: its state, exit code, totals and own session id."""
    if recorder is None:
        return
    traffic = _traffic(plan, server)
    if traffic is not None:
        from ..providers.prices import load_price_table

        await asyncio.to_thread(load_price_table)
    totals = Totals.of_traffic(traffic)
    own_id = await asyncio.to_thread(harness_session_id, plan, recorder.record.started)
    await _quietly(recorder.ended, exit_code, totals, harness_session_id=own_id)


def harness_session_id(plan: Any, since: float | None) -> str | None:
    """The harness's own id for the session, read from its files in amux's harness home."""
    from ..harnesses.session_files import find_session_id

    try:
        return find_session_id(plan.harness, plan.home, plan.cwd, since=since)
    except OSError:
        return None


async def _quietly(step, *args: Any, **kwargs: Any) -> None:  # noqa: ANN001
    try:
        await asyncio.to_thread(step, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the record is lost, the session is not
        print(f"amux: warning: the session record was not updated: {exc}", file=sys.stderr)
