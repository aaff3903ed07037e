"""Where amux keeps harness state, and where it looks for harness binaries.

- harness homes: ``$XDG_STATE_HOME/amux/homes/<harness>``. A proxied or direct session points the
  harness's own override (CLAUDE_CONFIG_DIR, CODEX_HOME, GEMINI_CLI_HOME, QWEN_HOME) here, never at
  the user's config. It persists, so the harness's history and ``--resume`` work across sessions.
- session dirs: ``$XDG_STATE_HOME/amux/sessions/<harness>-<pid>-<random>``, per-session files
  (settings layers, model metadata); removed when the session ends, and swept when their owner died.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..files import replace_atomically, state_root
from .base import FileSeed

OWNER_FILE = ".owner"
BIN_ENV = "AMUX_HARNESS_BIN"
"""Extra directories (``os.pathsep``-separated) searched for harness binaries before ``PATH``."""


def harness_home(harness: str, env: Mapping[str, str] | None = None) -> Path:
    return state_root(env) / "homes" / harness


def sessions_root(env: Mapping[str, str] | None = None) -> Path:
    return state_root(env) / "sessions"


def new_session_dir(harness: str, env: Mapping[str, str] | None = None) -> Path:
    """A fresh, not yet created, per-session path."""
    return sessions_root(env) / f"{harness}-{os.getpid()}-{secrets.token_hex(4)}"


def create_session_dir(path: Path) -> None:
    path.mkdir(parents=True, mode=0o700, exist_ok=True)
    (path / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")


def remove_session_dir(path: Path | str | None) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)


def sweep_stale_session_dirs(root: Path) -> int:
    """Remove session dirs under ``root`` whose owning amux process is gone (a crash or SIGKILL)."""
    removed = 0
    with contextlib.suppress(OSError):
        for entry in root.iterdir():
            try:
                pid = int((entry / OWNER_FILE).read_text(encoding="ascii"))
            except (OSError, ValueError):
                continue
            if not _alive(pid):
                remove_session_dir(entry)
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def binary_search_path(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    parts = [p for p in env.get(BIN_ENV, "").split(os.pathsep) if p] + [env.get("PATH", os.defpath)]
    return os.pathsep.join(parts)


def find_binary(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The binary's full path: ``$AMUX_HARNESS_BIN`` first, then ``PATH``; None when absent."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    return shutil.which(name, path=binary_search_path(env))


def write_seed(seed: FileSeed) -> None:
    """Write one file (atomically, owner-only): replace it, or merge keys into its JSON object."""
    seed.path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if seed.mode == "merge-json":
        current = _read_json_object(seed.path)
        content = json.dumps(merge_json(current, seed.content if isinstance(seed.content, dict) else {}), indent=2)
    else:
        content = seed.content if isinstance(seed.content, str) else json.dumps(seed.content, indent=2)
    replace_atomically(seed.path, content)


def merge_json(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` wins; objects merge key by key; lists gain the new items (a harness's own entries stay)."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = merge_json(old, value)
        elif isinstance(value, list) and isinstance(old, list):
            merged[key] = old + [item for item in value if item not in old]
        else:
            merged[key] = value
    return merged


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
