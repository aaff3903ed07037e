"""The dashboard's side of the session records and worktrees: every call runs in a worker thread
(SQLite and git block), so the event loop keeps painting. The records room is imported on first use,
after the first frame (sqlite3 and the rooms it reaches cost ~60 ms to import)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...records.recorder import Recorder, Totals
    from ...records.store import SessionRecord, SessionStore

EARLIER_SHOWN = 50


class DashboardRecords:
    """Records of the dashboard's sessions (and of earlier runs), in amux's state dir."""

    def __init__(self, env: Mapping[str, str]):
        self.env = dict(env)
        self._store: SessionStore | None = None
        self.problem: str | None = None
        """Why sessions are not recorded (the database cannot be used), or None."""
        self._endings: dict[str, asyncio.Future] = {}
        self._last_totals: dict[str, Totals] = {}

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            from ...records.store import SessionStore

            self._store = SessionStore.default(self.env)
        return self._store

    async def _run(self, step, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN001
        if self.problem is not None:
            return None
        try:
            return await asyncio.to_thread(step, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a broken database costs the records, not the dashboard
            self.problem = str(exc)
            return None

    async def startup(self) -> list[SessionRecord]:
        """Mark sessions of dead amux processes ``lost`` (their processes ended); the ended sessions
        of earlier runs, newest first."""
        from ...records.liveness import mark_lost_sessions

        def work() -> list[SessionRecord]:
            mark_lost_sessions(self.store)
            return [r for r in self.store.listing(recent=EARLIER_SHOWN) if r.state != "running"]

        return await self._run(work) or []

    async def started(self, plan: Any, *, proxy_mode: str, worktree: Any = None, label: str = "") -> Recorder | None:
        from ...records.recorder import Recorder, record_for_plan

        record = record_for_plan(plan, label=label, proxy_mode=proxy_mode, worktree=worktree)
        recorder = Recorder(self.store, record)
        done = await self._run(lambda: (recorder.started(), True)[1])
        return recorder if done else None

    async def spawned(self, recorder: Recorder | None, pid: int) -> None:
        if recorder is not None:
            await self._run(recorder.spawned, pid)

    async def ended(self, recorder: Recorder | None, plan: Any, exit_code: int | None, traffic: Any, *,
                    ended_by_amux: bool = False) -> None:
        """Record the end once: a second call (the exit seen, then the tab closed or amux quitting)
        waits for the first one's write, which runs shielded (a cancelled caller does not lose it)."""
        if recorder is None:
            return
        writing = self._endings.get(recorder.record.id)
        if writing is None:
            writing = asyncio.ensure_future(self._write_end(recorder, plan, exit_code, traffic, ended_by_amux))
            self._endings[recorder.record.id] = writing
        await asyncio.shield(writing)

    async def _write_end(self, recorder: Recorder, plan: Any, exit_code: int | None, traffic: Any,
                         ended_by_amux: bool) -> None:
        from ...providers.prices import load_price_table
        from ...records.launch_hooks import harness_session_id
        from ...records.recorder import Totals

        if exit_code is not None and exit_code < 0:
            exit_code = 128 - exit_code  # killed by signal N: 128 + N, as a shell says
        if traffic is not None:
            await asyncio.to_thread(load_price_table)
        totals = Totals.of_traffic(traffic)
        own_id = await asyncio.to_thread(harness_session_id, plan, recorder.record.started) if plan else None
        await self._run(recorder.ended, exit_code, totals, ended_by_amux=ended_by_amux, harness_session_id=own_id)

    async def totals(self, recorder: Recorder | None, traffic: Any) -> None:
        """A running proxied session's requests, tokens and cost into its record, when they changed."""
        if recorder is None or traffic is None or recorder.record.id in self._endings:
            return
        from ...providers.prices import load_price_table
        from ...records.recorder import Totals

        await asyncio.to_thread(load_price_table)
        totals = Totals.of_traffic(traffic)
        if self._last_totals.get(recorder.record.id) != totals:
            self._last_totals[recorder.record.id] = totals
            await self._run(recorder.totals, totals)

    async def get(self, session_id: str) -> SessionRecord | None:
        return await self._run(self.store.get, session_id)

    async def earlier(self) -> list[SessionRecord]:
        return await self._run(lambda: [r for r in self.store.listing(recent=EARLIER_SHOWN) if r.state != "running"]) or []
