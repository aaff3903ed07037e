"""Folders the user trusts in amux: only for these does amux pre-accept a harness's workspace-trust
prompt (Claude Code's trust dialog, Codex's ``trust_level``, Gemini CLI's folder trust).

Those prompts guard a repository's own hooks, MCP servers and settings, so amux never answers them
for a folder the user has not trusted here (``amux launch --trust``, the dashboard's "Trust this
folder"). The list is ``trusted_dirs`` in ``<state dir>/trust.json`` (0600, written atomically); a
folder is trusted when it or one of its parents is listed. Paths are compared resolved (symlinks
followed), so a link into a trusted tree is trusted and a link out of it is not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..files import locked, replace_atomically
from .locations import state_root

TRUST_FILE = "trust.json"


def trust_file(env: Mapping[str, str] | None = None) -> Path:
    return state_root(env) / TRUST_FILE


def trusted_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The folders trusted in amux; [] when none (or the file is unreadable: then nothing is trusted)."""
    try:
        data = json.loads(trust_file(env).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    listed = data.get("trusted_dirs") if isinstance(data, dict) else None
    return [Path(entry) for entry in listed if isinstance(entry, str) and entry] if isinstance(listed, list) else []


def is_trusted(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> bool:
    """Whether ``path`` (resolved) or one of its parents was trusted in amux."""
    target = Path(path).resolve()
    return any(target == folder or folder in target.parents for folder in trusted_dirs(env))


def trust(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Path:
    """Record ``path`` (resolved) as trusted; returns the resolved folder. Raises OSError if the
    state dir is not writable."""
    folder = Path(path).resolve()
    target = trust_file(env)
    target.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    with locked(target.with_name(target.name + ".lock")):
        # Re-read under the lock: a concurrent `trust` (another amux) is merged, not overwritten.
        current = trusted_dirs(env)
        if folder not in current:
            text = json.dumps({"trusted_dirs": [str(p) for p in [*current, folder]]}, indent=2) + "\n"
            replace_atomically(target, text, fsync=True)
    return folder
