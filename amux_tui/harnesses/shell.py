"""`shell`: your shell or any command, with the session's endpoint in the usual variables.

No protocol of its own: it gets ``OPENAI_BASE_URL``/``ANTHROPIC_BASE_URL``/``GOOGLE_GEMINI_BASE_URL``
(and their keys) for every API the endpoint serves, plus ``AMUX_*`` variables, so scripts and
SDKs reach the provider (or amux's proxy) without any configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..config.formats import API_FORMATS, ApiFormat
from .base import Endpoint, HarnessAdapter, InstallSpec, SessionSetup

_FORMAT_ENV: dict[ApiFormat, dict[str, str]] = {
    "openai-chat": {"OPENAI_BASE_URL": "url", "OPENAI_API_BASE": "url", "OPENAI_API_KEY": "key"},
    "openai-responses": {"OPENAI_BASE_URL": "url", "OPENAI_API_BASE": "url", "OPENAI_API_KEY": "key"},
    "anthropic-messages": {"ANTHROPIC_BASE_URL": "url", "ANTHROPIC_API_KEY": "key"},
    "gemini": {"GOOGLE_GEMINI_BASE_URL": "url", "GEMINI_API_KEY": "key"},
}


class Shell(HarnessAdapter):
    name = "shell"
    label = "Shell / custom command"
    binary = "sh"
    install = InstallSpec("system", "", "nothing to install: runs $SHELL, or the command after --")
    version_args = ()
    protocols = API_FORMATS
    NEEDS_TTY = False
    headless_usage = "amux launch shell -- COMMAND ARGS..."

    def command(self, user_args: list[str], inherited_env: Mapping[str, str]) -> list[str]:
        return [] if user_args else [inherited_env.get("SHELL") or "/bin/sh"]

    def headless_args(self, prompt: str) -> list[str]:
        return ["-c", prompt]

    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        urls = dict(endpoint.all_formats) or {endpoint.api_format: endpoint.base_url}
        env: dict[str, str] = {}
        secret = {"AMUX_API_KEY"}
        # The preferred format goes last so it wins where two formats share a variable.
        for fmt in sorted(urls, key=lambda f: f == endpoint.api_format):
            for var, what in _FORMAT_ENV[fmt].items():
                env[var] = urls[fmt] if what == "url" else endpoint.token
                if what == "key":
                    secret.add(var)
        env |= {
            "AMUX_BASE_URL": endpoint.base_url,
            "AMUX_API_FORMAT": endpoint.api_format,
            "AMUX_API_KEY": endpoint.token,
            "AMUX_MODEL": endpoint.model,
            "AMUX_SMALL_MODEL": endpoint.small_model or endpoint.model,
        }
        if endpoint.context_window:
            env["AMUX_CONTEXT_WINDOW"] = str(endpoint.context_window)
        return SessionSetup(env=env, secret_env=frozenset(secret))
