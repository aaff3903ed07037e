"""``amux sessions resume ID``: the harness's own resume, in the same directory, provider, model
and route. Refused, with the reason, when the harness cannot resume by id or its files are gone."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from .store import RecordsError, SessionRecord, SessionStore


def resume_problem(record: SessionRecord) -> str | None:
    """Why ``record`` cannot be resumed, or None when it can."""
    from ..harnesses.errors import LaunchError
    from ..harnesses.registry import get_adapter
    from ..harnesses.session_files import session_exists

    if record.state == "running":
        return f"session {record.id} is still running"
    try:
        adapter = get_adapter(record.harness)
    except (LaunchError, KeyError, ValueError):
        return f"{record.harness} is not a harness this amux knows"
    if not (adapter.CAN_RESUME and adapter.RESUME_BY_ID):
        return f"{adapter.label} cannot resume a given session"
    if not record.harness_session_id:
        return (f"{adapter.label} left no session of its own for amux to find in its home "
                f"({record.harness_home or 'none: it ran on its native route, with your own config'})")
    if not session_exists(record.harness, record.harness_home, record.harness_session_id):
        return f"{adapter.label}'s files for session {record.harness_session_id} are gone from {record.harness_home}"
    if not os.path.isdir(record.cwd):
        return f"its directory {record.cwd} is gone"
    return None


def resume_arguments(record: SessionRecord, config: str | None = None,
                     harness_args: list[str] | None = None) -> argparse.Namespace:
    """The ``amux launch`` arguments that resume ``record`` (plus arguments for the harness)."""
    args = argparse.Namespace(harness=record.harness, provider=record.provider, model=record.model,
                              proxy_mode=record.proxy_mode or "never", resume=record.harness_session_id,
                              harness_args=list(harness_args or []), dry_run=False, provider_arg=[], worktree=None,
                              worktree_from_dirty=False, existing_worktree=_worktree(record))
    if config:
        args.config = config
    return args


def _worktree(record: SessionRecord) -> Any:
    if not record.worktree_path:
        return None
    from .commands import worktree_of

    return worktree_of(record)


def resume_session(store: SessionStore, record: SessionRecord, args: argparse.Namespace,
                   launch: Callable[[argparse.Namespace], int]) -> int:
    """Relaunch ``record`` with ``launch`` (`amux launch`) in its own directory."""
    from .liveness import mark_lost_sessions

    mark_lost_sessions(store)
    record = store.get(record.id) or record
    problem = resume_problem(record)
    if problem:
        raise RecordsError(f"cannot resume {record.id}: {problem}")
    os.chdir(record.cwd)  # the harness finds its session by directory
    print(f"amux: resuming {record.harness} session {record.harness_session_id} (amux {record.id})", file=sys.stderr)
    return launch(resume_arguments(record, getattr(args, "config", None), getattr(args, "harness_args", None)))
