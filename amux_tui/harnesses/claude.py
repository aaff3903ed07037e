"""Claude Code: speaks Anthropic Messages; reaches Anthropic, Bedrock and Vertex by itself.

Proxied and direct sessions, and a native one with a key in a Claude Code never onboarded, run in
amux's own Claude home (``CLAUDE_CONFIG_DIR``) seeded past the first-run prompts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..providers.resolved import ResolvedProvider
from . import aws
from .base import (
    Endpoint, FileSeed, HarnessAdapter, InstallSpec, NativeTarget, SessionSetup, custom_api_base, format_gap,
    key_if_not_inherited, param_value,
)
from .endpoints import from_provider_base, vertex_root
from .vertex import google_credentials

# Inherited settings that would send a proxied session elsewhere or trigger the "use this key?" prompt.
_CONFLICTING_ENV = (
    "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_USE_FOUNDRY", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_VERTEX_BASE_URL", "ANTHROPIC_CUSTOM_HEADERS",
)


class ClaudeCode(HarnessAdapter):
    name = "claude"
    label = "Claude Code"
    binary = "claude"
    install = InstallSpec("npm", "@anthropic-ai/claude-code", "npm install -g @anthropic-ai/claude-code",
                          "https://code.claude.com/docs")
    protocols = ("anthropic-messages",)
    native_providers = frozenset({"anthropic", "bedrock", "vertex_ai"})
    own_default_model = frozenset({"anthropic", "bedrock", "vertex_ai"})
    CAN_RESUME = True
    RESUME_BY_ID = True
    resume_usage = "claude --continue | claude --resume ID"
    headless_usage = "claude -p PROMPT"
    HOME_ENV = "CLAUDE_CONFIG_DIR"

    def headless_args(self, prompt: str) -> list[str]:
        return ["-p", prompt]

    def resume_args(self, session_id: str | None) -> list[str]:
        return ["--resume", session_id] if session_id else ["--continue"]

    def alias_map(self, model: str, small_model: str | None) -> dict[str, str]:
        return {"sonnet": model, "opus": model, "haiku": small_model or model}

    def endpoint_setup(self, endpoint: Endpoint, *, home: Path, session_dir: Path, cwd: Path) -> SessionSetup:
        small = endpoint.small_model or endpoint.model
        if endpoint.via_proxy:
            # The proxy takes a bearer token: no "use this API key?" prompt on first run.
            key_env = {"ANTHROPIC_AUTH_TOKEN": endpoint.token}
            seed = _home_seed(cwd, None, endpoint.cwd_trusted)
        else:
            # Anthropic-compatible endpoints expect x-api-key.
            key_env = {"ANTHROPIC_API_KEY": endpoint.token}
            seed = _home_seed(cwd, endpoint.token, endpoint.cwd_trusted)
        env = {
            "CLAUDE_CONFIG_DIR": str(home),
            "ANTHROPIC_BASE_URL": endpoint.base_url,
            **key_env,
            "ANTHROPIC_MODEL": endpoint.model,
            "ANTHROPIC_DEFAULT_OPUS_MODEL": endpoint.model,
            "ANTHROPIC_DEFAULT_SONNET_MODEL": endpoint.model,
            "ANTHROPIC_DEFAULT_HAIKU_MODEL": small,
            "ANTHROPIC_SMALL_FAST_MODEL": small,
            "CLAUDE_CODE_SUBAGENT_MODEL": endpoint.model,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }
        if endpoint.context_window:
            # Documented for gateway/custom model ids: otherwise it assumes a window and warns.
            env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] = str(endpoint.context_window)
        if endpoint.max_output_tokens:
            env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] = str(endpoint.max_output_tokens)
        if endpoint.reasoning_effort:
            env["CLAUDE_CODE_EFFORT_LEVEL"] = endpoint.reasoning_effort
        unset = tuple(name for name in _CONFLICTING_ENV if name not in key_env) + (
            ("ANTHROPIC_API_KEY",) if endpoint.via_proxy else ("ANTHROPIC_AUTH_TOKEN",))
        return SessionSetup(
            env=env, unset_env=tuple(dict.fromkeys(unset)),
            files=[FileSeed(home / ".claude.json", seed, "merge-json")],
            secret_env=frozenset(key_env), trust_preaccepted=endpoint.cwd_trusted,
        )

    def native_gaps(self, provider: ResolvedProvider) -> list[str]:
        if provider.type == "bedrock":
            return aws.bedrock_gaps(provider)
        if provider.type == "vertex_ai" and provider.api_key:
            return ["api_key (a Vertex API key: Claude Code's Vertex client signs with Google credentials only)"]
        return format_gap(provider, "anthropic-messages", self.label) if provider.type == "anthropic" else []

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        provider = target.provider
        env: dict[str, str] = {}
        files: list[FileSeed] = []
        base = custom_api_base(provider)
        base_url = None
        unset: tuple[str, ...] = ()
        if provider.type == "anthropic":
            env |= key_if_not_inherited("ANTHROPIC_API_KEY", provider.api_key, target.inherited_env)
            if base:
                base_url = env["ANTHROPIC_BASE_URL"] = from_provider_base(base, "anthropic-messages")
        elif provider.type == "bedrock":
            env["CLAUDE_CODE_USE_BEDROCK"] = "1"
            if runtime := aws.bedrock_base(provider):
                base_url = env["ANTHROPIC_BEDROCK_BASE_URL"] = runtime
            credentials, unset = aws.bedrock_credentials(provider, target.inherited_env)
            env |= credentials
        elif provider.type == "vertex_ai":
            env["CLAUDE_CODE_USE_VERTEX"] = "1"
            credentials, files = google_credentials(provider, target.session_dir)
            env |= credentials
            if base:  # its Vertex client appends /projects/... to this
                base_url = env["ANTHROPIC_VERTEX_BASE_URL"] = vertex_root(base) + "/v1"
        for param, var in (("aws_region_name", "AWS_REGION"),
                           ("vertex_location", "CLOUD_ML_REGION"), ("vertex_project", "ANTHROPIC_VERTEX_PROJECT_ID")):
            if (value := param_value(provider, param)) is not None:
                env[var] = value
        if target.small_model:
            env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = target.small_model
            env["ANTHROPIC_SMALL_FAST_MODEL"] = target.small_model
        if target.reasoning_effort:
            env["CLAUDE_CODE_EFFORT_LEVEL"] = target.reasoning_effort
        setup = SessionSetup(env=env, args=["--model", target.model] if target.model else [], files=files,
                             unset_env=unset, secret_env=frozenset({"ANTHROPIC_API_KEY"}) | aws.SECRET_ENV,
                             base_url=base_url)
        state = own_state(target.inherited_env)
        if provider.type == "anthropic" and provider.api_key and state.get("hasCompletedOnboarding") is not True \
                and target.home:
            # A key and a Claude Code never set up: its first run would stop at onboarding and at
            # "use this API key?". Run in amux's Claude home, past both, instead of the user's.
            env["ANTHROPIC_API_KEY"] = provider.api_key
            env["CLAUDE_CONFIG_DIR"] = str(target.home)
            setup.files.append(FileSeed(target.home / ".claude.json",
                                        _home_seed(target.cwd or Path.cwd(), provider.api_key, target.cwd_trusted),
                                        "merge-json"))
            setup.uses_home = True
            setup.trust_preaccepted = target.cwd_trusted
            setup.notes.append(f"Claude Code is not set up in your own config (no onboarding done): this session "
                               f"uses amux's Claude home {target.home}, past onboarding, with this key approved")
        elif provider.type == "anthropic" and provider.api_key and provider.api_key[-20:] not in _approved(state):
            setup.notes.append("Claude Code asks once whether to use this API key (answer yes; it remembers)")
        return setup


def _home_seed(cwd: Path, api_key: str | None, trusted: bool) -> dict:
    """amux's Claude home past the first-run prompts: onboarding, trusting ``cwd`` (only when the
    user trusts it in amux: the dialog guards the folder's own hooks and MCP servers) and (Claude
    Code asks once per key, remembering its last 20 characters) using ``api_key``."""
    project: dict = {"hasCompletedProjectOnboarding": True}
    if trusted:
        project["hasTrustDialogAccepted"] = True
    seed: dict = {"hasCompletedOnboarding": True, "projects": {str(cwd): project}}
    if api_key:
        seed["customApiKeyResponses"] = {"approved": [api_key[-20:]]}
    return seed


def _approved(state: dict) -> list:
    responses = state.get("customApiKeyResponses")
    approved = responses.get("approved") if isinstance(responses, dict) else None
    return approved if isinstance(approved, list) else []


def own_state(env: Mapping[str, str]) -> dict:
    """The user's own Claude Code state (``.claude.json``: onboarding, approved keys); {} if none."""
    config_dir = env.get("CLAUDE_CONFIG_DIR")
    path = Path(config_dir) / ".claude.json" if config_dir else Path(env.get("HOME") or Path.home()) / ".claude.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}
