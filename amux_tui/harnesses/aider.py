"""Aider: reaches most providers by itself through LiteLLM, or any OpenAI Chat endpoint.

Settings go through Aider's own ``AIDER_*`` environment variables; the model's context window
and output limit go in a per-session model-metadata file (``--model-metadata-file``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config.formats import ApiFormat
from ..providers.presets import preset_for
from ..providers.resolved import ResolvedProvider
from .base import (
    Endpoint, FileSeed, HarnessAdapter, InstallSpec, NativeTarget, SessionSetup, custom_api_base, format_gap,
    key_if_not_inherited, param_value,
)
from .endpoints import from_provider_base
from .vertex import express_mode_notes

# Not Bedrock: the LiteLLM inside Aider signs and decodes Bedrock requests with boto3, which aider-chat
# does not install; without it (seen with the real binary) every request is retried for a minute
# ("No module named 'botocore'") and Aider still exits 0. The proxy's LiteLLM has it.
_NATIVE = frozenset({"anthropic", "openai", "gemini", "openrouter", "deepseek", "groq", "mistral", "xai",
                     "vertex_ai", "azure", "ollama", "lmstudio"})
# Where the LiteLLM inside Aider reads each provider's base URL from (checked in LiteLLM's source
# and with the real binary; for Mistral it reads only MISTRAL_AZURE_API_BASE, whatever the host);
# Ollama wants its server root, Anthropic and Gemini theirs (LiteLLM appends /v1/messages,
# /models/...: Gemini's root therefore with /v1beta).
_BASE_ENV = {"openai": "OPENAI_API_BASE", "anthropic": "ANTHROPIC_API_BASE", "gemini": "GEMINI_API_BASE",
             "openrouter": "OPENROUTER_API_BASE", "deepseek": "DEEPSEEK_API_BASE", "groq": "GROQ_API_BASE",
             "mistral": "MISTRAL_AZURE_API_BASE", "xai": "XAI_API_BASE", "azure": "AZURE_API_BASE",
             "ollama": "OLLAMA_API_BASE", "lmstudio": "LM_STUDIO_API_BASE"}
# What LiteLLM speaks to each of them (a configured api_format without it is a gap).
_NATIVE_WIRE: dict[str, ApiFormat] = {"openai": "openai-chat", "anthropic": "anthropic-messages", "gemini": "gemini",
                                      "openrouter": "openai-chat", "deepseek": "openai-chat", "groq": "openai-chat",
                                      "mistral": "openai-chat", "xai": "openai-chat"}
# Cloud settings LiteLLM reads from the environment: amux param -> variable.
_PARAM_ENV = {"vertex_project": "VERTEXAI_PROJECT", "vertex_location": "VERTEXAI_LOCATION",
              "api_version": "AZURE_API_VERSION", "vertex_credentials": "VERTEXAI_CREDENTIALS"}
_QUIET_ENV = {"AIDER_CHECK_UPDATE": "false", "AIDER_ANALYTICS": "false", "AIDER_SHOW_RELEASE_NOTES": "false"}


class Aider(HarnessAdapter):
    name = "aider"
    label = "Aider"
    binary = "aider"
    install = InstallSpec("pip", "aider-chat", "python -m pip install aider-chat", "https://aider.chat")
    protocols = ("openai-chat",)
    native_providers = _NATIVE
    CAN_RESUME = True
    RESUME_BY_ID = False
    resume_usage = "aider --restore-chat-history"
    headless_usage = "aider --message PROMPT --yes-always"

    def headless_args(self, prompt: str) -> list[str]:
        return ["--message", prompt, "--yes-always"]

    def resume_args(self, session_id: str | None) -> list[str]:
        return ["--restore-chat-history"]

    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        model = f"openai/{endpoint.model}"
        env = {
            "AIDER_OPENAI_API_BASE": endpoint.base_url,
            "AIDER_OPENAI_API_KEY": endpoint.token,
            "AIDER_MODEL": model,
            "AIDER_WEAK_MODEL": f"openai/{endpoint.small_model or endpoint.model}",
            **_QUIET_ENV,
        }
        if endpoint.reasoning_effort:
            env["AIDER_REASONING_EFFORT"] = endpoint.reasoning_effort
        files = _metadata(env, session_dir, model, "openai", endpoint.context_window, endpoint.max_output_tokens,
                          endpoint.supports_tools, always=True)
        return SessionSetup(env=env, unset_env=("OPENAI_API_BASE", "OPENAI_BASE_URL"), files=files,
                            secret_env=frozenset({"AIDER_OPENAI_API_KEY"}))

    def native_gaps(self, provider: ResolvedProvider) -> list[str]:
        if provider.vertex_express:  # its LiteLLM's gemini route, given the express base (GEMINI_API_BASE)
            return []
        gaps = format_gap(provider, _NATIVE_WIRE[provider.type], self.label) if provider.type in _NATIVE_WIRE else []
        base = custom_api_base(provider)
        if base and provider.type not in _BASE_ENV:
            gaps.append(f"api_base {base} (Aider's LiteLLM has no base URL variable for {provider.type})")
        return gaps

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        provider = target.provider
        if provider.vertex_express:
            return _vertex_express_setup(target)
        model = provider.litellm_model(target.model or "")  # prepare_launch names one for Aider
        env = {"AIDER_MODEL": model, **_QUIET_ENV}
        if target.small_model:
            env["AIDER_WEAK_MODEL"] = provider.litellm_model(target.small_model)
        preset = preset_for(provider.type)
        secret: set[str] = set()
        if preset and preset.key_env and provider.api_key:
            env |= key_if_not_inherited(preset.key_env[0], provider.api_key, target.inherited_env)
            secret.add(preset.key_env[0])
        base_url = _litellm_base(provider)
        unset: tuple[str, ...] = ()
        if base_url:
            env[_BASE_ENV[provider.type]] = base_url
            if provider.type == "openai":
                unset = ("OPENAI_BASE_URL",)  # LiteLLM reads it before OPENAI_API_BASE
        for param, var in _PARAM_ENV.items():
            value = provider.params.get(param)
            if isinstance(value, dict):  # vertex_credentials written as an object: LiteLLM takes the JSON text
                env[var] = json.dumps(value)
            elif (value := param_value(provider, param)) is not None:
                env[var] = value
        if "VERTEXAI_CREDENTIALS" in env:
            secret.add("VERTEXAI_CREDENTIALS")
        if target.reasoning_effort:
            env["AIDER_REASONING_EFFORT"] = target.reasoning_effort
        files = _metadata(env, target.session_dir, model, provider.litellm_prefix or provider.type,
                          target.context_window, None, None, always=base_url is not None and not provider.local)
        return SessionSetup(env=env, unset_env=unset, files=files, secret_env=frozenset(secret), base_url=base_url)


def _vertex_express_setup(target: NativeTarget) -> SessionSetup:
    """A Vertex API key (express mode): the LiteLLM inside Aider ignores a key on its vertex_ai route
    and signs with whatever Google credentials it finds; its gemini route sends the key
    (x-goog-api-key) to a base it is given, and express mode is the Gemini wire at Vertex's
    project-less paths."""
    provider = target.provider
    model = f"gemini/{target.model or ''}"
    env = {"AIDER_MODEL": model, "GEMINI_API_KEY": provider.api_key or "",
           "GEMINI_API_BASE": provider.vertex_express_base(), **_QUIET_ENV}
    if target.small_model:
        env["AIDER_WEAK_MODEL"] = f"gemini/{target.small_model}"
    if target.reasoning_effort:
        env["AIDER_REASONING_EFFORT"] = target.reasoning_effort
    files = _metadata(env, target.session_dir, model, "gemini", target.context_window, None, None,
                      always=custom_api_base(provider) is not None)
    # Only what the shell really holds: the user's other settings pass through untouched.
    unset = tuple(var for var in (*_PARAM_ENV.values(), "GOOGLE_API_KEY") if var in target.inherited_env)
    return SessionSetup(env=env, unset_env=unset, files=files,
                        secret_env=frozenset({"GEMINI_API_KEY"}), base_url=env["GEMINI_API_BASE"],
                        notes=express_mode_notes(provider))


def _litellm_base(provider: ResolvedProvider) -> str | None:
    """The base URL in the shape LiteLLM wants; local servers always (they move), others when custom."""
    local = provider.type in ("ollama", "lmstudio")
    base = (provider.api_base or "").rstrip("/") if local else custom_api_base(provider)
    if not base or provider.type not in _BASE_ENV:
        return None
    if provider.type == "ollama":
        return base.removesuffix("/v1")
    if provider.type == "anthropic":
        return from_provider_base(base, "anthropic-messages")
    if provider.type == "gemini":
        return from_provider_base(base, "gemini") + "/v1beta"
    return base


def _metadata(env: dict[str, str], session_dir: Path, model: str, litellm_provider: str, context_window: int | None,
              max_output: int | None, supports_tools: bool | None, *, always: bool = False) -> list[FileSeed]:
    """A LiteLLM-style metadata entry so Aider knows the real window instead of warning about it.

    ``always``: the model is an endpoint's own name, unknown to LiteLLM's table; without an entry
    Aider downloads that table at start (a 5 s timeout offline) only to find nothing."""
    if not context_window:
        env["AIDER_SHOW_MODEL_WARNINGS"] = "false"
        if not always:
            return []
    entry: dict = {"litellm_provider": litellm_provider, "mode": "chat",
                   "input_cost_per_token": 0.0, "output_cost_per_token": 0.0}
    if context_window:
        entry |= {"max_input_tokens": context_window, "max_tokens": max_output or context_window,
                  "max_output_tokens": max_output or context_window}
    if supports_tools is not None:
        entry["supports_function_calling"] = supports_tools
    path = session_dir / "aider-model-metadata.json"
    env["AIDER_MODEL_METADATA_FILE"] = str(path)
    return [FileSeed(path, json.dumps({model: entry}, indent=2))]
