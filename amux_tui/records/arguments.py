"""``amux sessions`` arguments (kept here so the command's shape lives with its room)."""

from __future__ import annotations

import argparse


def add_sessions_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sessions", parents=parents, help="sessions amux ran: list, diff, merge, discard, resume",
                       description="With no action: running sessions first, then the recent ended ones.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="every recorded session, not only the recent ones")
    actions = p.add_subparsers(dest="sessions_command", metavar="ACTION")
    diff = actions.add_parser("diff", help="what a session changed against its base (committed, uncommitted, new)")
    diff.add_argument("id", help="session id (a unique prefix is enough)")
    diff.add_argument("--stat", action="store_true", help="files and +/- counts only")
    merge = actions.add_parser("merge", help="commit a session's work and merge its branch into the branch it came from")
    merge.add_argument("id", help="session id (a unique prefix is enough)")
    discard = actions.add_parser("discard", help="remove a session's worktree and branch")
    discard.add_argument("id", help="session id (a unique prefix is enough)")
    discard.add_argument("--yes", action="store_true", help="do not ask")
    resume = actions.add_parser("resume", help="relaunch a session with its harness's own resume",
                                description="Arguments after -- go to the harness (e.g. -- -p PROMPT).")
    resume.add_argument("id", help="session id (a unique prefix is enough)")
