"""Launched sessions and the proxy they share.

The harnesses room decides how a harness reaches a provider (`prepare_launch` → a `LaunchPlan`
routed native, direct by protocol, or through the proxy). The proxy (`ProxyServer`) runs in the
app's own event loop, one for all sessions, made on the first proxied launch, never before. Like
``amux launch --with-proxy``, a proxied launch only binds its port (cheap: its URL is known and the
session registered), the harness is spawned, and then `serve_proxy` imports aiohttp (in a worker
thread) and serves while the harness boots; a request arriving before waits in the port's backlog.
This module also keeps the live sessions and their closers, so quitting can end every process group
and the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ...providers.resolved import ResolvedProvider

Route = Literal["native", "direct", "proxy"]

ROUTE_WORDS: dict[str, str] = {
    "native": "native: the harness talks to the provider itself",
    "direct": "direct: the provider speaks the harness's protocol; amux only points it there",
    "proxy": "through amux's proxy: it translates the harness's protocol to the provider's",
}


@dataclass(frozen=True)
class LaunchChoice:
    harness: str
    provider: ResolvedProvider
    model: str
    harness_args: tuple[str, ...] = ()
    """Arguments for the harness (for ``shell``: the command to run instead of $SHELL)."""
    always_proxy: bool = False
    """Go through amux's proxy even when a direct route exists (to see the traffic)."""
    worktree: bool = False
    """Run in a new git worktree of the dashboard's directory (branch ``amux/<harness>-<random>``)."""
    resume: str | None = None
    """The harness's own session id to resume (a recorded session)."""
    cwd: str | None = None
    """Where to run (None: the dashboard's directory)."""
    existing_worktree: Any = None
    """The worktree a resumed session goes on in."""
    trust_folder: bool = False
    """Trust the session's folder in amux (remembered): the harness's workspace-trust prompt is pre-accepted."""

    @property
    def proxy_mode(self) -> str:
        return "always" if self.always_proxy else "if-needed"


@dataclass
class LaunchPreview:
    """What a launch would do, shown before anything starts."""

    choice: LaunchChoice
    route: Route | None
    explanation: str
    error: str | None = None
    plan: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.route is not None


@dataclass(frozen=True)
class SessionStatus:
    """Everything the status line shows."""

    harness: str
    provider: str
    model: str
    route: str
    busy: bool
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    last_latency_ms: float | None = None
    exit_status: int | None = None
    running: bool = True
    cost_note: str | None = None
    """Why the cost is unknown (`$—`), shown as the status line's tooltip."""
    all_cost: float | None = None
    """What every session of this dashboard cost so far, when more than one has a known cost."""


@dataclass(eq=False)
class LiveSession:
    """One launched harness: its plan, its proxy registration (when proxied) and its state."""

    harness: str
    provider: str
    model: str
    route: Route
    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None
    plan: Any = None
    """The harnesses room's LaunchPlan (cleaned up when the session ends)."""
    traffic: Any = None
    """The proxy's TrafficLog for this session (None when not proxied)."""
    proxy_session_id: str | None = None
    proxy_server: Any = None
    """The ProxyServer this session is registered with (None when not proxied)."""
    number: int = 0
    """Position in launch order (1, 2, ...), per dashboard."""
    title: str = ""
    terminal_busy: bool | None = None
    """Busy/idle reported by the harness itself (Codex's OSC 7501); None when it does not say."""
    exit_status: int | None = None
    running: bool = True
    closer: Callable[[], Awaitable[None]] | None = None
    recorder: Any = None
    """Its record in the session database (None when not recorded)."""
    worktree: Any = None
    """Its git worktree (`worktrees.worktree.Worktree`), or None when it runs in the dashboard's directory."""
    started_at: float = field(default_factory=time.time)
    """Wall clock (the harness's session files are found by their times)."""
    started_clock: float = field(default_factory=time.monotonic)
    ended_clock: float | None = None
    """`time.monotonic` at the start and the end, for the elapsed time."""

    @property
    def elapsed(self) -> float:
        return (self.ended_clock or time.monotonic()) - self.started_clock

    @property
    def record_id(self) -> str:
        """amux's id for the session (the one `amux sessions` shows)."""
        return self.plan.session_id if self.plan is not None else (self.recorder.record.id if self.recorder else "")

    @property
    def id(self) -> str:
        return f"session-{self.number}"

    @property
    def label(self) -> str:
        return f"{self.number}:{self.harness}"

    @property
    def busy(self) -> bool:
        if not self.running:
            return False
        traffic = self.traffic
        if traffic is not None and traffic.in_flight > 0:
            return True
        return bool(self.terminal_busy)

    def resume_command(self) -> str | None:
        """The `amux launch ... --resume ID` (in its own worktree: `amux sessions resume ID`) that continues
        this session from a terminal (the harness's own hint looks outside amux's home for it); None
        when the harness's own hint is right."""
        from ...harnesses.registry import get_adapter
        from ...harnesses.resume_hint import resume_command

        if self.plan is None:
            return None
        adapter = get_adapter(self.harness)
        if self.worktree is not None and self.recorder is not None and adapter.CAN_RESUME and adapter.RESUME_BY_ID \
                and self.plan.home is not None:
            return f"amux sessions resume {self.record_id}"  # in its worktree, through its record
        return resume_command(self.plan, can_resume=adapter.CAN_RESUME, by_id=adapter.RESUME_BY_ID,
                              proxy_mode="always" if self.route == "proxy" else "never", since=self.started_at - 1)

    def status(self) -> SessionStatus:
        totals = self.traffic.totals() if self.traffic is not None else None
        return SessionStatus(
            self.harness, self.provider, self.model, self.route, self.busy,
            requests=totals.requests if totals else 0,
            input_tokens=totals.input_tokens if totals else 0,
            output_tokens=totals.output_tokens if totals else 0,
            cost=totals.cost if totals else None,
            last_latency_ms=totals.last_latency_ms if totals else None,
            exit_status=self.exit_status, running=self.running,
            cost_note=getattr(totals, "cost_note", None) if totals else None,
        )


