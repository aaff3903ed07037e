"""Launch resolution: which route a harness takes to a provider, and the `LaunchPlan` that runs it.

Routes, decided by `decide_route` from the adapter's data alone (no I/O):

- ``native``: the provider is one the harness reaches by itself (its own login or key) — run it
  directly with the user's own config; amux only adds the model and a configured key.
- ``direct``: the harness speaks one of the provider's wire APIs (Claude Code and an
  Anthropic-compatible endpoint, Codex and a Responses one, OpenCode/Qwen/Aider and an OpenAI Chat
  one) — run it directly against the endpoint, in amux's own harness home, no proxy.
- ``proxy``: anything else; only with ``--with-proxy-if-needed`` or ``--with-proxy`` (which proxies
  always). Without either, the launch stops and says why a proxy is needed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config.formats import ApiFormat
from ..providers.resolved import ResolvedProvider, mask_secret, mask_url
from .base import FileSeed, HarnessAdapter, param_value
from .errors import LaunchError
from .registry import resumable_harnesses

Route = Literal["native", "direct", "proxy"]
ProxyMode = Literal["never", "always", "if-needed"]
PROXY_MODES: tuple[ProxyMode, ...] = ("never", "always", "if-needed")
PROXY_FLAG_HINT = "rerun with --with-proxy-if-needed (or --with-proxy to always use amux's proxy)"


@dataclass(frozen=True)
class RouteDecision:
    route: Route
    api_format: ApiFormat | None
    """What the harness speaks on this route (None for native: its own business)."""
    reason: str
    proxy_needed: bool
    """True when no other route exists (as opposed to a proxy chosen with --with-proxy)."""


def direct_format(adapter: HarnessAdapter, provider: ResolvedProvider) -> ApiFormat | None:
    """The first of the provider's wire APIs (its preference order) that the harness speaks."""
    return next((fmt for fmt in provider.api_formats if fmt in adapter.protocols and provider.speaks(fmt)), None)


def why_proxy(adapter: HarnessAdapter, provider: ResolvedProvider) -> str:
    speaks = " / ".join(adapter.protocols)
    if provider.via_litellm:
        return (f"{adapter.label} speaks {speaks}, and {provider.name} is reached only through LiteLLM "
                f"({provider.litellm_prefix or provider.type}), which runs inside amux's proxy")
    return f"{adapter.label} speaks {speaks}, and {provider.name} serves {' / '.join(provider.api_formats)}"


def decide_route(adapter: HarnessAdapter, provider: ResolvedProvider, proxy_mode: ProxyMode = "never") -> RouteDecision:
    """Pick the route; LaunchError (exit 2) when a proxy is needed and ``proxy_mode`` is never.

    Native only when the adapter carries every setting of the provider (`HarnessAdapter.native_gaps`);
    otherwise the route is direct or proxy and its reason names the setting that forced it."""
    if proxy_mode not in PROXY_MODES:
        raise LaunchError(f"unknown proxy mode {proxy_mode!r}", fix=f"use one of: {', '.join(PROXY_MODES)}")
    if proxy_mode == "always":
        return RouteDecision("proxy", adapter.protocols[0], f"--with-proxy: through amux's proxy, speaking "
                             f"{adapter.protocols[0]} to it", proxy_needed=False)
    forced = ""
    headers = _extra_header_names(provider)
    if provider.type in adapter.native_providers:
        gaps = adapter.native_gaps(provider)
        if headers and not adapter.native_headers:
            gaps.append(f"extra_headers {headers}")
        if not gaps:
            return RouteDecision("native", None, f"{adapter.label} reaches {provider.type} by itself "
                                 "(your own login, key and config)", proxy_needed=False)
        forced = (f"not native: {adapter.label}'s own {provider.type} support cannot carry "
                  f"{'; '.join(gaps)}. ")
    fmt = direct_format(adapter, provider)
    if fmt is not None and not headers:
        return RouteDecision("direct", fmt, f"{forced}{adapter.label} speaks {fmt}, which {provider.name} serves "
                             f"at {provider.api_base}: no proxy needed", proxy_needed=False)
    why = (f"{adapter.label} cannot send its extra_headers {headers} to an endpoint itself, amux's proxy does"
           if fmt is not None else why_proxy(adapter, provider))
    if proxy_mode == "never":
        raise LaunchError(f"{forced}{adapter.label} cannot reach {provider.name} without amux's translation proxy: "
                          f"{why}", fix=PROXY_FLAG_HINT)
    return RouteDecision("proxy", adapter.protocols[0], f"{forced}proxy needed: {why}", proxy_needed=True)


def _extra_header_names(provider: ResolvedProvider) -> str:
    """The names of the provider's ``params.extra_headers`` ("" for none): only amux's proxy sends them."""
    headers = provider.params.get("extra_headers")
    return ", ".join(sorted(map(str, headers))) if isinstance(headers, dict) and headers else ""


