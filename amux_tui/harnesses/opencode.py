"""OpenCode: speaks whatever its provider package speaks (OpenAI Chat, Anthropic Messages or
OpenAI Responses), and knows most hosted providers by itself.

Everything goes through ``OPENCODE_CONFIG_CONTENT``, which OpenCode merges over the user's own
config for this process only; the key stays in an environment variable the config names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config.formats import ApiFormat
from ..providers.resolved import ResolvedProvider
from . import aws
from .base import (
    Endpoint, HarnessAdapter, InstallSpec, NativeTarget, SessionSetup, custom_api_base, format_gap,
    key_if_not_inherited, param_value,
)
from .endpoints import from_provider_base, vertex_root
from .vertex import express_mode_notes, google_credentials, shadowing_vertex_key

PROVIDER_ID = "amux"
KEY_ENV = "AMUX_OPENCODE_API_KEY"
SCHEMA = "https://opencode.ai/config.json"
_SDK_PACKAGES: dict[ApiFormat, str] = {
    "openai-chat": "@ai-sdk/openai-compatible",
    "anthropic-messages": "@ai-sdk/anthropic",
    "openai-responses": "@ai-sdk/openai",
}
# amux preset type -> (OpenCode's provider id, the variable it reads the key from)
_NATIVE: dict[str, tuple[str, str | None]] = {
    "anthropic": ("anthropic", "ANTHROPIC_API_KEY"),
    "openai": ("openai", "OPENAI_API_KEY"),
    "gemini": ("google", "GOOGLE_GENERATIVE_AI_API_KEY"),
    "openrouter": ("openrouter", "OPENROUTER_API_KEY"),
    "deepseek": ("deepseek", "DEEPSEEK_API_KEY"),
    "groq": ("groq", "GROQ_API_KEY"),
    "mistral": ("mistral", "MISTRAL_API_KEY"),
    "xai": ("xai", "XAI_API_KEY"),
    "bedrock": ("amazon-bedrock", None),
    "vertex_ai": ("google-vertex", None),
    "azure": ("azure", "AZURE_API_KEY"),
}
# What each native provider package speaks (checked against a configured api_format) and how it
# wants a custom base URL: @ai-sdk/anthropic appends /messages to a /v1 base, @ai-sdk/google
# appends /models/... to a /v1beta one; the OpenAI-style ones take the versioned base as is.
_NATIVE_WIRE: dict[str, ApiFormat] = {"openai": "openai-responses", "anthropic": "anthropic-messages",
                                      "gemini": "gemini", "openrouter": "openai-chat", "deepseek": "openai-chat",
                                      "groq": "openai-chat", "mistral": "openai-chat", "xai": "openai-chat",
                                      "azure": "openai-chat"}
# @ai-sdk/azure with a baseURL of the resource's /openai, told to use Azure's classic deployment URLs
# ({baseURL}/deployments/{deployment}/chat/completions?api-version=...) as LiteLLM and Aider do,
# instead of its default v1 Responses route.
_BASE_SUFFIX = {"anthropic": "/v1", "gemini": "/v1beta", "azure": "/openai"}
_AZURE_OPTIONS = {"useDeploymentBasedUrls": True, "useCompletionUrls": True}
_QUIET_ENV = {"OPENCODE_DISABLE_AUTOUPDATE": "1"}
VERTEX_KEY_ENV = "GOOGLE_VERTEX_API_KEY"
"""Where @ai-sdk/google-vertex reads a Vertex API key (express mode)."""


class OpenCode(HarnessAdapter):
    name = "opencode"
    label = "OpenCode"
    binary = "opencode"
    install = InstallSpec("npm", "opencode-ai", "npm install -g opencode-ai", "https://opencode.ai/docs")
    protocols = ("openai-chat", "anthropic-messages", "openai-responses")
    native_providers = frozenset(_NATIVE)
    native_headers = True  # options.headers of its provider entry
    CAN_RESUME = True
    RESUME_BY_ID = True
    resume_usage = "opencode --continue | opencode --session ID"
    headless_usage = "opencode run PROMPT"

    def headless_args(self, prompt: str) -> list[str]:
        return ["run", prompt]

    def resume_args(self, session_id: str | None) -> list[str]:
        return ["--session", session_id] if session_id else ["--continue"]

    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        base_url = endpoint.base_url
        if endpoint.api_format == "anthropic-messages":
            base_url += "/v1"  # @ai-sdk/anthropic appends /messages to a versioned base
        models = {endpoint.model: _model_entry(endpoint)}
        small = endpoint.small_model or endpoint.model
        if small not in models:
            models[small] = {"name": small}
        config = {
            "$schema": SCHEMA,
            "provider": {PROVIDER_ID: {
                "npm": _SDK_PACKAGES[endpoint.api_format],
                "name": "amux proxy" if endpoint.via_proxy else "amux",
                "options": {"baseURL": base_url, "apiKey": "{env:%s}" % KEY_ENV},
                "models": models,
            }},
            "model": f"{PROVIDER_ID}/{endpoint.model}",
            "small_model": f"{PROVIDER_ID}/{small}",
            "autoupdate": False,
            "share": "disabled",
        }
        env = {"OPENCODE_CONFIG_CONTENT": json.dumps(config), KEY_ENV: endpoint.token,
               # Only amux's provider is used: no fetch of the public model catalogue.
               "OPENCODE_DISABLE_MODELS_FETCH": "1", **_QUIET_ENV}
        return SessionSetup(env=env, secret_env=frozenset({KEY_ENV}))

    def native_gaps(self, provider: ResolvedProvider) -> list[str]:
        if provider.type == "bedrock":  # @ai-sdk/amazon-bedrock takes a baseURL, its AWS SDK the credentials
            return aws.bedrock_gaps(provider)
        gaps = format_gap(provider, _NATIVE_WIRE[provider.type], self.label) if provider.type in _NATIVE_WIRE else []
        base = custom_api_base(provider)
        if base and provider.type == "vertex_ai":
            if not provider.api_key and (param_value(provider, "vertex_project") is None
                                         or param_value(provider, "vertex_location") is None):
                gaps.append(f"api_base {base} (OpenCode's Vertex providers take a base URL that names the project "
                            "and location: set params.vertex_project and params.vertex_location)")
        elif base and provider.type not in _NATIVE_WIRE:
            gaps.append(f"api_base {base} (no base URL setting for OpenCode's {provider.type} provider)")
        return gaps

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        provider = target.provider
        provider_id, key_var = _NATIVE[provider.type]
        small = target.small_model
        if provider.type == "vertex_ai":
            # Claude models live under Vertex's anthropic publisher, a provider of its own in OpenCode.
            provider_id = _vertex_provider(target.model)
            if small and _vertex_provider(small) != provider_id:
                small = None  # one provider entry per session: OpenCode's small model then is the model
        config: dict[str, Any] = {"$schema": SCHEMA}
        options: dict[str, Any] = {}
        base = aws.bedrock_base(provider) if provider.type == "bedrock" else custom_api_base(provider)
        base_url = _native_base_url(provider.type, base) if base else None
        if base and provider.type == "vertex_ai":
            base_url = _vertex_base_url(base, provider_id, provider)
        if base_url:
            options["baseURL"] = base_url
        if provider.type == "azure":  # also on the resource OpenCode finds by itself (AZURE_RESOURCE_NAME)
            options |= _AZURE_OPTIONS
            if (version := param_value(provider, "api_version")) is not None:
                options["apiVersion"] = version
        express = provider.type == "vertex_ai" and bool(provider.api_key)
        for option, names in (("region", ("aws_region_name",)), ("project", ("vertex_project",)),
                              ("location", ("vertex_location",))):
            if express and option != "region":
                continue  # express mode: the key alone, on Vertex's project-less paths
            if (value := param_value(provider, *names)) is not None:
                options[option] = value
        if isinstance(provider.params.get("extra_headers"), dict):
            options["headers"] = provider.params["extra_headers"]
        entry: dict[str, Any] = {"options": options} if options else {}
        if target.model:
            config["model"] = f"{provider_id}/{target.model}"
            if base_url:
                # A gateway serves its own names, not OpenCode's public catalogue: declare them, and
                # keep OpenCode's title/summary calls on them instead of a catalogue default.
                small = small or target.model
                entry["models"] = {name: {"name": name} for name in dict.fromkeys((target.model, small))}
        if small:
            config["small_model"] = f"{provider_id}/{small}"
        if entry:
            config["provider"] = {provider_id: entry}
        env = {"OPENCODE_CONFIG_CONTENT": json.dumps(config), **_QUIET_ENV}
        unset: tuple[str, ...] = ()
        if key_var:
            env |= key_if_not_inherited(key_var, provider.api_key, target.inherited_env)
        files = []
        notes: list[str] = []
        if express:  # @ai-sdk/google-vertex's express mode: x-goog-api-key, no google-auth-library
            env[VERTEX_KEY_ENV] = provider.api_key or ""
            notes = express_mode_notes(provider)
        elif provider.type == "vertex_ai":  # @ai-sdk/google-vertex authenticates with google-auth-library
            credentials, files = google_credentials(provider, target.session_dir)
            env |= credentials
            unset = shadowing_vertex_key(provider, "GOOGLE_VERTEX_API_KEY", target.inherited_env)
            if (project := param_value(provider, "vertex_project")) is not None:
                # google-auth-library looks for the project before the first call; without this it runs
                # `gcloud`, probes the GCE metadata server and asks Cloud Resource Manager, each a hang
                # or an "Unable to connect" away from failing the session.
                env["GOOGLE_CLOUD_PROJECT"] = project
        if provider.type == "bedrock":
            credentials, unset = aws.bedrock_credentials(provider, target.inherited_env)
            env |= credentials
        secret = frozenset({key_var} if key_var else ()) | aws.SECRET_ENV | {VERTEX_KEY_ENV}
        return SessionSetup(env=env, files=files, unset_env=unset, secret_env=secret, base_url=base_url, notes=notes)


def _vertex_provider(model: str | None) -> str:
    return "google-vertex-anthropic" if model and model.startswith("claude") else "google-vertex"


def _vertex_base_url(base: str, provider_id: str, provider: ResolvedProvider) -> str:
    """What @ai-sdk/google-vertex appends ``/{model}:streamGenerateContent`` (google publisher, after
    ``/models``) or ``/{model}:streamRawPredict`` (anthropic) to; project and location are known
    (`native_gaps`)."""
    publisher = "anthropic/models" if provider_id == "google-vertex-anthropic" else "google"
    if provider.api_key:  # express mode: Google's models without a project or location
        return f"{vertex_root(base)}/v1/publishers/{publisher}"
    return (f"{vertex_root(base)}/v1/projects/{param_value(provider, 'vertex_project')}"
            f"/locations/{param_value(provider, 'vertex_location')}/publishers/{publisher}")


def _native_base_url(provider_type: str, base: str) -> str:
    if provider_type not in _BASE_SUFFIX:
        return base
    if provider_type == "azure":
        return base.rstrip("/").removesuffix("/openai") + "/openai"
    return from_provider_base(base, _NATIVE_WIRE[provider_type]) + _BASE_SUFFIX[provider_type]


def _model_entry(endpoint: Endpoint) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": endpoint.model}
    if endpoint.context_window:
        output = endpoint.max_output_tokens or min(32_000, endpoint.context_window // 4)
        entry["limit"] = {"context": endpoint.context_window, "output": output}
    if endpoint.supports_tools is not None:
        entry["tool_call"] = endpoint.supports_tools
    if endpoint.reasoning_effort:
        entry["options"] = {"reasoningEffort": endpoint.reasoning_effort}
    return entry
