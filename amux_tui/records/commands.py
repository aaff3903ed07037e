"""``amux sessions``: list the recorded sessions; diff, merge, discard or resume one."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from .store import RecordsError, SessionRecord, SessionStore

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


Launcher = Callable[[argparse.Namespace], int]
"""Runs ``amux launch`` with the given arguments and returns its exit code (`launch_command.cmd_launch`)."""


def cmd_sessions(args: argparse.Namespace, *, launch: Launcher) -> int:
    """``launch``: what ``resume`` relaunches with (given by the command above this room)."""
    from ..worktrees.git import GitError

    store = SessionStore.default()
    try:
        action = getattr(args, "sessions_command", None)
        if action is None:
            return list_sessions(store, as_json=args.json, include_all=args.all)
        record = store.find(args.id)
        if action == "resume":
            return resume(store, record, args, launch)
        return {"diff": show_diff, "merge": merge, "discard": discard}[action](store, record, args)
    except (RecordsError, GitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def list_sessions(store: SessionStore, *, as_json: bool, include_all: bool) -> int:
    from .liveness import mark_lost_sessions

    mark_lost_sessions(store)
    records = store.listing(include_all=include_all)
    if as_json:
        print(json.dumps([record.to_public_dict() for record in records], indent=2))
        return EXIT_OK
    if not records:
        print("no sessions recorded yet: `amux launch HARNESS` or the dashboard starts one")
        return EXIT_OK
    print(f"{'ID':<12} {'STATE':<9} {'HARNESS':<8} {'PROVIDER/MODEL':<32} {'STARTED':<16} {'TIME':>7} "
          f"{'REQ':>4} {'TOKENS IN/OUT':>14} {'COST':>9}  WHERE")
    now = time.time()
    for record in records:
        print(f"{record.id:<12} {state_text(record):<9} {record.harness:<8} "
              f"{_cut(record.provider + '/' + record.model, 32):<32} {_when(record.started):<16} "
              f"{duration_text((record.ended or now) - record.started):>7} {record.requests:>4} "
              f"{tokens_text(record):>14} {cost_text(record.cost):>9}  {where_text(record)}")
    total = sum(record.cost or 0.0 for record in records)
    unknown = sum(1 for record in records if record.cost is None)
    note = f" ({unknown} without a known cost)" if unknown else ""
    print(f"total cost of the sessions listed: {cost_text(total)}{note}")
    return EXIT_OK


def state_text(record: SessionRecord) -> str:
    if record.state == "exited" and record.exit_code:
        return f"exit {record.exit_code}"
    return record.state


def cost_text(cost: float | None) -> str:
    return "$—" if cost is None else f"${cost:.4f}"


def tokens_text(record: SessionRecord) -> str:
    return f"{record.input_tokens}/{record.output_tokens}"


def duration_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def where_text(record: SessionRecord) -> str:
    return f"{record.worktree_branch} ({record.worktree_path})" if record.worktree_branch else record.cwd


def _when(started: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(started))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- worktree actions ---------------------------------------------------------------------------

def worktree_of(record: SessionRecord) -> Any:
    """The record's worktree; GitError when the session ran without one."""
    from pathlib import Path

    from ..worktrees.git import GitError
    from ..worktrees.worktree import Worktree

    if not (record.worktree_path and record.worktree_branch and record.base_commit and record.origin_path):
        raise GitError(f"session {record.id} ran in {record.cwd} without a worktree of its own: its changes "
                       "are not separate from anything else there (launch with --worktree next time)")
    return Worktree(Path(record.worktree_path), record.worktree_branch, record.base_commit,
                    Path(record.origin_path), record.origin_branch)


def commit_message(record: SessionRecord) -> str:
    return (f"amux: work of {record.harness} session {record.id}\n\n"
            f"{record.harness} on {record.provider}/{record.model} ({record.route}), "
            f"started {_when(record.started)}.")


def show_diff(store: SessionStore, record: SessionRecord, args: argparse.Namespace) -> int:
    from ..worktrees.changes import diff_text

    worktree = worktree_of(record)
    text = diff_text(worktree.path, worktree.base_commit, stat=args.stat, color=sys.stdout.isatty())
    sys.stdout.write(text or f"session {record.id} changed nothing against {worktree.base_commit[:10]}\n")
    return EXIT_OK


def merge(store: SessionStore, record: SessionRecord, args: argparse.Namespace) -> int:
    from ..worktrees.git import GitError
    from ..worktrees.merging import merge_worktree

    worktree = worktree_of(record)
    _refuse_while_running(store, record, "merge")
    try:
        result = merge_worktree(worktree, commit_message(record))
    except GitError as exc:
        print(f"error: not merged: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if result.committed_work:
        print(f"committed the session's uncommitted work as {result.committed_work[:10]}")
    print(f"merged {worktree.branch} into {worktree.origin_branch} in {worktree.origin_path} ({result.commit[:10]})")
    return EXIT_OK


def discard(store: SessionStore, record: SessionRecord, args: argparse.Namespace) -> int:
    from ..worktrees.merging import discard_worktree

    worktree = worktree_of(record)
    _refuse_while_running(store, record, "discard")
    if not args.yes:
        if not sys.stdin.isatty():
            print("error: discarding deletes the worktree and its branch with all their changes: "
                  "rerun with --yes to confirm", file=sys.stderr)
            return EXIT_USAGE
        answer = input(f"Remove {worktree.path} and branch {worktree.branch}, with every change in them? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept")
            return EXIT_OK
    discard_worktree(worktree)
    print(f"removed {worktree.path} and branch {worktree.branch}")
    return EXIT_OK


def _refuse_while_running(store: SessionStore, record: SessionRecord, what: str) -> None:
    from .liveness import mark_lost_sessions

    mark_lost_sessions(store)
    current = store.get(record.id) or record
    if current.state == "running":
        raise RecordsError(f"session {record.id} is still running: end it first, then {what} it")


def resume(store: SessionStore, record: SessionRecord, args: argparse.Namespace, launch: Launcher) -> int:
    from .resuming import resume_session

    return resume_session(store, record, args, launch)
