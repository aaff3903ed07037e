"""LiteLLM's bundled model table (``model_prices_and_context_window_backup.json`` inside the
installed ``litellm`` package), read as a data file: importing LiteLLM costs seconds, the ~1 MB
file is parsed once (tens of milliseconds) and kept for every reader in the process: prices
(`providers.prices`) and the facts the proxy translates by (`proxy.model_facts`).

`ModelTable.load` blocks: callers on an event loop use `load_in_thread`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

TABLE_FILE = "model_prices_and_context_window_backup.json"


def table_path() -> Path | None:
    """The table inside the installed litellm package (found without importing it), or None."""
    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / TABLE_FILE
        if candidate.is_file():
            return candidate
    return None


class ModelTable:
    """The table's entries by model name (``path`` None: the installed litellm's file)."""

    def __init__(self, path: Path | None = None):
        self._path = path
        self._entries: dict[str, dict[str, Any]] | None = None
        self._lowered: dict[str, dict[str, Any]] = {}
        self.problem: str | None = None
        """Why the table is empty (not installed, unreadable), once loaded."""
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._entries is not None

    def load(self) -> ModelTable:
        """Read the file once (blocking); a missing or broken file leaves an empty table and a `problem`."""
        with self._lock:
            if self._entries is not None:
                return self
            path = self._path or table_path()
            entries: dict[str, dict[str, Any]] = {}
            if path is None:
                self.problem = "LiteLLM's model table was not found (is litellm installed?)"
            else:
                try:
                    data = json.loads(path.read_bytes())
                    if not isinstance(data, dict):
                        raise ValueError("not a JSON object")
                    entries = {str(name): entry for name, entry in data.items() if isinstance(entry, dict)}
                except (OSError, ValueError, RecursionError) as exc:
                    self.problem = f"LiteLLM's model table {path} cannot be read: {exc}"
            self._lowered = {name.lower(): entry for name, entry in entries.items()}
            self._entries = entries
        return self

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        """Every entry by its exact name ({} until loaded)."""
        return self._entries or {}

    def get(self, name: str, *, any_case: bool = False) -> dict[str, Any] | None:
        """The entry named ``name`` (``any_case``: ignoring case), or None, also while not loaded."""
        return self._lowered.get(name.lower()) if any_case else self.entries.get(name)


_SHARED = ModelTable()


def shared_table() -> ModelTable:
    """The process's table (maybe not loaded yet)."""
    return _SHARED


def load_shared_table() -> ModelTable:
    """The process's table, read now if it was not yet (blocking)."""
    return _SHARED.load()


async def load_in_thread() -> ModelTable:
    """`load_shared_table` off the event loop (at once when it was read already)."""
    table = _SHARED
    return table if table.loaded else await asyncio.to_thread(table.load)
