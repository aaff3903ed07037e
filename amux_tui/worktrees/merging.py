"""Committing a session's work, merging its branch into the branch it came from, discarding it.

A merge is all or nothing: refused (with the reason) when the target checkout is dirty, is not on
the branch the session came from, or when the merge would conflict — tried first with
``git merge-tree``, which touches no checkout — so nothing is ever half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from .changes import everything_staged
from .git import GitError, current_branch, dirty_paths, run_git
from .worktree import Worktree, remove_worktree

_IDENTITY = ("-c", "user.name=amux", "-c", "user.email=amux@localhost")


@dataclass(frozen=True)
class MergeResult:
    commit: str
    committed_work: str | None
    """The commit made of the session's uncommitted work first (None: there was none)."""


def _identity_args(path) -> tuple[str, ...]:  # noqa: ANN001
    """Commit as the user when git knows who they are, else as amux."""
    known = run_git(path, "config", "user.email", check=False).stdout.strip()
    return () if known else _IDENTITY


def commit_work(worktree: Worktree, message: str) -> str | None:
    """Commit everything uncommitted in the worktree (new files too); the commit, or None if clean."""
    if not dirty_paths(worktree.path):
        return None
    run_git(worktree.path, "add", "--all")
    run_git(worktree.path, *_identity_args(worktree.path), "commit", "--quiet", "--no-verify", "-m", message)
    return run_git(worktree.path, "rev-parse", "HEAD").stdout.strip()


def _snapshot(worktree: Worktree, message: str) -> str:
    """A commit of everything in the worktree now, made without touching its branch or index."""
    if not dirty_paths(worktree.path):
        return worktree.branch
    with everything_staged(worktree.path) as env:
        tree = run_git(worktree.path, "write-tree", env=env).stdout.strip()
    return run_git(worktree.path, *_identity_args(worktree.path), "commit-tree", tree, "-p", "HEAD",
                   "-m", message).stdout.strip()


def merge_worktree(worktree: Worktree, message: str) -> MergeResult:
    """Commit the session's uncommitted work, then merge its branch into the origin branch."""
    target, branch = worktree.origin_path, worktree.origin_branch
    if branch is None:
        raise GitError(f"nothing to merge into: {target} was on a detached HEAD when the session started")
    if not target.is_dir():
        raise GitError(f"the checkout the session came from, {target}, is gone")
    checked_out = current_branch(target)
    if checked_out != branch:
        raise GitError(f"{target} is on {checked_out or 'a detached HEAD'}, not {branch} (the branch the "
                       f"session came from): `git switch {branch}` there first")
    dirty = dirty_paths(target, untracked=False)
    if dirty:
        shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise GitError(f"{target} has uncommitted changes ({shown}): commit or stash them, then merge")
    if not worktree.path.is_dir():
        raise GitError(f"the session's worktree {worktree.path} is gone")
    # Try the merge on what the session has, committed or not, before committing anything.
    trial = run_git(target, "merge-tree", "--write-tree", "--name-only", "--no-messages", branch,
                    _snapshot(worktree, message), check=False)
    if trial.returncode == 1:
        conflicted = [line for line in trial.stdout.splitlines()[1:] if line.strip()]
        raise GitError(f"merging {worktree.branch} into {branch} would conflict in {', '.join(conflicted) or 'some files'}; "
                       f"nothing was changed: resolve it by hand (git merge {worktree.branch} in {target}) or "
                       "discard the session")
    if trial.returncode != 0:
        raise GitError(f"git merge-tree failed in {target}: {trial.stderr.strip()}")
    committed = commit_work(worktree, message)
    done = run_git(target, *_identity_args(target), "merge", "--no-ff", "--no-edit", "-m",
                   f"Merge {worktree.branch}: {message.splitlines()[0]}", worktree.branch, check=False)
    if done.returncode != 0:
        run_git(target, "merge", "--abort", check=False)  # e.g. an untracked file in the way
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise GitError(f"git merge refused, nothing was changed: {reason[0] if reason else 'no reason given'}")
    return MergeResult(run_git(target, "rev-parse", "HEAD").stdout.strip(), committed)


def discard_worktree(worktree: Worktree) -> None:
    """Remove the worktree and its branch (uncommitted work included)."""
    remove_worktree(worktree)
