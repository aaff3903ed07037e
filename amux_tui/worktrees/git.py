"""Running ``git``: one function, clear errors when git is missing or a directory is no repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

GIT_TIMEOUT = 120.0


class GitError(Exception):
    """A git operation refused or failed; ``str()`` says why (and what to do, when we know)."""


def git_binary() -> str:
    found = shutil.which("git")
    if found is None:
        raise GitError("git is not installed (or not on PATH): worktrees, diffs and merges need it; "
                       "install git (e.g. apt install git) and try again")
    return found


def run_git(cwd: str | os.PathLike[str], *args: str, check: bool = True, env: Mapping[str, str] | None = None,
            input_bytes: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """``git -C cwd ARGS``; GitError with git's own message when it fails and ``check``."""
    command = [git_binary(), "-C", str(cwd), *args]
    merged = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        done = subprocess.run(command, capture_output=True, env=merged, timeout=GIT_TIMEOUT,
                              input=input_bytes, check=False)
    except FileNotFoundError:
        raise GitError(f"cannot run git in {cwd}: the directory does not exist") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args)} took longer than {GIT_TIMEOUT:.0f} s in {cwd}") from None
    result = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
                                         done.stderr.decode("utf-8", "replace"))
    if check and result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])} failed in {cwd}: {message[-1] if message else 'no output'}")
    return result


def repository_root(path: str | os.PathLike[str]) -> Path:
    """The top of the work tree ``path`` is in; GitError when it is not in a repository."""
    if not Path(path).is_dir():
        raise GitError(f"{path} is not a directory")
    done = run_git(path, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise GitError(f"{path} is not inside a git repository: run `git init` there (and commit once), "
                       "or launch without --worktree")
    return Path(done.stdout.strip())


def head_commit(root: str | os.PathLike[str]) -> str | None:
    """The commit HEAD points at, or None in a repository without commits."""
    done = run_git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    return done.stdout.strip() or None if done.returncode == 0 else None


def current_branch(root: str | os.PathLike[str]) -> str | None:
    """The checked-out branch's short name, or None when HEAD is detached."""
    done = run_git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    return done.stdout.strip() or None if done.returncode == 0 else None


def has_commits(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is in a git repository with at least one commit (never raises)."""
    try:
        return head_commit(repository_root(path)) is not None
    except GitError:
        return False


def dirty_paths(root: str | os.PathLike[str], *, untracked: bool = True) -> list[str]:
    """Paths with uncommitted changes (``git status --porcelain``)."""
    args = ["status", "--porcelain", "-z", f"--untracked-files={'all' if untracked else 'no'}"]
    out = run_git(root, *args).stdout
    entries = [entry for entry in out.split("\0") if entry]
    paths: list[str] = []
    skip = False
    for entry in entries:
        if skip:  # the source of a rename
            skip = False
            continue
        paths.append(entry[3:])
        skip = entry[0] in "RC"
    return paths
