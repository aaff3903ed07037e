"""Shaping base URLs for each wire API's clients.

OpenAI clients (Codex, OpenCode, Qwen, Aider) want the versioned root (``.../v1``) and append
``/chat/completions`` or ``/responses``; Anthropic and Gemini clients want the bare root and
append ``/v1/messages`` or ``/v1beta/models/...`` themselves.
"""

from __future__ import annotations

from ..config.formats import API_FORMATS, ApiFormat

OPENAI_FORMATS: frozenset[ApiFormat] = frozenset({"openai-chat", "openai-responses"})


def from_proxy_root(root: str, api_format: ApiFormat) -> str:
    """The URL a harness speaking ``api_format`` is given for a proxy session rooted at ``root``."""
    root = root.rstrip("/")
    return f"{root}/v1" if api_format in OPENAI_FORMATS else root


def from_provider_base(api_base: str, api_format: ApiFormat) -> str:
    """The URL for a direct session: the provider's base, minus a version suffix a client adds itself."""
    base = api_base.rstrip("/")
    if api_format == "anthropic-messages":
        return base.removesuffix("/v1")
    if api_format == "gemini":
        return base.removesuffix("/v1beta").removesuffix("/v1")
    return base


def vertex_root(api_base: str) -> str:
    """A Vertex AI api_base without its API version: users write the service root
    (``https://us-east5-aiplatform.googleapis.com``) or, as Anthropic's Vertex docs do, with ``/v1``;
    each client wants its own shape (Claude Code ``/v1`` included, Gemini CLI's SDK adds its own)."""
    base = api_base.rstrip("/")
    for suffix in ("/v1", "/v1beta1"):
        base = base.removesuffix(suffix)
    return base


def proxy_urls(root: str) -> dict[ApiFormat, str]:
    """Every format the proxy serves on one root."""
    return {fmt: from_proxy_root(root, fmt) for fmt in API_FORMATS}
