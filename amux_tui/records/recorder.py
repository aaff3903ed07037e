"""Recording one session's life: added when it starts, its process group once spawned, its end
state and totals when it exits. Blocking calls: async callers run them in a worker thread."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Any

from .liveness import group_fields, owner_fields
from .store import SessionRecord, SessionStore, State

_SIGNALLED = range(128 + 1, 128 + signal.NSIG)


@dataclass
class Totals:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = None
    cost_note: str | None = None

    @classmethod
    def of_traffic(cls, traffic: Any) -> Totals:
        """From a proxy session's TrafficLog (None: the session did not go through the proxy)."""
        if traffic is None:
            return cls(cost_note="not proxied: amux sees no requests, tokens or cost")
        totals = traffic.totals()
        return cls(totals.requests, totals.input_tokens, totals.output_tokens, totals.cached_tokens, totals.cost,
                   totals.cost_note)

    def fields(self) -> dict[str, Any]:
        return dict(self.__dict__)


def record_for_plan(plan: Any, *, label: str = "", proxy_mode: str = "never", worktree: Any = None) -> SessionRecord:
    """A new ``running`` record for a harnesses-room LaunchPlan (and its worktree, if any)."""
    record = SessionRecord(
        id=plan.session_id, label=label or plan.harness, harness=plan.harness, provider=plan.provider.name,
        model=plan.model, route=plan.route, cwd=str(plan.cwd), proxy_mode=proxy_mode,
        harness_home=str(plan.home) if plan.home else None, **owner_fields())
    if worktree is not None:
        record.worktree_path, record.worktree_branch = str(worktree.path), worktree.branch
        record.base_commit, record.origin_path = worktree.base_commit, str(worktree.origin_path)
        record.origin_branch = worktree.origin_branch
    return record


def end_state(exit_code: int | None, *, ended_by_amux: bool = False) -> State:
    """``killed`` when a signal ended the harness (or amux ended it), else ``exited``."""
    if ended_by_amux or (exit_code is not None and exit_code in _SIGNALLED):
        return "killed"
    return "exited"


class Recorder:
    """One session's record in ``store``."""

    def __init__(self, store: SessionStore, record: SessionRecord):
        self.store, self.record = store, record

    def started(self) -> None:
        self.store.add(self.record)

    def spawned(self, pgid: int) -> None:
        values = group_fields(pgid)
        self.record.pgid, self.record.pgid_start = values["pgid"], values["pgid_start"]
        self.store.update(self.record.id, **values)

    def totals(self, totals: Totals) -> None:
        self.store.update(self.record.id, **totals.fields())

    def ended(self, exit_code: int | None, totals: Totals, *, ended_by_amux: bool = False,
              harness_session_id: str | None = None) -> None:
        state = end_state(exit_code, ended_by_amux=ended_by_amux)
        extra = {"harness_session_id": harness_session_id} if harness_session_id else {}
        self.store.finish(self.record.id, state, exit_code, **totals.fields(), **extra)
        self.record.state, self.record.exit_code = state, exit_code