def resume_arguments(adapter: HarnessAdapter, resume: str | None) -> list[str]:
    """``--resume`` (``""``: the last session, else an ID) as the harness's own arguments."""
    if resume is None:
        return []
    if not adapter.CAN_RESUME:
        raise LaunchError(f"{adapter.label} cannot resume sessions",
                          fix=f"--resume works with: {', '.join(resumable_harnesses())}")
    if resume and not adapter.RESUME_BY_ID:
        raise LaunchError(f"{adapter.label} resumes only its last session, not one by ID",
                          fix=f"use --resume without an ID ({adapter.resume_usage})")
    return adapter.resume_args(resume or None)


SESSION_MARKER = "AMUX_SESSION_ID"
"""The variable every harness process of a session carries, so its strays can be found."""


@dataclass
class LaunchPlan:
    """Everything needed to start one harness session. ``env`` holds secrets: show `to_public_dict`."""

    harness: str
    provider: ResolvedProvider
    model: str | None
    """None: the harness's own default model (native route only; see `model_note`)."""
    route: Route
    reason: str
    argv: list[str]
    env: dict[str, str] = field(repr=False)
    """Variables set over the inherited environment (see `full_env`)."""
    unset_env: tuple[str, ...] = ()
    files: list[FileSeed] = field(default_factory=list)
    session_dir: Path | None = None
    """Per-session directory (created by `prepare_launch`, removed by `cleanup_launch`)."""
    home: Path | None = None
    """amux's persistent home for this harness (proxied/direct routes only)."""
    proxy_needed: bool = False
    notes: list[str] = field(default_factory=list)
    api_format: ApiFormat | None = None
    endpoint_url: str | None = None
    cwd: Path = field(default_factory=Path.cwd)
    session_id: str = ""
    """amux's id for the session; the harness gets it as AMUX_SESSION_ID (used to find strays)."""
    proxy_session_id: str | None = None
    secret_env: frozenset[str] = frozenset()
    secret_values: tuple[str, ...] = field(default=(), repr=False)
    facts: dict[str, Any] = field(default_factory=dict)
    """What preflight learned: binary, context window, tool support, provider status."""
    problems: list[LaunchError] = field(default_factory=list, repr=False)
    trust_preaccepted: bool | None = None
    """The harness's workspace-trust prompt: pre-accepted (the cwd is trusted in amux), left to the
    harness (False), or none that amux touches (None)."""
    """Preflight problems kept instead of raised (previews, ``--dry-run``): the first decides the exit code."""

    def full_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment to run with: ``base`` (default os.environ) minus `unset_env`, plus `env`."""
        merged = dict(os.environ if base is None else base)
        for name in self.unset_env:
            merged.pop(name, None)
        merged.update(self.env)
        return merged

    def redact(self, text: str) -> str:
        for secret in sorted(self.secret_values, key=len, reverse=True):
            if secret:
                text = text.replace(secret, mask_secret(secret))
        return mask_url(text)  # credentials inside a URL (api_base's user:password@, ?token=)

    def to_public_dict(self) -> dict[str, Any]:
        """The plan as JSON-able data with every secret masked (``--dry-run``, logs, the UI)."""
        env = {name: mask_secret(value) if name in self.secret_env else self.redact(value)
               for name, value in sorted(self.env.items())}
        files = [{"path": str(seed.path), "mode": seed.mode, "content": _public_content(seed, self.redact)}
                 for seed in self.files]
        return _mask_urls({
            "harness": self.harness,
            "provider": self.provider.to_public_dict(),
            "model": self.model,
            "route": self.route,
            "reason": self.reason,
            "proxy_needed": self.proxy_needed,
            "api_format": self.api_format,
            "endpoint": self.redact(self.endpoint_url) if self.endpoint_url else None,
            # LiteLLM sends Bedrock requests to api_base, else to the runtime endpoint in params.
            "upstream": (self.provider.api_base or param_value(self.provider, "aws_bedrock_runtime_endpoint"))
            if self.route == "proxy" else None,
            "argv": [self.redact(arg) for arg in self.argv],
            "env": env,
            "unset_env": list(self.unset_env),
            "files": files,
            "session_dir": str(self.session_dir) if self.session_dir else None,
            "home": str(self.home) if self.home else None,
            "cwd": str(self.cwd),
            "workspace_trust": {True: "pre-accepted", False: "harness asks"}.get(self.trust_preaccepted),
            "session_id": self.session_id,
            "facts": self.facts,
            "notes": list(self.notes),
        })


def _mask_urls(value: Any) -> Any:
    """Every string in the plan with credentials inside URLs masked (the reason names the endpoint too)."""
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, dict):
        return {key: _mask_urls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_urls(item) for item in value]
    return value


def _public_content(seed: FileSeed, redact: Callable[[str], str]) -> str:
    # A credential file's secrets need not equal any configured value as written (an object in
    # providers.json is re-encoded, its escapes with it): hide all of it rather than match parts.
    if seed.secret:
        return "(a credential, written owner-only: not shown)"
    return redact(seed.content if isinstance(seed.content, str) else _json(seed.content))


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2)