class SessionManager:
    """Live sessions, and the proxy made on the first proxied launch."""

    def __init__(self, env: Mapping[str, str], *, cwd: str | None = None):
        self.env = dict(env)
        self.cwd = cwd
        self.proxy: Any = None
        """The shared ProxyServer: bound from the first proxied launch on, serving once `serve_proxy` ran."""
        self._starting: Any = None
        self._sessions: dict[str, LiveSession] = {}
        self._numbers = itertools.count(1)
        from .records import DashboardRecords

        self.records = DashboardRecords(self.env)

    # --- planning -------------------------------------------------------------------------------

    async def folder_trusted(self) -> bool:
        """Whether the sessions' folder is trusted in amux (read off the loop: a state file)."""
        from ...harnesses.trust import is_trusted

        return await asyncio.to_thread(is_trusted, self.cwd or ".", self.env)

    def preview(self, choice: LaunchChoice) -> LaunchPreview:
        """How this launch would run, from the harnesses room's route decision (no I/O, no process)."""
        from ...harnesses.errors import LaunchError
        from ...harnesses.registry import get_adapter
        from ...harnesses.resolve import decide_route

        try:
            decision = decide_route(get_adapter(choice.harness), choice.provider, choice.proxy_mode)
        except LaunchError as exc:
            return LaunchPreview(choice, None, "", str(exc))
        explanation = f"{ROUTE_WORDS[decision.route]}\n{decision.reason}"
        return LaunchPreview(choice, decision.route, explanation, plan=decision)

    # --- running --------------------------------------------------------------------------------

    async def start(self, preview: LaunchPreview) -> LiveSession:
        """Prepare the launch (preflight, proxy registration when proxied, session files) and return
        the session to run in a terminal. Raises the harnesses room's LaunchError with its fix.
        A proxied session's proxy may not serve yet: call `serve_proxy` once its harness is spawned."""
        from ...harnesses.launch import prepare_launch

        choice = preview.choice
        worktree = await self._make_worktree(choice) if choice.worktree else choice.existing_worktree
        if choice.worktree and worktree is not None:
            from ...worktrees.worktree import matching_dir

            cwd = str(matching_dir(worktree, self.cwd or os.getcwd()))
        else:
            cwd = choice.cwd or self.cwd
        proxy = await self.bound_proxy() if preview.route == "proxy" else None
        if choice.trust_folder:
            from ...harnesses.trust import trust

            await asyncio.to_thread(trust, self.cwd or ".", self.env)
        # A worktree holds the same repository as the folder it came from: trusted if that folder is.
        trust_cwd = choice.trust_folder or (worktree is not None and await self.folder_trusted())
        try:
            plan = await prepare_launch(choice.harness, choice.provider, choice.model, proxy_mode=choice.proxy_mode,
                                        proxy_server=proxy, harness_args=choice.harness_args, env=self.env,
                                        cwd=cwd, label=choice.harness, resume=choice.resume, trust_cwd=trust_cwd)
        except BaseException:
            if worktree is not None and choice.worktree:  # nothing ran in the new worktree
                from ...worktrees.worktree import remove_worktree

                await asyncio.to_thread(remove_worktree, worktree)
            raise
        traffic = None
        if plan.proxy_session_id and proxy is not None:
            proxy_session = proxy.session(plan.proxy_session_id)
            traffic = proxy_session.traffic if proxy_session is not None else None
        session = LiveSession(choice.harness, choice.provider.name, choice.model, plan.route, list(plan.argv),
                              plan.full_env(self.env), str(plan.cwd), plan=plan, traffic=traffic,
                              proxy_session_id=plan.proxy_session_id, proxy_server=proxy,
                              number=next(self._numbers), worktree=worktree)
        session.recorder = await self.records.started(plan, proxy_mode=choice.proxy_mode, worktree=worktree,
                                                      label=session.label)
        self._sessions[session.id] = session
        return session

    async def _make_worktree(self, choice: LaunchChoice):
        """A new worktree of the dashboard's directory; LaunchError saying why when there is none."""
        from ...harnesses.errors import LaunchError
        from ...worktrees.git import GitError
        from ...worktrees.worktree import create_worktree, new_name

        try:
            return await asyncio.to_thread(create_worktree, self.cwd or os.getcwd(), new_name(choice.harness),
                                           env=self.env)
        except GitError as exc:
            raise LaunchError(str(exc), fix="untick \"own worktree\" to run in this directory") from None

    async def spawned(self, session: LiveSession, pid: int) -> None:
        """Its harness runs as process group ``pid`` (recorded, so a crash of amux can end it later)."""
        await self.records.spawned(session.recorder, pid)

    async def record_totals(self) -> None:
        """The running proxied sessions' totals into their records (so `amux sessions` shows them live)."""
        for session in self.live_sessions():
            await self.records.totals(session.recorder, session.traffic)

    async def record_exit(self, session: LiveSession, exit_status: int | None, *, ended_by_amux: bool = False) -> None:
        """Its end in the session database: state, exit code, totals, the harness's own session id."""
        await self.records.ended(session.recorder, session.plan, exit_status, session.traffic,
                                 ended_by_amux=ended_by_amux)

    async def bound_proxy(self):
        """The shared proxy, bound on first use (no aiohttp yet): sessions can be registered with it.
        Raises LaunchError (with the fix) when it cannot listen on loopback."""
        if self.proxy is None:
            from ...harnesses.commands import open_proxy

            proxy = await open_proxy()
            if self.proxy is None:
                self.proxy = proxy
            else:  # another launch bound one meanwhile: one proxy for all
                await proxy.stop()
        return self.proxy

    async def serve_proxy(self, session: LiveSession) -> None:
        """Serve ``session``'s proxy; call it once the session's harness is spawned.

        The first call starts it (aiohttp imported in a worker thread: the loop keeps painting);
        calls while it starts, or once it serves, return at once: their harnesses' requests wait in
        the backlog like the first one's. When it cannot serve, raises LaunchError after stopping it
        (requests waiting for it fail at once) and ending every session registered with it (their
        harnesses could only wait); the next proxied launch binds a new one.
        """
        proxy = session.proxy_server
        if proxy is None or proxy.running or self._starting is proxy:
            return
        from ...harnesses.commands import serve_proxy
        from ...harnesses.errors import EXIT_FAILURE, LaunchError

        if proxy is not self.proxy:  # it failed for another session before this one's harness started
            await self._end_sessions_of(proxy)
            raise LaunchError(f"amux's proxy stopped before {session.label} could use it, so the harness was "
                              "stopped", fix="launch it again", exit_code=EXIT_FAILURE)
        self._starting = proxy
        try:
            with contextlib.suppress(ImportError):  # serve_proxy says what to do about it
                from ...proxy.server import import_serving_code

                await asyncio.to_thread(import_serving_code)
            await serve_proxy(proxy)
        except Exception:
            if self.proxy is proxy:
                self.proxy = None
            await proxy.stop()
            await self._end_sessions_of(proxy)
            raise
        finally:
            if self._starting is proxy:
                self._starting = None

    async def _end_sessions_of(self, proxy) -> None:  # noqa: ANN001
        for session in [s for s in self._sessions.values() if s.proxy_server is proxy and s.running]:
            if session.closer is not None:
                with contextlib.suppress(Exception):  # keep ending the others
                    await session.closer()

    def all_cost(self) -> float | None:
        """The summed known cost of this dashboard's sessions (None unless two or more have one)."""
        costs = [s.status().cost for s in self._sessions.values() if s.traffic is not None]
        known = [cost for cost in costs if cost is not None]
        return sum(known) if len(known) >= 2 else None

    def get(self, session_id: str) -> LiveSession | None:
        return self._sessions.get(session_id)

    def live_sessions(self) -> list[LiveSession]:
        return [s for s in self._sessions.values() if s.running]

    def all_sessions(self) -> list[LiveSession]:
        return list(self._sessions.values())

    def mark_exited(self, session: LiveSession, exit_status: int | None) -> None:
        session.running = False
        session.exit_status = exit_status
        if session.ended_clock is None:
            session.ended_clock = time.monotonic()

    async def forget(self, session: LiveSession) -> None:
        """The session's tab closed: revoke its proxy token and remove its session files."""
        self._sessions.pop(session.id, None)
        await self.record_exit(session, session.exit_status, ended_by_amux=True)
        await self._clean(session)

    async def _clean(self, session: LiveSession) -> None:
        plan, session.plan = session.plan, None
        if plan is not None:
            from ...harnesses.launch import cleanup_launch

            await cleanup_launch(plan, session.proxy_server)

    async def close_all(self) -> None:
        """End every session's process group, then the proxy. Safe to call twice."""
        for session in list(self._sessions.values()):
            ended_by_amux = session.running
            if session.closer is not None:
                try:
                    await session.closer()
                except Exception:  # noqa: BLE001 - keep closing the others
                    pass
            session.running = False
            await self.record_exit(session, session.exit_status, ended_by_amux=ended_by_amux)
            await self._clean(session)
        if self.proxy is not None:
            proxy, self.proxy = self.proxy, None
            await proxy.stop()
