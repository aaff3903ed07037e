"""`prepare_launch`: from (harness, provider, model) to a ready-to-run `LaunchPlan`.

The CLI (`amux launch`) and the dashboard both call it; the dashboard passes its own running
`ProxyServer` and spawns ``plan.argv`` with ``plan.full_env()`` in its PTY widget, then calls
`cleanup_launch` when the session ends.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..providers.resolved import ResolvedProvider
from .base import Endpoint, HarnessAdapter, NativeTarget, SessionSetup, custom_api_base
from .endpoints import from_provider_base, from_proxy_root, proxy_urls
from .errors import LaunchError
from .locations import (
    create_session_dir, find_binary, harness_home, new_session_dir, remove_session_dir, sweep_stale_session_dirs, write_seed,
)
from .preflight import PreflightReport, run_preflight
from .registry import get_adapter
from .resolve import SESSION_MARKER, LaunchPlan, ProxyMode, RouteDecision, decide_route, resume_arguments
from .trust import is_trusted
from .vertex import express_mode_notes

if TYPE_CHECKING:
    from ..proxy.server import ProxyServer

LOCAL_PLACEHOLDER_KEY = "amux-no-key"
"""Harnesses refuse to start without a key; a local server without one gets this."""
DRY_RUN_PROXY_URL = "http://127.0.0.1:PROXY_PORT"
DRY_RUN_TOKEN = "amux-session-token-shown-at-launch"


async def prepare_launch(
    harness: str | HarnessAdapter,
    provider: ResolvedProvider,
    model: str | None,
    *,
    proxy_mode: ProxyMode = "never",
    proxy_server: ProxyServer | None = None,
    harness_args: Sequence[str] = (),
    resume: str | None = None,
    headless_prompt: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    preflight: bool = True,
    strict: bool = True,
    dry_run: bool = False,
    label: str | None = None,
    trust_cwd: bool = False,
) -> LaunchPlan:
    """Resolve the route, run preflight, register a proxy session when the route needs one, and
    write the session's files. Raises `LaunchError` (with ``exit_code`` and ``fix``).

    ``strict=False`` keeps preflight problems as plan notes (and in ``plan.problems``) instead of
    raising (previews, ``--dry-run``). ``dry_run`` writes nothing and registers nothing: URLs and
    tokens are placeholders. ``model`` None: the harness's own default (`harness_picks_model`).
    The harness's workspace-trust prompt is pre-accepted only when ``trust_cwd`` or the folder is
    trusted in amux (`trust.is_trusted`); recording the trust is the caller's (`trust.trust`).
    """
    adapter = harness if isinstance(harness, HarnessAdapter) else get_adapter(harness)
    inherited = dict(os.environ if env is None else env)
    workdir = Path(cwd or os.getcwd()).resolve()
    cwd_trusted = trust_cwd or await asyncio.to_thread(is_trusted, workdir, inherited)
    decision = decide_route(adapter, provider, proxy_mode)
    if model is None and not harness_picks_model(adapter, provider, decision.route):
        raise LaunchError(f"no model for {adapter.label} on {provider.name}: on the {decision.route} route amux must "
                          "name one", fix=f"pass --model (amux models {provider.name} lists them)")
    if provider.vertex_express and model and model.startswith("claude"):
        raise LaunchError(f"{provider.name}: a Vertex api_key (express mode) reaches Google's own models only, "
                          f"not {model}", fix="for Claude on Vertex, configure vertex_credentials, vertex_project and "
                                              "vertex_location instead of api_key")
    extra = resume_arguments(adapter, resume)
    if headless_prompt is not None:
        extra += adapter.headless_args(headless_prompt)
    user_args = list(harness_args)

    report = PreflightReport()
    if preflight:
        report = await run_preflight(adapter, provider, model, decision.route, env=inherited, user_args=user_args)
        if strict and not dry_run:
            report.raise_first()
    if decision.route == "proxy" and proxy_server is None and not dry_run:
        raise LaunchError(f"{adapter.label} needs amux's proxy for {provider.name}, and none is running",
                          fix="start a ProxyServer and pass it as proxy_server")

    session_id = secrets.token_hex(6)
    session_dir = new_session_dir(adapter.name, inherited)
    home = harness_home(adapter.name, inherited)
    small = provider.small_model
    effort = _reasoning_effort(provider)
    registration = None
    endpoint: Endpoint | None = None
    if decision.route == "native":
        # Off the loop: an adapter may read the user's own harness settings (never writes them).
        setup = await asyncio.to_thread(adapter.native_setup, NativeTarget(
            provider, model, inherited, session_dir, small_model=small,
            context_window=report.facts.context_window, reasoning_effort=effort, home=home, cwd=workdir,
            cwd_trusted=cwd_trusted))
        if not setup.uses_home:
            home = None
    else:
        assert decision.api_format is not None and model is not None
        if decision.route == "proxy":
            root, token = DRY_RUN_PROXY_URL, DRY_RUN_TOKEN
            if proxy_server is not None and not dry_run:
                aliases = {k: v for k, v in adapter.alias_map(model, small).items() if k != v}
                registration = proxy_server.register_session(provider, model, label=label or adapter.name,
                                                             model_aliases=aliases or None,
                                                             max_output_tokens=report.facts.max_output_tokens)
                root, token = registration.base_url, registration.token
            base_url, all_formats = from_proxy_root(root, decision.api_format), proxy_urls(root)
        else:
            token = provider.api_key or LOCAL_PLACEHOLDER_KEY
            base_url = from_provider_base(provider.api_base or "", decision.api_format)
            all_formats = {fmt: from_provider_base(provider.api_base or "", fmt) for fmt in provider.api_formats}
        endpoint = Endpoint(
            base_url, decision.api_format, token, model, small_model=small,
            context_window=report.facts.context_window, max_output_tokens=report.facts.max_output_tokens,
            reasoning_effort=effort, supports_tools=report.facts.supports_tools,
            via_proxy=decision.route == "proxy", all_formats=all_formats, cwd_trusted=cwd_trusted)
        setup = adapter.endpoint_setup(endpoint, home=home, session_dir=session_dir, cwd=workdir)
        if decision.route == "proxy" and provider.vertex_express:  # the proxy sends the key alone too
            setup.notes += express_mode_notes(provider)

    plan = _assemble(adapter, provider, model, decision, setup, extra, user_args, inherited, workdir,
                     session_dir, home, endpoint, report, session_id)
    if registration is not None:
        plan.proxy_session_id = registration.session_id
    if not strict:
        plan.notes += [problem.render() for problem in report.problems]
        plan.problems = list(report.problems)
    if not dry_run:
        try:
            materialize(plan)
        except OSError as exc:
            await cleanup_launch(plan, proxy_server)
            raise LaunchError(f"cannot write the session's files: {exc}", fix="check that amux's state "
                              "directory is writable (AMUX_STATE_DIR or XDG_STATE_HOME)", exit_code=1) from None
    return plan


def harness_picks_model(adapter: HarnessAdapter, provider: ResolvedProvider, route: str) -> bool:
    """Whether the harness chooses a model itself: natively, at the provider's own host (a gateway
    serves its own names, which the harness's default is not one of)."""
    return route == "native" and provider.type in adapter.own_default_model and custom_api_base(provider) is None


