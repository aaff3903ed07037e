"""Local model servers that answer right now: Ollama, LM Studio, vLLM, llama.cpp's server.

All are probed at once with a short timeout, so a machine with none of them costs ~timeout seconds
at most. Ollama is asked ``/api/version`` (then ``/api/tags`` for its models); the others speak the
OpenAI API and are asked ``GET /v1/models``. Each server's address follows its usual variable
(``OLLAMA_HOST``, ``LM_STUDIO_API_BASE``, ``HOSTED_VLLM_API_BASE``, ``LLAMACPP_API_BASE``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..config.loader import load_config
from .answers import open_client, response_json
from .endpoints import ollama_server_url
from .presets import PRESETS, Preset
from .registry import ProviderRegistry, preset_api_base
from .resolved import ResolvedProvider

LOCAL_PRESETS: tuple[Preset, ...] = tuple(preset for preset in PRESETS.values() if preset.local)


async def detect_local_providers(registry: ProviderRegistry | None = None, *, timeout: float = 0.3,
                                 env: Mapping[str, str] | None = None) -> list[ResolvedProvider]:
    """Local servers that answer and are not in ``registry`` already (by name, type or address).

    Returns them (``source="detected"``, with the models they reported); does not add them to
    ``registry`` (``load_registry`` does).
    """
    env = os.environ if env is None else env
    registry = registry if registry is not None else ProviderRegistry([])
    configured_types = {provider.type for provider in registry if provider.source == "config"}
    known_bases = {provider.api_base for provider in registry if provider.api_base}
    candidates = [preset for preset in LOCAL_PRESETS
                  if preset.type not in registry and preset.type not in configured_types
                  and preset_api_base(preset, env) not in known_bases]
    if not _through_http_proxy():
        # Most machines run none of these: a refused TCP connect says so in microseconds, and then no
        # HTTP client (and no TLS set-up, ~0.1 s) is needed at all.
        listening = await asyncio.gather(*(_listening(preset_api_base(p, env), timeout) for p in candidates))
        candidates = [preset for preset, open_ in zip(candidates, listening) if open_]
    if not candidates:
        return []
    async with await open_client(timeout) as client:
        found = await asyncio.gather(*(_probe(preset, env, client, timeout) for preset in candidates))
    return [provider for provider in found if provider is not None]


async def load_registry(config_path: str | os.PathLike[str] | None = None, *, detect: bool = True,
                        env: Mapping[str, str] | None = None) -> ProviderRegistry:
    """Config by lookup order (``--config``, ``$AMUX_CONFIG``, XDG), presets whose key is set, and
    (with ``detect``) the local servers that answer. Raises ConfigError for a bad config."""
    env = os.environ if env is None else env
    registry = ProviderRegistry.from_config(load_config(config_path), env)
    if detect:
        for provider in await detect_local_providers(registry, env=env):
            registry.add(provider)
    return registry


def _through_http_proxy() -> bool:
    """httpx would reach these addresses through an HTTP proxy (then a direct connect proves nothing)."""
    return any(os.environ.get(name) for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                                                 "http_proxy", "https_proxy", "all_proxy"))


async def _listening(api_base: str | None, timeout: float) -> bool:
    """Something accepts TCP connections at ``api_base``'s host and port."""
    if not api_base:
        return False
    parts = urlsplit(api_base)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(parts.hostname or "127.0.0.1", port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _probe(preset: Preset, env: Mapping[str, str], client: httpx.AsyncClient,
                 timeout: float) -> ResolvedProvider | None:
    api_base = preset_api_base(preset, env)
    if not api_base:
        return None
    key_env = next((var for var in preset.key_env if env.get(var)), None)
    api_key = env.get(key_env) if key_env else None
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with asyncio.timeout(timeout):
            models = await (_ollama_models(api_base, client, headers) if preset.type == "ollama"
                            else _openai_models(api_base, client, headers))
    except (httpx.HTTPError, TimeoutError, OSError):
        return None
    if models is None:
        return None
    return ResolvedProvider(
        name=preset.type, type=preset.type, api_base=api_base, api_formats=preset.api_formats, api_key=api_key,
        key_env=key_env, models=tuple(models), litellm_prefix=preset.litellm_prefix, local=True, source="detected",
    )


async def _ollama_models(api_base: str, client: httpx.AsyncClient, headers: dict[str, str]) -> list[str] | None:
    server = ollama_server_url(api_base)
    version = response_json(await client.get(server + "/api/version", headers=headers))
    if not isinstance(version, dict) or "version" not in version:
        return None  # something else listens on that port
    tags = await client.get(server + "/api/tags", headers=headers)
    body: Any = response_json(tags) if tags.is_success else None
    items = body.get("models") if isinstance(body, dict) else None
    return [item["name"] for item in items or [] if isinstance(item, dict) and isinstance(item.get("name"), str)]


async def _openai_models(api_base: str, client: httpx.AsyncClient, headers: dict[str, str]) -> list[str] | None:
    response = await client.get(api_base.rstrip("/") + "/models", headers=headers)
    body: Any = response_json(response) if response.is_success else None
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return None  # not an OpenAI-style server (a web app on :8080, say)
    return [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
