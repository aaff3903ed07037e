"""Providers for the dashboard: the registry (configured + env + detected), live health and live
model lists, each call a thin pass to the providers room, turned into small view records.

The config models (pydantic) are imported by `ProviderCatalog.load`, which the app calls just
after its first frame: importing this module costs nothing at start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ...config.errors import ConfigError
from ...providers.registry import ProviderRegistry
from ...providers.resolved import ResolvedProvider

if TYPE_CHECKING:
    from ...config.models import AmuxConfig

HealthStatus = Literal["checking", "ok", "auth", "down", "error", "unknown"]
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class HealthView:
    """A provider's health as the table shows it."""

    status: HealthStatus
    latency_ms: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class ModelsView:
    """A provider's models: the live list when it answered, else the configured ones."""

    models: tuple[str, ...]
    default: str | None
    live: bool
    error: str | None = None


@dataclass(frozen=True)
class CatalogLoad:
    registry: ProviderRegistry
    config_path: Path
    config: AmuxConfig | None
    problem: str | None = None
    """Why the config file could not be used (the registry then holds env providers only)."""


class ProviderCatalog:
    """The dashboard's window onto the providers room."""

    def __init__(self, config_path: str | None, env: Mapping[str, str], *, detect_local: bool = True):
        self._explicit = config_path
        self.env = env
        self.detect_local_servers = detect_local
        self._http: Any = None
        self._opening: asyncio.Future[Any] | None = None

    async def http(self):
        """One HTTP client for every health probe and model listing, made on first use (after the first
        frame: the probes start then), over the providers room's shared SSL context, which is built
        in a worker thread so the loop keeps painting meanwhile."""
        if self._http is None:
            if self._opening is None:  # the first round's probes all ask at once: one client for all
                from ...providers.answers import open_client

                self._opening = asyncio.ensure_future(open_client(PROBE_TIMEOUT))
            opening = self._opening
            try:
                # shielded: a probe worker cancelled meanwhile (a new round) must not cancel it for the others
                self._http = await asyncio.shield(opening)
            except Exception:
                if self._opening is opening:  # e.g. an unreadable $SSL_CERT_FILE: shown, tried again next round
                    self._opening = None
                raise
        return self._http

    async def aclose(self) -> None:
        opening, self._opening, self._http = self._opening, None, None
        if opening is None:
            return
        if not opening.done():
            opening.cancel()  # no client was made yet
        elif not opening.cancelled() and opening.exception() is None:
            await opening.result().aclose()

    @property
    def config_path(self) -> Path:
        """Where providers.json is (or would be written): --config, $AMUX_CONFIG, then the XDG path."""
        from ...config.loader import find_config_path

        return find_config_path(self._explicit or self.env.get("AMUX_CONFIG"))[0]

    def load(self) -> CatalogLoad:
        """Parse the config (synchronous: a small local file) and build the registry without probing."""
        from ...config.loader import LoadedConfig, load_config
        from ...config.models import AmuxConfig

        path = self.config_path
        try:
            loaded = load_config(path) if path.exists() else LoadedConfig(AmuxConfig(), None)
            return CatalogLoad(ProviderRegistry.from_config(loaded, self.env), path, loaded.config)
        except ConfigError as exc:
            registry = ProviderRegistry.from_config(AmuxConfig(), self.env)
            return CatalogLoad(registry, path, None, exc.render())

    async def detect_local(self, registry: ProviderRegistry) -> list[ResolvedProvider]:
        """Local servers that answer (Ollama, LM Studio, ...), not already in the registry."""
        if not self.detect_local_servers:
            return []
        try:
            from ...providers import detect
        except ImportError:
            return []
        found = await detect.detect_local_providers(registry, env=self.env)
        return [provider for provider in found if provider.name not in registry]

    async def health(self, provider: ResolvedProvider) -> HealthView:
        try:
            from ...providers.health import check_health
        except ImportError:
            return HealthView("unknown", None, "health checks are not available in this build")
        try:
            result = await check_health(provider, client=await self.http())
        except Exception as exc:  # a probe must never take the dashboard down
            return HealthView("error", None, f"{type(exc).__name__}: {exc}")
        return HealthView(_status_of(result.status), result.latency_ms, result.detail or "")

    async def models(self, provider: ResolvedProvider) -> ModelsView:
        configured = tuple(provider.models)
        try:
            from ...providers.models import list_models
        except ImportError:
            return ModelsView(configured, provider.default_model, False, "live listing not available")
        try:
            listing = await list_models(provider, client=await self.http())
        except Exception as exc:
            return ModelsView(configured, provider.default_model, False, f"{type(exc).__name__}: {exc}")
        names = tuple(_model_names(listing))
        error = getattr(listing, "error", None)
        if not names:
            return ModelsView(configured, provider.default_model, False, error)
        return ModelsView(names, provider.default_model, getattr(listing, "source", "live") == "live", error)


def _status_of(status: object) -> HealthStatus:
    text = str(getattr(status, "value", status)).lower()
    if text in ("ok", "healthy", "reachable", "up"):
        return "ok"
    if "auth" in text or text in ("unauthorized", "forbidden", "no_key", "no-key"):
        return "auth"
    if text in ("down", "unreachable", "offline", "timeout"):
        return "down"
    if text in ("unknown", ""):
        return "unknown"
    return "error"


def _model_names(listing: object) -> list[str]:
    models = getattr(listing, "models", listing)
    names = []
    for item in models or ():
        names.append(item if isinstance(item, str) else str(getattr(item, "id", None) or getattr(item, "name", item)))
    return names
