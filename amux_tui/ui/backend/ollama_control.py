"""Ollama for the dashboard: status, start/stop, installed models, pull progress; all from the
providers room's `OllamaManager`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OllamaStatusView:
    installed: bool
    running: bool
    managed: bool
    """True when amux started the server (so it may stop it)."""
    summary: str


@dataclass(frozen=True)
class OllamaModelView:
    name: str
    size_text: str
    family: str | None = None


@dataclass(frozen=True)
class PullStep:
    status: str
    completed: int | None = None
    total: int | None = None


class OllamaControl:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    async def status(self) -> OllamaStatusView:
        return OllamaStatusView(False, False, False, "Ollama: the providers room's manager is not available yet")

    async def models(self) -> list[OllamaModelView]:
        return []

    async def start(self) -> str:
        return "not available"

    async def stop(self) -> str:
        return "not available"

    async def pull(self, model: str) -> AsyncIterator[PullStep]:
        if False:
            yield PullStep("")
        raise RuntimeError("the Ollama manager is not available yet")
