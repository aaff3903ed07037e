"""The harnesses amux knows: one adapter instance per harness, by name. Add a harness here."""

from __future__ import annotations

import difflib

from .aider import Aider
from .base import HarnessAdapter
from .claude import ClaudeCode
from .codex import Codex
from .errors import LaunchError
from .gemini import GeminiCli
from .opencode import OpenCode
from .qwen import QwenCode
from .shell import Shell

ADAPTERS: dict[str, HarnessAdapter] = {
    adapter.name: adapter
    for adapter in (ClaudeCode(), Codex(), GeminiCli(), OpenCode(), QwenCode(), Aider(), Shell())
}

ALIASES = {"claude-code": "claude", "gemini-cli": "gemini", "qwen-code": "qwen", "sh": "shell", "custom": "shell"}


def harness_names() -> list[str]:
    return list(ADAPTERS)


def get_adapter(name: str) -> HarnessAdapter:
    """The adapter for ``name`` (or an alias); LaunchError with close matches otherwise."""
    key = ALIASES.get(name.lower(), name.lower())
    if key in ADAPTERS:
        return ADAPTERS[key]
    close = difflib.get_close_matches(key, [*ADAPTERS, *ALIASES], n=2, cutoff=0.5)
    suggestions = dict.fromkeys(ALIASES.get(c, c) for c in close)  # "claud" is close to claude and claude-code
    hint = f" did you mean {' or '.join(repr(s) for s in suggestions)}?" if close else ""
    raise LaunchError(f"unknown harness {name!r}.{hint}", fix=f"use one of: {', '.join(ADAPTERS)} (amux harnesses)")


def resumable_harnesses() -> list[str]:
    return [name for name, adapter in ADAPTERS.items() if adapter.CAN_RESUME]
