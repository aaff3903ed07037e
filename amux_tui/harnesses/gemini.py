"""Gemini CLI: speaks Gemini generateContent; reaches Gemini and Vertex AI by itself.

A proxied or direct session uses amux's own Gemini home (``GEMINI_CLI_HOME``), whose settings
select API-key auth (without it headless mode fails with "Invalid auth method selected"); so does a
native one whose key the user's own settings do not select. The per-process settings layers
(``GEMINI_CLI_SYSTEM_*_PATH``) are no way around that: Gemini CLI ignores them unless the file is
owned by root and no parent directory is group/world-writable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..providers.resolved import ResolvedProvider
from .base import (
    Endpoint, FileSeed, HarnessAdapter, InstallSpec, NativeTarget, SessionSetup, custom_api_base, format_gap,
    key_if_not_inherited, param_value,
)
from .endpoints import from_provider_base, vertex_root
from .vertex import express_mode_notes, google_credentials, shadowing_vertex_key

ASSUMED_TOKEN_LIMIT = 1_048_576
"""What Gemini CLI assumes for any model (``tokenLimit`` in its core); compression is a fraction of it."""
DEFAULT_COMPRESSION_FRACTION = 0.5

_CONFLICTING_ENV = ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_ACCESS_TOKEN")
# Gemini CLI treats a set CI variable as "no terminal": its TUI exits with "No input provided via
# stdin" even in a real PTY. amux's sessions are interactive unless given -p, which doesn't care.
_NON_INTERACTIVE_ENV = ("CI",)
TRUST_ENV = "GEMINI_CLI_TRUST_WORKSPACE"
"""Pre-accepts Gemini CLI's folder trust: set only for a folder the user trusts in amux."""


def compression_threshold(context_window: int) -> float:
    """The ``model.compressionThreshold`` that compresses at half of the model's real window."""
    fraction = DEFAULT_COMPRESSION_FRACTION * context_window / ASSUMED_TOKEN_LIMIT
    return round(min(DEFAULT_COMPRESSION_FRACTION, max(fraction, 0.001)), 4)


class GeminiCli(HarnessAdapter):
    name = "gemini"
    label = "Gemini CLI"
    binary = "gemini"
    install = InstallSpec("npm", "@google/gemini-cli", "npm install -g @google/gemini-cli",
                          "https://github.com/google-gemini/gemini-cli")
    protocols = ("gemini",)
    native_providers = frozenset({"gemini", "vertex_ai"})
    own_default_model = frozenset({"gemini", "vertex_ai"})
    CAN_RESUME = True
    RESUME_BY_ID = True
    resume_usage = "gemini --resume latest | gemini --resume ID"
    headless_usage = "gemini -p PROMPT --yolo"
    HOME_ENV = "GEMINI_CLI_HOME"

    def headless_args(self, prompt: str) -> list[str]:
        return ["-p", prompt]

    def resume_args(self, session_id: str | None) -> list[str]:
        return ["--resume", session_id or "latest"]

    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        settings = _home_settings("gemini-api-key")
        if endpoint.context_window:
            # The home is shared by amux's Gemini sessions: the latest launch's window wins.
            settings["model"] = {"compressionThreshold": compression_threshold(endpoint.context_window)}
        env = {
            "GEMINI_CLI_HOME": str(home),
            "GEMINI_API_KEY": endpoint.token,
            "GOOGLE_GEMINI_BASE_URL": endpoint.base_url,
        }
        if endpoint.cwd_trusted:
            env[TRUST_ENV] = "true"
        return SessionSetup(
            env=env, unset_env=_CONFLICTING_ENV + _NON_INTERACTIVE_ENV, args=["-m", endpoint.model],
            files=[FileSeed(home / ".gemini" / "settings.json", settings, "merge-json")],
            secret_env=frozenset({"GEMINI_API_KEY"}), trust_preaccepted=endpoint.cwd_trusted,
        )

    def native_gaps(self, provider: ResolvedProvider) -> list[str]:
        return format_gap(provider, "gemini", self.label) if provider.type == "gemini" else []

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        provider = target.provider
        env: dict[str, str] = {}
        base = custom_api_base(provider)
        base_url = None
        files: list[FileSeed] = []
        unset = _NON_INTERACTIVE_ENV
        notes: list[str] = []
        if provider.type == "vertex_ai":
            auth = "vertex-ai"
            env["GOOGLE_GENAI_USE_VERTEXAI"] = "true"
            if provider.api_key:  # express mode: its SDK sends the key to Vertex's project-less paths
                env["GOOGLE_API_KEY"] = provider.api_key
                notes.extend(express_mode_notes(provider))
            else:
                credentials, files = google_credentials(provider, target.session_dir)
                env |= credentials
                unset += shadowing_vertex_key(provider, "GOOGLE_API_KEY", target.inherited_env)
                for param, var in (("vertex_project", "GOOGLE_CLOUD_PROJECT"),
                                   ("vertex_location", "GOOGLE_CLOUD_LOCATION")):
                    if (value := param_value(provider, param)) is not None:
                        env[var] = value
            if base:  # its SDK appends /v1beta1/projects/... itself
                base_url = env["GOOGLE_VERTEX_BASE_URL"] = vertex_root(base)
        else:
            auth = "gemini-api-key"
            env |= key_if_not_inherited("GEMINI_API_KEY", provider.api_key, target.inherited_env)
            if base:
                base_url = env["GOOGLE_GEMINI_BASE_URL"] = from_provider_base(base, "gemini")
        setup = SessionSetup(env=env, unset_env=unset, args=["-m", target.model] if target.model else [],
                             files=files, secret_env=frozenset({"GEMINI_API_KEY", "GOOGLE_API_KEY"}),
                             base_url=base_url, notes=notes)
        wants_key = auth == "gemini-api-key" and bool(provider.api_key)
        if target.home and (wants_key or auth == "vertex-ai") and selected_auth(target.inherited_env) != auth:
            # Gemini CLI takes its auth type from its settings only; from the environment it guesses
            # ("gateway" once a base URL is set), which it then rejects: "Invalid auth method selected".
            # The user's own settings choose something else or nothing: use amux's Gemini home.
            if wants_key:
                env["GEMINI_API_KEY"] = provider.api_key or ""
            env["GEMINI_CLI_HOME"] = str(target.home)
            if target.cwd_trusted:
                env[TRUST_ENV] = "true"
            setup.trust_preaccepted = target.cwd_trusted
            if wants_key:
                setup.unset_env = _CONFLICTING_ENV + _NON_INTERACTIVE_ENV
            setup.files.append(FileSeed(target.home / ".gemini" / "settings.json", _home_settings(auth), "merge-json"))
            setup.uses_home = True
            setup.notes.append(f"your own Gemini CLI settings do not select {auth} auth: this session uses amux's "
                               f"Gemini home {target.home}, whose settings do")
        return setup


def _home_settings(auth: str) -> dict:
    return {
        "security": {"auth": {"selectedType": auth}},
        "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
        "privacy": {"usageStatisticsEnabled": False},
    }


def selected_auth(env: Mapping[str, str]) -> str | None:
    """The auth type the user's own Gemini CLI settings select (None: none, or unreadable)."""
    root = env.get("GEMINI_CLI_HOME") or env.get("HOME") or str(Path.home())
    try:
        settings = json.loads((Path(root) / ".gemini" / "settings.json").read_text(encoding="utf-8"))
        selected = settings["security"]["auth"]["selectedType"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return selected if isinstance(selected, str) else None
