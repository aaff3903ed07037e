"""How a Vertex AI provider's settings reach a harness whose Google client authenticates itself
(Claude Code's, Gemini CLI's and OpenCode's google-auth-library, the LiteLLM inside Aider): the
provider's ``vertex_credentials`` as Application Default Credentials, a Vertex API key in the shell
that would replace them, and what express mode (an ``api_key``) leaves unused."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..providers.resolved import ResolvedProvider
from .base import FileSeed, param_value

GOOGLE_CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"


def google_credentials(provider: ResolvedProvider, session_dir: Path) -> tuple[dict[str, str], list[FileSeed]]:
    """The provider's ``vertex_credentials`` for a harness whose Google auth library reads Application
    Default Credentials: a file's path goes in ``GOOGLE_APPLICATION_CREDENTIALS`` as is; the JSON
    itself (a string or an object in providers.json) goes to an owner-only file of the session,
    named there. Nothing when the param is unset (the harness finds the user's own ADC)."""
    value = provider.params.get("vertex_credentials")
    if value in (None, ""):
        return {}, []
    if isinstance(value, str) and not value.lstrip().startswith("{"):
        return {GOOGLE_CREDENTIALS_ENV: os.path.expanduser(value)}, []
    path = session_dir / "google-credentials.json"
    content = value if isinstance(value, str) else json.dumps(value)
    return {GOOGLE_CREDENTIALS_ENV: str(path)}, [FileSeed(path, content, secret=True)]


def shadowing_vertex_key(provider: ResolvedProvider, var: str, inherited_env: Mapping[str, str]) -> tuple[str, ...]:
    """``(var,)`` when the shell holds that Vertex API key variable and the provider configures its
    Google credentials or project: the harness's Google SDK would take the key (Vertex express
    mode) over both, and reach Vertex as whoever owns the key."""
    configured = provider.params.get("vertex_credentials") not in (None, "") or param_value(provider, "vertex_project")
    return (var,) if configured and var in inherited_env else ()


def express_mode_notes(provider: ResolvedProvider) -> list[str]:
    """What a Vertex ``api_key`` (express mode) leaves unused, said rather than dropped silently:
    both Google SDKs send only the key to Vertex's project-less paths once they have one."""
    unused = [name for name in ("vertex_credentials", "vertex_project", "vertex_location")
              if provider.params.get(name) not in (None, "")]
    return [f"Vertex express mode: the api_key is the identity; {', '.join(unused)} unused"] if unused else []
