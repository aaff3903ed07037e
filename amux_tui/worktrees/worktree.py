"""Making a session's worktree: ``git worktree add -b amux/NAME <state>/worktrees/... HEAD``."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..files import state_root
from .git import GitError, current_branch, dirty_paths, head_commit, repository_root, run_git

BRANCH_PREFIX = "amux/"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Worktree:
    path: Path
    branch: str
    base_commit: str
    origin_path: Path
    """The checkout it was made from: where `merge` goes."""
    origin_branch: str | None
    """The branch checked out there at the time (None: detached HEAD, nothing to merge into)."""


def worktrees_root(env: Mapping[str, str] | None = None) -> Path:
    return state_root(env) / "worktrees"


def repository_folder(root: Path) -> str:
    """One folder per repository: its name plus a short hash of its path (two clones never meet)."""
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:8]
    return f"{root.name or 'repo'}-{digest}"


def new_name(harness: str) -> str:
    return f"{harness}-{secrets.token_hex(3)}"


def check_name(name: str) -> str:
    if not _NAME.match(name) or name.endswith((".lock", ".")) or ".." in name:
        raise GitError(f"{name!r} cannot name a worktree: use letters, digits, '.', '_' or '-' "
                       "(at most 64, starting with a letter or digit)")
    return name


def create_worktree(cwd: str | os.PathLike[str], name: str, *, from_dirty: bool = False,
                    env: Mapping[str, str] | None = None) -> Worktree:
    """A new worktree of the repository ``cwd`` is in, on branch ``amux/NAME`` from its HEAD.

    Uncommitted changes of the checkout stay there unless ``from_dirty`` (then tracked changes
    and untracked files are copied in, uncommitted). GitError when git is missing, ``cwd`` is
    not in a repository with commits, or the name is taken.
    """
    check_name(name)
    root = repository_root(cwd)
    base = head_commit(root)
    if base is None:
        raise GitError(f"the repository at {root} has no commits yet: commit once (a worktree starts "
                       "from HEAD), or launch without --worktree")
    branch = BRANCH_PREFIX + name
    path = worktrees_root(env) / repository_folder(root) / name
    if run_git(root, "show-ref", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0:
        raise GitError(f"the worktree name {name!r} is in use: branch {branch} exists in {root} "
                       "(pick another name, or `amux sessions discard` the old session)")
    if path.exists():
        raise GitError(f"the worktree name {name!r} is in use: {path} exists (pick another name)")
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    run_git(root, "worktree", "add", "--quiet", "-b", branch, str(path), base)
    worktree = Worktree(path, branch, base, root, current_branch(root))
    if from_dirty:
        try:
            copy_uncommitted(root, path)
        except (GitError, OSError) as exc:
            remove_worktree(worktree)
            raise GitError(f"cannot copy the uncommitted changes into the new worktree: {exc}") from None
    return worktree


def matching_dir(worktree: Worktree, cwd: str | os.PathLike[str]) -> Path:
    """Where in the worktree ``cwd`` (a directory of the origin checkout) is: the harness starts
    there, as it would have in the checkout (its root when ``cwd`` is outside it)."""
    try:
        relative = Path(cwd).resolve().relative_to(worktree.origin_path.resolve())
    except ValueError:
        return worktree.path
    return worktree.path / relative


def copy_uncommitted(source: Path, target: Path) -> None:
    """Tracked changes (staged or not) as a binary patch, untracked files copied as they are."""
    patch = run_git(source, "diff", "--binary", "HEAD").stdout
    if patch.strip():
        run_git(target, "apply", "--binary", "--whitespace=nowarn", input_bytes=patch.encode())
    untracked = run_git(source, "ls-files", "--others", "--exclude-standard", "-z").stdout
    for relative in filter(None, untracked.split("\0")):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, destination, follow_symlinks=False)


def remove_worktree(worktree: Worktree) -> None:
    """Remove the worktree (even with changes) and its branch."""
    run_git(worktree.origin_path, "worktree", "remove", "--force", str(worktree.path), check=False)
    if worktree.path.exists():
        shutil.rmtree(worktree.path, ignore_errors=True)
        run_git(worktree.origin_path, "worktree", "prune", check=False)
    run_git(worktree.origin_path, "branch", "-D", worktree.branch, check=False)


def is_dirty(path: Path) -> bool:
    return bool(dirty_paths(path))