def _assemble(adapter: HarnessAdapter, provider: ResolvedProvider, model: str | None, decision: RouteDecision,
              setup: SessionSetup, extra: list[str], user_args: list[str], inherited: Mapping[str, str],
              cwd: Path, session_dir: Path, home: Path | None, endpoint: Endpoint | None,
              report: PreflightReport, session_id: str) -> LaunchPlan:
    argv = adapter.build_argv(setup.args, extra, user_args, inherited)
    found = report.binary or (find_binary(argv[0], inherited) if argv else None)
    if found:
        argv[0] = found  # the full path: $AMUX_HARNESS_BIN may not be on PATH
    env = {**setup.env, SESSION_MARKER: session_id}
    uses_session_dir = any(_inside(seed.path, session_dir) for seed in setup.files)
    secret_values = tuple(v for v in (endpoint.token if endpoint else None, provider.api_key,
                                      *_secret_params(provider.params)) if v)
    facts: dict[str, Any] = report.to_public_dict()
    return LaunchPlan(
        harness=adapter.name, provider=provider, model=model, route=decision.route, reason=decision.reason,
        argv=argv, env=env, unset_env=setup.unset_env, files=list(setup.files),
        session_dir=session_dir if uses_session_dir else None, home=home, proxy_needed=decision.proxy_needed,
        notes=[*report.notes, *setup.notes, *_trust_note(adapter, setup, cwd)], api_format=decision.api_format,
        endpoint_url=endpoint.base_url if endpoint else (setup.base_url or provider.api_base), cwd=cwd,
        session_id=session_id,
        secret_env=setup.secret_env, secret_values=secret_values, facts=facts,
        trust_preaccepted=setup.trust_preaccepted)


def _trust_note(adapter: HarnessAdapter, setup: SessionSetup, cwd: Path) -> list[str]:
    if setup.trust_preaccepted is not False:
        return []
    return [f"{adapter.label} asks whether to trust {cwd} (its hooks, MCP servers and settings): "
            "amux pre-accepts that only for folders trusted with `amux launch --trust`"]


def materialize(plan: LaunchPlan) -> None:
    """Create the session dir and write the plan's files (amux's own directories only)."""
    if plan.session_dir is not None:
        sweep_stale_session_dirs(plan.session_dir.parent)
        create_session_dir(plan.session_dir)
    if plan.home is not None:
        plan.home.mkdir(parents=True, mode=0o700, exist_ok=True)
    for seed in plan.files:
        write_seed(seed)


async def cleanup_launch(plan: LaunchPlan, proxy_server: ProxyServer | None = None) -> None:
    """After the session: revoke its proxy token and remove its session dir (the home stays)."""
    if proxy_server is not None and plan.proxy_session_id:
        proxy_server.unregister_session(plan.proxy_session_id)
        plan.proxy_session_id = None
    remove_session_dir(plan.session_dir)


_SECRET_WORDS = ("key", "secret", "token", "password", "credential", "authorization", "cookie")


def _secret_params(params: Mapping[str, Any]) -> list[str]:
    """Values of provider params named like secrets (an Authorization header in extra_headers...): an
    adapter may carry them into the harness's config (OpenCode's headers), which the plan shows masked.
    Values under 8 characters are left: masking one would mask it wherever it occurs in the plan."""
    found: list[str] = []
    for name, value in params.items():
        if isinstance(value, Mapping):
            found += _secret_params(value)
        elif isinstance(value, str) and len(value) >= 8 and any(word in str(name).lower() for word in _SECRET_WORDS):
            found.append(value)
    return found


def _reasoning_effort(provider: ResolvedProvider) -> str | None:
    value = provider.params.get("reasoning_effort")
    return str(value) if value else None


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
    except ValueError:
        return False
    return True
