"""`amux harnesses`, and the parts of `amux launch` that are the harnesses' (choosing provider and model,
the proxy it runs through, what it prints); the command itself is `amux_tui.launch_command`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

from .base import HarnessAdapter
from .errors import EXIT_FAILURE, EXIT_USAGE, LaunchError
from .launch import harness_picks_model, prepare_launch
from .resolve import LaunchPlan, decide_route

if TYPE_CHECKING:
    from ..providers.resolved import ResolvedProvider
    from ..proxy.server import ProxyServer


async def select_launch(args: argparse.Namespace,
                        adapter: HarnessAdapter) -> tuple[ResolvedProvider, str | None, list[str]]:
    """The provider and model to launch with, and notes saying how any default was chosen."""
    from ..config.loader import load_config
    from ..config.overrides import parse_provider_args
    from ..providers.defaults import NoHealthyProvider, pick_provider
    from ..providers.registry import ProviderRegistry

    registry = ProviderRegistry.from_config(load_config(getattr(args, "config", None)))
    params = parse_provider_args(getattr(args, "provider_arg", None) or [])
    notes: list[str] = []
    name = args.provider
    # "org/model" without a provider prefix is a model name: the provider is still picked by health.
    if name is None and not registry.default_provider and registry.model_prefix(args.model) is None:
        try:
            pick = await pick_provider(registry, prefer=lambda provider: _without_proxy(adapter, provider))
        except NoHealthyProvider as exc:
            raise LaunchError(str(exc), fix="start the server or fix the key, or pass --provider",
                              exit_code=EXIT_FAILURE) from None
        name = pick.provider.name
        notes.append(pick.describe())
    provider, model = registry.select(name, args.model, params=params or None, require_model=False)
    return provider, model, notes


def _without_proxy(adapter: HarnessAdapter, provider: ResolvedProvider) -> str | None:
    """Why ``adapter`` reaches ``provider`` without amux's proxy, or None if it needs it."""
    route = decide_route(adapter, provider, "if-needed").route
    return None if route == "proxy" else f"{adapter.label} reaches {route}"


async def choose_model(adapter: HarnessAdapter, provider: ResolvedProvider, route: str,
                       model: str | None) -> tuple[str | None, str | None]:
    """``model``, else the harness's own default where it has one (None), else the provider's."""
    from ..providers.defaults import ModelListUnavailable, pick_model
    from ..providers.registry import SelectionError

    if model:
        return model, None
    if provider.default_model or not harness_picks_model(adapter, provider, route):
        try:
            chosen, how = await pick_model(provider)
        except ModelListUnavailable as exc:  # the provider's problem, as preflight would find it: exit 1
            raise LaunchError(str(exc), fix="start it or fix its api_base/key (amux providers --check), or pass "
                              "--model", exit_code=EXIT_FAILURE) from None
        except SelectionError as exc:
            raise LaunchError(str(exc), exit_code=EXIT_USAGE) from None
        return chosen, f"no --model given: using {chosen} ({how})"
    return None, f"no --model given: {adapter.label} uses its own default model for {provider.type}"


def trust_cwd_now() -> None:
    from .trust import trust, trust_file

    try:
        folder = trust(os.getcwd())
    except OSError as exc:
        raise LaunchError(f"cannot record the folder as trusted: {exc}", fix="check that amux's state directory is "
                          "writable (AMUX_STATE_DIR or XDG_STATE_HOME)", exit_code=EXIT_FAILURE) from None
    print(f"amux: trusted {folder} (and the folders below it) in {trust_file()}: harnesses' workspace-trust "
          "prompts are pre-accepted there", file=sys.stderr)


def print_resume_hint(plan: LaunchPlan, adapter, args: argparse.Namespace, started: float, *,
                       recorded: bool = False) -> None:
    """The harness's own resume hint points outside amux's home for it: print the one that works.
    A recorded session in its own worktree resumes there through its record (a plain `amux launch`
    from the user's directory would start outside the worktree)."""
    from .resume_hint import resume_command

    if recorded and adapter.CAN_RESUME and adapter.RESUME_BY_ID and plan.home is not None:
        print(f"amux: to resume this session: amux sessions resume {plan.session_id}", file=sys.stderr)
        return
    command = resume_command(plan, can_resume=adapter.CAN_RESUME, by_id=adapter.RESUME_BY_ID,
                             proxy_mode=args.proxy_mode, since=started - 1, config=getattr(args, "config", None))
    if command:
        print(f"amux: to resume this session: {command}", file=sys.stderr)


