"""`ResolvedProvider`: a provider with its config, preset and environment merged — what the
proxy, the harness adapters and the UI all work with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..config.formats import ApiFormat
from ..url_masking import mask_url, without_userinfo  # noqa: F401 - re-exported

ProviderSource = Literal["config", "env", "detected", "dynamic"]
VERTEX_EXPRESS_ROOT = "https://aiplatform.googleapis.com"
"""Where Vertex AI serves express mode (an API key instead of Google credentials, Google's own
models only): ``/v1/publishers/google/models/{model}:generateContent``, no project or location,
the key in ``x-goog-api-key``: the Gemini API's wire under another path."""


def mask_secret(secret: str | None) -> str:
    """Show that a key is there and which one it is, never the key: ``sk-a…f3x9``."""
    if not secret:
        return "none"
    if len(secret) <= 12:
        return "*" * 4
    return f"{secret[:4]}…{secret[-4:]}"


@dataclass(frozen=True)
class ResolvedProvider:
    """A usable provider. ``api_key`` is the real secret: never log it, show ``masked_key``."""

    name: str
    """The name the user selects it by (config key, or the preset / LiteLLM prefix)."""
    type: str
    api_base: str | None
    api_formats: tuple[ApiFormat, ...]
    """Wire APIs the endpoint speaks, preferred first. Empty: reachable only through LiteLLM."""
    api_key: str | None = field(default=None, repr=False)
    key_env: str | None = None
    """The variable the key came from (or would come from), for messages like "set OPENAI_API_KEY"."""
    key_problem: str | None = None
    """Why no key is available although the provider needs one, e.g. "OPENAI_API_KEY is not set"."""
    models: tuple[str, ...] = ()
    default_model: str | None = None
    small_model: str | None = None
    params: dict[str, Any] = field(default_factory=dict, repr=False)
    litellm_prefix: str | None = None
    pricing: Any = None
    """The provider's own prices (a `prices.ModelPrice`) from providers.json, or None."""
    local: bool = False
    source: ProviderSource = "config"
    notes: tuple[str, ...] = ()
    """Choices amux made about this provider that its user should hear about (shown by ``amux providers``)."""

    @property
    def masked_key(self) -> str:
        return mask_secret(self.api_key)

    @property
    def via_litellm(self) -> bool:
        """True when amux must go through LiteLLM (no wire API of ours reaches it)."""
        return not self.api_formats or not self.api_base

    @property
    def primary_format(self) -> ApiFormat | None:
        return self.api_formats[0] if self.api_formats else None

    def speaks(self, api_format: ApiFormat) -> bool:
        return bool(self.api_base) and api_format in self.api_formats

    def litellm_model(self, model: str) -> str:
        """The model string LiteLLM wants (``bedrock/anthropic.claude-...``)."""
        prefix = self.litellm_prefix or self.type
        return model if model.startswith(prefix + "/") else f"{prefix}/{model}"

    @property
    def vertex_express(self) -> bool:
        """A Vertex AI provider with an ``api_key``: express mode, the key is its identity."""
        return (self.litellm_prefix or self.type) == "vertex_ai" and bool(self.api_key)

    def vertex_express_base(self) -> str:
        """Express mode's Gemini-wire base (``.../v1/publishers/google``), at the configured api_base's
        host (its version suffix dropped) or Google's own."""
        root = (self.api_base or VERTEX_EXPRESS_ROOT).rstrip("/")
        for suffix in ("/v1", "/v1beta1"):
            root = root.removesuffix(suffix)
        return f"{root}/v1/publishers/google"

    def to_public_dict(self) -> dict[str, Any]:
        """Stable JSON shape for ``--json`` output and the UI; secrets masked."""
        return {
            "name": self.name,
            "type": self.type,
            "api_base": mask_url(self.api_base) if self.api_base else None,
            "api_format": list(self.api_formats),
            "via_litellm": self.via_litellm,
            "key": self.masked_key,
            "key_env": self.key_env,
            "key_problem": self.key_problem,
            "models": list(self.models),
            "default_model": self.default_model,
            "small_model": self.small_model,
            "params": sorted(self.params),
            "local": self.local,
            "source": self.source,
            "notes": list(self.notes),
        }
