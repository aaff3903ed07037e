"""Harness versions remembered on disk, so `amux harnesses`, `amux doctor` and the dashboard do not
start every agent CLI (0.5-3 s each, Node start-up) on every run.

An entry is keyed by the binary's resolved path, size and modification time: an upgrade or a
reinstall changes them and the version is probed again. Only successful probes are kept.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from .preflight_cache import cache_path

CACHE_FILE = "versions.json"


def _fingerprint(binary: str) -> str | None:
    try:
        real = os.path.realpath(binary)
        info = os.stat(real)
    except OSError:
        return None
    return f"{real}:{info.st_size}:{info.st_mtime_ns}"


def _file(env: Mapping[str, str] | None) -> Path:
    return cache_path(env).with_name(CACHE_FILE)


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}


def cached_version(binary: str, env: Mapping[str, str] | None = None) -> str | None:
    key = _fingerprint(binary)
    return _read(_file(env)).get(key) if key else None


def remember_version(binary: str, version: str, env: Mapping[str, str] | None = None) -> None:
    """Store one version; a cache that cannot be written is skipped (it is only a cache)."""
    key = _fingerprint(binary)
    if not key:
        return
    path = _file(env)
    entries = {k: v for k, v in _read(path).items() if os.path.exists(k.rsplit(":", 2)[0])}
    entries[key] = version
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=1), encoding="utf-8")
        os.replace(tmp, path)
