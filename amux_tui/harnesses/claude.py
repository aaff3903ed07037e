"""Claude Code: speaks Anthropic Messages; reaches Anthropic, Bedrock and Vertex by itself."""

from __future__ import annotations

from pathlib import Path

from .base import Endpoint, FileSeed, HarnessAdapter, InstallSpec, NativeTarget, SessionSetup, key_if_not_inherited

ANTHROPIC_DEFAULT_BASE = "https://api.anthropic.com"

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
        seed: dict = {
            "hasCompletedOnboarding": True,
            "projects": {str(cwd): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}},
        }
        if endpoint.via_proxy:
            # The proxy takes a bearer token: no "use this API key?" prompt on first run.
            key_env = {"ANTHROPIC_AUTH_TOKEN": endpoint.token}
        else:
            # Anthropic-compatible endpoints expect x-api-key. Claude Code asks once per key and
            # remembers the answer by the key's last 20 characters, as it does in its own home.
            key_env = {"ANTHROPIC_API_KEY": endpoint.token}
            seed["customApiKeyResponses"] = {"approved": [endpoint.token[-20:]]}
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
            secret_env=frozenset(key_env),
        )

    def native_setup(self, target: NativeTarget) -> SessionSetup:
        provider, params = target.provider, target.provider.params
        env: dict[str, str] = {}
        if provider.type == "anthropic":
            env |= key_if_not_inherited("ANTHROPIC_API_KEY", provider.api_key, target.inherited_env)
            if provider.api_base and provider.api_base.rstrip("/") != ANTHROPIC_DEFAULT_BASE:
                env["ANTHROPIC_BASE_URL"] = provider.api_base
        elif provider.type == "bedrock":
            env["CLAUDE_CODE_USE_BEDROCK"] = "1"
            if params.get("aws_region_name"):
                env["AWS_REGION"] = str(params["aws_region_name"])
        elif provider.type == "vertex_ai":
            env["CLAUDE_CODE_USE_VERTEX"] = "1"
            if params.get("vertex_location"):
                env["CLOUD_ML_REGION"] = str(params["vertex_location"])
            if params.get("vertex_project"):
                env["ANTHROPIC_VERTEX_PROJECT_ID"] = str(params["vertex_project"])
        if target.small_model:
            env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = target.small_model
            env["ANTHROPIC_SMALL_FAST_MODEL"] = target.small_model
        if target.reasoning_effort:
            env["CLAUDE_CODE_EFFORT_LEVEL"] = target.reasoning_effort
        return SessionSetup(env=env, args=["--model", target.model], secret_env=frozenset({"ANTHROPIC_API_KEY"}))
