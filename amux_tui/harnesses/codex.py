"""Codex CLI: speaks OpenAI Responses only; reaches OpenAI (and a local Ollama / LM Studio) by itself.

A custom endpoint is a ``model_providers`` entry given as ``-c`` overrides (never written to a
config file); the key travels in an environment variable the entry names.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..providers.resolved import ResolvedProvider
from .base import (
    Endpoint, HarnessAdapter, InstallSpec, NativeTarget, SessionSetup, custom_api_base, format_gap,
)

PROVIDER_ID = "amux"
NATIVE_PROVIDER_ID = "amux-openai"
KEY_ENV = "AMUX_CODEX_API_KEY"
OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"
_OSS_PROVIDERS = {"ollama": "ollama", "lmstudio": "lmstudio"}


def toml_value(value: object) -> str:
    """A Python value as a TOML literal for ``-c key=value`` (JSON strings are valid TOML strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def override(key: str, value: object) -> list[str]:
    return ["-c", f"{key}={toml_value(value)}"]


class Codex(HarnessAdapter):
    name = "codex"
    label = "Codex CLI"
    binary = "codex"
    install = InstallSpec("npm", "@openai/codex", "npm install -g @openai/codex", "https://developers.openai.com/codex")
    protocols = ("openai-responses",)
    native_providers = frozenset({"openai", "ollama", "lmstudio"})
    own_default_model = frozenset({"openai"})
    CAN_RESUME = True
    RESUME_BY_ID = True
    resume_usage = "codex resume --last | codex resume ID"
    headless_usage = "codex exec --skip-git-repo-check PROMPT </dev/null"
    HOME_ENV = "CODEX_HOME"

    def headless_args(self, prompt: str) -> list[str]:
        return ["exec", "--skip-git-repo-check", prompt]

    def resume_args(self, session_id: str | None) -> list[str]:
        return ["resume", session_id] if session_id else ["resume", "--last"]

    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        args = provider_entry(PROVIDER_ID, "amux", endpoint.base_url)
        args += ["-m", endpoint.model]
        args += _knobs(endpoint.context_window, endpoint.reasoning_effort)
        if endpoint.cwd_trusted:
            # Trusted in amux: no trust prompt. Otherwise Codex asks, as the folder's own config is at stake.
            args += override("projects", {str(cwd): {"trust_level": "trusted"}})
        args += override("check_for_update_on_startup", False)
        return SessionSetup(env={"CODEX_HOME": str(home), KEY_ENV: endpoint.token}, args=args,
                            secret_env=frozenset({KEY_ENV}), trust_preaccepted=endpoint.cwd_trusted)

    def native_gaps(self, provider: ResolvedProvider) -> list[str]:
        return format_gap(provider, "openai-responses", self.label) if provider.type == "openai" else []

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        provider = target.provider
        env: dict[str, str] = {}
        args: list[str] = []
        base_url = None
        if provider.type in _OSS_PROVIDERS:
            args += ["--oss", "--local-provider", _OSS_PROVIDERS[provider.type]]
            if provider.api_base:
                base_url = env["CODEX_OSS_BASE_URL"] = provider.api_base
        elif provider.api_key:
            # Codex's built-in OpenAI provider takes a key only from a login (auth.json): with a bare
            # key its TUI stops at "Sign in" and sends requests without it. A provider entry that
            # reads the key from the environment reaches OpenAI (or the configured base) as is.
            base_url = custom_api_base(provider)
            args += provider_entry(NATIVE_PROVIDER_ID, "OpenAI", base_url or OPENAI_DEFAULT_BASE)
            env[KEY_ENV] = provider.api_key
        elif base_url := custom_api_base(provider):
            args += override("openai_base_url", base_url)
        if target.model:
            args += ["-m", target.model]
        args += _knobs(target.context_window, target.reasoning_effort)
        return SessionSetup(env=env, args=args, secret_env=frozenset({KEY_ENV}), base_url=base_url)


def provider_entry(provider_id: str, name: str, base_url: str) -> list[str]:
    """``-c`` overrides selecting a Responses provider at ``base_url`` whose key is in `KEY_ENV`."""
    args = override("model_provider", provider_id)
    entry = {"name": name, "base_url": base_url, "env_key": KEY_ENV, "wire_api": "responses"}
    for key, value in entry.items():
        args += override(f"model_providers.{provider_id}.{key}", value)
    return args


def _knobs(context_window: int | None, effort: str | None) -> list[str]:
    args: list[str] = []
    if context_window:
        args += override("model_context_window", context_window)
    if effort:
        args += override("model_reasoning_effort", effort)
    return args