async def open_proxy() -> ProxyServer:
    """Check that the proxy can start (printing the exact fix if not), then bind it on loopback:
    its URL is known and sessions can be registered; `serve_proxy` starts answering."""
    try:
        from ..proxy.preflight import check_proxy_can_start
        from ..proxy.server import ProxyServer
    except ImportError as exc:
        raise LaunchError(f"amux's proxy cannot be loaded: {exc}",
                          fix="reinstall amux in its environment: pip install -e .", exit_code=EXIT_FAILURE) from None
    problems = await check_proxy_can_start("127.0.0.1")
    if problems:
        raise LaunchError("amux's proxy cannot start: " + "; ".join(problems), exit_code=EXIT_FAILURE)
    server = ProxyServer(host="127.0.0.1", port=0, server_log=True)  # never a traceback over the harness
    try:
        server.bind()
    except OSError as exc:
        raise LaunchError(f"amux's proxy cannot listen on 127.0.0.1: {exc}",
                          fix="free a loopback port, or check that this process may bind sockets",
                          exit_code=EXIT_FAILURE) from None
    return server


async def serve_proxy(server: ProxyServer) -> None:
    """Serve the bound proxy; connections made meanwhile wait in its backlog and are answered."""
    try:
        await server.start()
    except (ImportError, OSError) as exc:
        fix = "reinstall amux in its environment: pip install -e ." if isinstance(exc, ImportError) else None
        raise LaunchError(f"amux's proxy could not start serving, so the harness was stopped: {exc}",
                          fix=fix, exit_code=EXIT_FAILURE) from None


async def prepare_offering_pull(adapter, provider, model, server, options) -> LaunchPlan:  # noqa: ANN001
    try:
        return await prepare_launch(adapter, provider, model, proxy_server=server, **options)
    except LaunchError as exc:
        if not (provider.type == "ollama" and "is not offered by" in exc.message and _can_ask()):
            raise
        ollama = shutil.which("ollama")
        if ollama is None:
            raise
        answer = input(f"amux: {model} is not pulled in Ollama. Pull it now with `ollama pull {model}`? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise
        pull = await asyncio.create_subprocess_exec(ollama, "pull", model)
        if await pull.wait() != 0:
            raise LaunchError(f"ollama pull {model} failed", exit_code=EXIT_FAILURE) from None
        return await prepare_launch(adapter, provider, model, proxy_server=server, **options)


def _can_ask() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def announce(plan: LaunchPlan, worktree: Any = None) -> None:
    """One line on stderr before the harness takes the terminal (plus any notes)."""
    if os.environ.get("AMUX_QUIET"):
        return
    where = f" at {plan.redact(plan.endpoint_url)}" if plan.endpoint_url else ""
    model = plan.model or "its own default model"
    print(f"amux: {plan.harness} -> {plan.provider.name}/{model} ({plan.route}{where})", file=sys.stderr)
    print(f"amux: session {plan.session_id}" + (f" in worktree {worktree.path} (branch {worktree.branch})"
                                                 if worktree is not None else ""), file=sys.stderr)
    for note in plan.notes:
        print(f"amux: note: {note}", file=sys.stderr)


def cmd_harnesses(args: argparse.Namespace) -> int:
    if args.matrix:
        from .matrix import render_text, support_matrix

        print(json.dumps(support_matrix(), indent=2) if args.json else render_text(), end="" if not args.json else "\n")
        return 0
    from .inventory import list_harnesses

    statuses = asyncio.run(list_harnesses())
    if args.json:
        print(json.dumps([status.to_public_dict() for status in statuses], indent=2))
        return 0
    from ..config.formats import API_FORMATS

    print(f"{'NAME':<9} {'HARNESS':<23} {'VERSION':<9} {'RESUME':<7} {'SPEAKS':<49} WHERE")
    for status in statuses:
        speaks = "any (env for every API)" if set(status.protocols) == set(API_FORMATS) else ", ".join(status.protocols)
        where = status.path if status.installed else f"not installed: {status.install_command}"
        version = status.version or ("-" if status.installed else "")
        print(f"{status.name:<9} {status.label:<23} {version:<9} {'yes' if status.can_resume else 'no':<7} "
              f"{speaks:<49} {where}")
        if status.problem:
            print(f"{'':<9} problem: {status.problem}")
    return 0
