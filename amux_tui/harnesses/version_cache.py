"""Harness versions remembered on disk, so `amux harnesses`, `amux doctor` and the dashboard do not
start every agent CLI (0.5-3 s each, Node start-up) on every run.

An entry is keyed by the path the binary was found at and by the file it resolves to (path, size,
modification time): an upgrade or a reinstall changes the file and the version is probed again.
The found path is part of the key because version managers (Volta, mise) link every tool to one
shim executable: keyed by the resolved file alone, claude's version would be shown for codex. A
shim does not change when the tool behind it is upgraded, so an entry is also probed again once it
is a day old. Only successful probes are kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

from ..files import replace_atomically
from .preflight_cache import cache_path

CACHE_FILE = "versions.json"
MAX_AGE = 24 * 3600
"""Seconds an entry is trusted (bounds how long an upgrade behind an unchanged shim goes unseen)."""


def _fingerprint(binary: str) -> str | None:
    try:
        real = os.path.realpath(binary)
        info = os.stat(real)
    except OSError:
        return None
    return json.dumps([os.path.abspath(binary), real, info.st_size, info.st_mtime_ns])


def _file(env: Mapping[str, str] | None) -> Path:
    return cache_path(env).with_name(CACHE_FILE)


def _read(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: entry for key, entry in data.items() if isinstance(entry, dict)
            and isinstance(entry.get("version"), str) and isinstance(entry.get("checked"), (int, float))}


def _still_there(key: str) -> bool:
    with contextlib.suppress(ValueError, TypeError, IndexError):
        return os.path.exists(json.loads(key)[0])
    return False


def cached_version(binary: str, env: Mapping[str, str] | None = None) -> str | None:
    key = _fingerprint(binary)
    entry = _read(_file(env)).get(key) if key else None
    if entry is None or not 0 <= time.time() - entry["checked"] < MAX_AGE:
        return None
    return entry["version"]


def remember_version(binary: str, version: str, env: Mapping[str, str] | None = None) -> None:
    """Store one version; a cache that cannot be written is skipped (it is only a cache)."""
    key = _fingerprint(binary)
    if not key:
        return
    path = _file(env)
    entries = {k: v for k, v in _read(path).items() if _still_there(k)}
    entries[key] = {"version": version, "checked": time.time()}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, json.dumps(entries, indent=1), mode=0o666)  # a cache: no secret in it
