"""A small on-disk cache of successful provider probes, so repeated launches start at once.

One JSON file in the user cache dir; entries expire after `CACHE_TTL` seconds. Keys are hashes
(of provider, endpoint, model and a fingerprint of the key), never the key itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..files import replace_atomically
from ..providers.resolved import ResolvedProvider

CACHE_TTL = 600.0
CACHE_FILE = "preflight.json"


def cache_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("AMUX_CACHE_DIR"):
        return Path(env["AMUX_CACHE_DIR"]) / CACHE_FILE
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "amux" / CACHE_FILE
    from platformdirs import user_cache_path

    return user_cache_path("amux", appauthor=False) / CACHE_FILE


def cache_key(provider: ResolvedProvider, model: str) -> str:
    key_print = hashlib.sha256((provider.api_key or "").encode()).hexdigest()[:16]
    raw = json.dumps([provider.name, provider.type, provider.api_base, list(provider.api_formats), model, key_print])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def load(key: str, *, path: Path, now: float | None = None) -> dict[str, Any] | None:
    entry = _read(path).get(key)
    now = time.time() if now is None else now
    if not isinstance(entry, dict) or not isinstance(entry.get("at"), (int, float)):
        return None
    if now - entry["at"] > CACHE_TTL or entry["at"] > now + 5:
        return None
    data = entry.get("data")
    return data if isinstance(data, dict) else None


def store(key: str, data: dict[str, Any], *, path: Path, now: float | None = None) -> None:
    """Add an entry and drop expired ones; a cache that cannot be written is silently skipped."""
    now = time.time() if now is None else now
    entries = {k: v for k, v in _read(path).items()
               if isinstance(v, dict) and isinstance(v.get("at"), (int, float)) and now - v["at"] <= CACHE_TTL}
    entries[key] = {"at": now, "data": data}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, json.dumps(entries), mode=0o666)  # hashes only: no secret in it


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
