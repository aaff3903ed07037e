"""Ollama for the dashboard: status, start/stop, installed models and pull progress, all from the
providers room's `OllamaManager`, turned into small view records."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...providers.ollama import OllamaManager, PullProgress


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


def size_text(size: int | None) -> str:
    if size is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return "—"


class OllamaControl:
    """One `OllamaManager` for the app's lifetime (a server it starts is stopped on quit)."""

    def __init__(self, env: Mapping[str, str], base_url: str | None = None):
        self._env = env
        self._base_url = base_url
        self._manager: OllamaManager | None = None

    @property
    def manager(self) -> OllamaManager:
        # Imported on first use: httpx and the manager stay out of the first paint.
        if self._manager is None:
            from ...providers.ollama import OllamaManager

            self._manager = OllamaManager(base_url=self._base_url, env=self._env)
        return self._manager

    def point_at(self, base_url: str) -> None:
        """Use the configured Ollama provider's server instead of the default one."""
        if self._manager is None:
            self._base_url = base_url.rstrip("/")
        elif base_url.rstrip("/") != self._manager.base_url and not self._manager.owns_server:
            self._manager.base_url = base_url.rstrip("/")

    async def status(self) -> OllamaStatusView:
        status = await self.manager.status()
        installed = status.binary is not None
        if status.running:
            owner = "started by amux" if status.owned else "already running"
            summary = f"Ollama {status.version} answers at {status.base_url} ({owner})"
        elif installed:
            summary = f"Ollama is installed ({status.binary}) but no server answers at {status.base_url}: Start it"
        else:
            summary = f"No server at {status.base_url} and ollama is not installed: see https://ollama.com/download"
        return OllamaStatusView(installed, status.running, status.owned, summary)

    async def models(self) -> list[OllamaModelView]:
        from ...providers.ollama import OllamaError

        try:
            models = await self.manager.list_models()
        except OllamaError:
            return []
        return [OllamaModelView(m.name, size_text(m.size), m.family) for m in models]

    async def start(self) -> str:
        from ...providers.ollama import OllamaError

        try:
            started = await self.manager.start()
        except OllamaError as exc:
            return str(exc)
        return "server started" if started else "a server was already running"

    async def stop(self) -> str:
        if not self.manager.owns_server:
            return "this server was not started by amux; stop it where it was started"
        await self.manager.stop()
        return "server stopped"

    def pull(self, model: str) -> AsyncIterator[PullProgress]:
        return self.manager.pull(model)

    async def aclose(self) -> None:
        if self._manager is not None:
            await self._manager.aclose()
