"""What a session changed against its base commit: committed, uncommitted and new files alike.

Uncommitted and untracked files are staged into a temporary copy of the worktree's index, so the
diff sees them without touching the real index (the agent's own ``git add`` state stays as it is).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .git import GitError, run_git


@dataclass(frozen=True)
class FileChange:
    path: str
    added: int | None
    """Lines added (None for a binary file)."""
    removed: int | None

    @property
    def binary(self) -> bool:
        return self.added is None


@dataclass(frozen=True)
class Changes:
    files: tuple[FileChange, ...]

    @property
    def added(self) -> int:
        return sum(change.added or 0 for change in self.files)

    @property
    def removed(self) -> int:
        return sum(change.removed or 0 for change in self.files)


@contextlib.contextmanager
def everything_staged(worktree: Path) -> Iterator[dict[str, str]]:
    """An environment whose GIT_INDEX_FILE is a copy of the worktree's index with every change added."""
    index = Path(run_git(worktree, "rev-parse", "--git-path", "index").stdout.strip())
    if not index.is_absolute():
        index = worktree / index
    with tempfile.TemporaryDirectory(prefix="amux-index-") as folder:
        copy = Path(folder) / "index"
        if index.exists():
            shutil.copyfile(index, copy)
        env = {"GIT_INDEX_FILE": str(copy)}
        run_git(worktree, "add", "--all", "--", ".", env=env)
        yield env


def _check_worktree(worktree: str | os.PathLike[str]) -> Path:
    path = Path(worktree)
    if not path.is_dir():
        raise GitError(f"the session's worktree {path} is gone (discarded, or removed by hand)")
    return path


def diff_text(worktree: str | os.PathLike[str], base: str, *, stat: bool = False, color: bool = False) -> str:
    """``git diff`` (or ``--stat``) of everything in ``worktree`` against ``base``."""
    path = _check_worktree(worktree)
    with everything_staged(path) as env:
        args = ["diff", "--cached", "--stat" if stat else "--patch", f"--color={'always' if color else 'never'}", base]
        return run_git(path, *args, env=env).stdout


def changes(worktree: str | os.PathLike[str], base: str) -> Changes:
    """Files changed against ``base`` with their +/- line counts."""
    path = _check_worktree(worktree)
    with everything_staged(path) as env:
        out = run_git(path, "diff", "--cached", "--numstat", "-z", base, env=env).stdout
    return Changes(tuple(_numstat(out)))


def _numstat(out: str) -> Iterator[FileChange]:
    # -z: "added\tremoved\tpath\0", or for a rename "added\tremoved\t\0old\0new\0".
    parts = out.split("\0")
    index = 0
    while index < len(parts):
        entry = parts[index]
        index += 1
        if not entry:
            continue
        added, removed, name = entry.split("\t", 2)
        if not name:
            name = parts[index + 1] if index + 1 < len(parts) else parts[index]
            index += 2
        yield FileChange(name, None if added == "-" else int(added), None if removed == "-" else int(removed))


def file_diff(worktree: str | os.PathLike[str], base: str, file: str) -> str:
    """The patch of one file against ``base`` (for a diff view)."""
    path = _check_worktree(worktree)
    with everything_staged(path) as env:
        return run_git(path, "diff", "--cached", "--patch", "--color=never", base, "--", file, env=env).stdout
