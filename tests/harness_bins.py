"""Where the tests find the real harness binaries (claude, codex, gemini, opencode, qwen, aider).

Looked up in ``$AMUX_HARNESS_BIN`` (one folder, or several joined by ``os.pathsep``, as amux
itself reads it), then ``<repo>/.cache/harnesses/node_modules/.bin`` (where ``.ci/run``
installs the pinned npm versions), then ``<repo>/.cache/aider-venv/bin`` (Aider's own venv,
since it pins its own LiteLLM), then ``PATH``. A missing binary skips the test on a developer
machine, but fails it under CI (env ``CI`` set), so CI can never pass by not running the
harness tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE_BIN = REPO / ".cache" / "harnesses" / "node_modules" / ".bin"
AIDER_CACHE_BIN = REPO / ".cache" / "aider-venv" / "bin"


def search_folders() -> list[str]:
    """The folders looked in before ``PATH``, in order."""
    configured = [part for part in os.environ.get("AMUX_HARNESS_BIN", "").split(os.pathsep) if part]
    return [*configured, str(CACHE_BIN), str(AIDER_CACHE_BIN)]


def find_binary(name: str) -> str | None:
    """The path of harness binary ``name``, or None."""
    for folder in search_folders():
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def require_binary(name: str) -> str:
    """The path of harness binary ``name``; skips the test if missing (fails under CI)."""
    path = find_binary(name)
    if path is None:
        message = (
            f"harness binary {name!r} not found in $AMUX_HARNESS_BIN, {CACHE_BIN}, {AIDER_CACHE_BIN} or PATH "
            "(install with: bash .ci/run)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
