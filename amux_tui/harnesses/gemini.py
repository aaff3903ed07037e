"""Gemini CLI: speaks Gemini generateContent; reaches Gemini and Vertex AI by itself.

A proxied or direct session uses amux's own Gemini home (``GEMINI_CLI_HOME``), whose settings
select API-key auth (without it headless mode fails with "Invalid auth method selected"). The
per-process settings layers (``GEMINI_CLI_SYSTEM_*_PATH``) are no way around that: Gemini CLI
ignores them unless the file is owned by root and no parent directory is group/world-writable.
"""

from __future__ import annotations

from pathlib import Path

from .base import Endpoint, FileSeed, HarnessAdapter, InstallSpec, NativeTarget, SessionSetup, key_if_not_inherited

GEMINI_DEFAULT_BASE = "https://generativelanguage.googleapis.com"
ASSUMED_TOKEN_LIMIT = 1_048_576
"""What Gemini CLI assumes for any model (``tokenLimit`` in its core); compression is a fraction of it."""
DEFAULT_COMPRESSION_FRACTION = 0.5

_CONFLICTING_ENV = ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA", "GOOGLE_CLOUD_ACCESS_TOKEN")
# Gemini CLI treats a set CI variable as "no terminal": its TUI exits with "No input provided via
# stdin" even in a real PTY. amux's sessions are interactive unless given -p, which doesn't care.
_NON_INTERACTIVE_ENV = ("CI",)


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
        settings: dict = {
            "security": {"auth": {"selectedType": "gemini-api-key"}},
            "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
            "privacy": {"usageStatisticsEnabled": False},
        }
        if endpoint.context_window:
            # The home is shared by amux's Gemini sessions: the latest launch's window wins.
            settings["model"] = {"compressionThreshold": compression_threshold(endpoint.context_window)}
        env = {
            "GEMINI_CLI_HOME": str(home),
            "GEMINI_API_KEY": endpoint.token,
            "GOOGLE_GEMINI_BASE_URL": endpoint.base_url,
            "GEMINI_CLI_TRUST_WORKSPACE": "true",
        }
        return SessionSetup(
            env=env, unset_env=_CONFLICTING_ENV + _NON_INTERACTIVE_ENV, args=["-m", endpoint.model],
            files=[FileSeed(home / ".gemini" / "settings.json", settings, "merge-json")],
            secret_env=frozenset({"GEMINI_API_KEY"}),
        )

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        provider, params = target.provider, target.provider.params
        env: dict[str, str] = {}
        if provider.type == "vertex_ai":
            env["GOOGLE_GENAI_USE_VERTEXAI"] = "true"
            if params.get("vertex_project"):
                env["GOOGLE_CLOUD_PROJECT"] = str(params["vertex_project"])
            if params.get("vertex_location"):
                env["GOOGLE_CLOUD_LOCATION"] = str(params["vertex_location"])
        else:
            env |= key_if_not_inherited("GEMINI_API_KEY", provider.api_key, target.inherited_env)
            if provider.api_base and provider.api_base.rstrip("/") != GEMINI_DEFAULT_BASE:
                env["GOOGLE_GEMINI_BASE_URL"] = provider.api_base
        return SessionSetup(env=env, unset_env=_NON_INTERACTIVE_ENV, args=["-m", target.model],
                            secret_env=frozenset({"GEMINI_API_KEY"}))
