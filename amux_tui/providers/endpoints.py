"""Where a provider lists its models, and how to authenticate that request.

The model list is the cheapest authenticated GET every API has, so it doubles as the health probe.
Four dialects:

  openai     GET {api_base}/models                       Authorization: Bearer KEY
  anthropic  GET {api_base}/v1/models                    x-api-key, anthropic-version; has_more / after_id
  gemini     GET {api_base}/v1beta/models                x-goog-api-key; nextPageToken
  ollama     GET {server}/api/tags                       (no key; Bearer if one is configured)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from .resolved import ResolvedProvider

Dialect = Literal["openai", "anthropic", "gemini", "ollama"]
ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class ModelListEndpoint:
    """The first-page request for a provider's model list."""

    dialect: Dialect
    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Includes the credential: never log it."""
    params: Mapping[str, str] = field(default_factory=dict)


def missing_credential(provider: ResolvedProvider, what: str) -> str | None:
    """Why ``what`` (the model list, the health check) cannot be asked for, when a hosted provider's
    key (or a variable its api_base needs) is not set: asking anyway only yields a confusing network
    or 401 error. None when the request can be made: local servers, and endpoints moved away from the
    preset's hosted one (a gateway may take no key), are asked anyway."""
    from .presets import preset_for

    if not provider.key_problem or provider.api_key or provider.local:
        return None
    preset = preset_for(provider.type)
    if provider.api_base and (preset is None or provider.api_base != preset.api_base
                              or urlsplit(provider.api_base).hostname in ("127.0.0.1", "localhost", "::1")):
        return None
    variable = provider.key_env or provider.key_problem.split(" ", 1)[0]
    return f"{provider.key_problem}: {what} needs it (export {variable}=... or set api_key in providers.json)"


def model_list_endpoint(provider: ResolvedProvider) -> ModelListEndpoint | None:
    """The request that lists ``provider``'s models, or None when only LiteLLM can reach it (no
    api_base, or no wire API of ours: Azure's or Bedrock's endpoints list models their own way)."""
    if not provider.api_base or (not provider.api_formats and provider.type != "ollama"):
        return None
    base = provider.api_base.rstrip("/")
    dialect = dialect_of(provider)
    headers: dict[str, str] = {"Accept": "application/json"}
    params: dict[str, str] = {}
    key = provider.api_key
    if dialect == "anthropic":
        url = base + "/models" if base.endswith("/v1") else base + "/v1/models"
        headers["anthropic-version"] = ANTHROPIC_VERSION
        if key:
            headers["x-api-key"] = key
        params["limit"] = "1000"
    elif dialect == "gemini":
        url = base + "/models" if base.endswith(("/v1beta", "/v1")) else base + "/v1beta/models"
        if key:
            headers["x-goog-api-key"] = key  # the header, not ?key=, so the key never lands in a URL
        params["pageSize"] = "1000"
    elif dialect == "ollama":
        url = ollama_server_url(base) + "/api/tags"
        if key:
            headers["Authorization"] = f"Bearer {key}"
    else:
        url = base + "/models"
        if key:
            headers["Authorization"] = f"Bearer {key}"
    headers.update(_extra_headers(provider))
    return ModelListEndpoint(dialect, url, headers, params)


def dialect_of(provider: ResolvedProvider) -> Dialect:
    if provider.type == "ollama":
        return "ollama"
    match provider.primary_format:
        case "anthropic-messages":
            return "anthropic"
        case "gemini":
            return "gemini"
        case _:
            return "openai"


def ollama_server_url(api_base: str) -> str:
    """Ollama's native API lives at the server root; its OpenAI-compatible one under /v1."""
    base = api_base.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _extra_headers(provider: ResolvedProvider) -> dict[str, str]:
    """``params.extra_headers`` (a gateway's team header, say) apply to our own requests too."""
    extra = provider.params.get("extra_headers")
    if not isinstance(extra, dict):
        return {}
    return {str(name): str(value) for name, value in extra.items() if isinstance(value, (str, int, float))}
