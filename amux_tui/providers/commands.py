"""`amux providers`, `amux models`, `amux ollama`: bodies of the subcommands (cli.py dispatches here).

Exit codes: 0 ok, 1 runtime failure (a provider failing its check, a model list nobody can give),
2 usage or config error (raised as ConfigError / SelectionError and reported by cli.main).
The ``--json`` shapes are documented in docs/amux-provider-config.md; keep them stable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from typing import Any

from ..config.overrides import deep_merge, parse_provider_args
from .resolved import ResolvedProvider, mask_url

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
FAILING = ("auth_failed", "unreachable", "error")
CHECK_TIMEOUT = 3.0


def cmd_providers(args: argparse.Namespace) -> int:
    action = getattr(args, "providers_command", None)
    if action is not None:
        from . import edit

        return {"add": edit.cmd_providers_add, "remove": edit.cmd_providers_remove}[action](args)
    return asyncio.run(_providers(args))


def cmd_models(args: argparse.Namespace) -> int:
    return asyncio.run(_models(args))


def cmd_ollama(args: argparse.Namespace) -> int:
    from .ollama_command import run_ollama_command

    return asyncio.run(run_ollama_command(args))


async def _providers(args: argparse.Namespace) -> int:
    from .detect import load_registry
    from .health import check_all
    from .text_output import render_table, write

    registry = await load_registry(getattr(args, "config", None))
    providers = list(registry)
    results = await check_all(providers, timeout=CHECK_TIMEOUT) if args.check else None
    health = {result.provider: result for result in results or []}
    if args.json:
        entries = []
        for provider in providers:
            entry = provider.to_public_dict()
            entry["default"] = provider.name == registry.default_provider
            entry["health"] = health[provider.name].to_public_dict() if provider.name in health else None
            entries.append(entry)
        document = {"config": None if registry.source.startswith("<") else registry.source,
                    "default_provider": registry.default_provider, "providers": entries}
        write(json.dumps(document, indent=2) + "\n")
    elif not providers:
        write("no providers: set a key such as ANTHROPIC_API_KEY or OPENROUTER_API_KEY, start Ollama "
              "(amux ollama serve), or write providers.json (see docs/amux-provider-config.md)\n", sys.stderr)
    else:
        headers = ["NAME", "TYPE", "SOURCE", "API FORMAT", "KEY", "ENDPOINT"]
        if results is not None:
            headers += ["HEALTH", "LATENCY", "DETAIL"]
        rows = []
        for provider in providers:
            marker = "*" if provider.name == registry.default_provider else ""
            row: list[Any] = [provider.name + marker, provider.type, provider.source, _formats(provider),
                              _key_status(provider), mask_url(provider.api_base) if provider.api_base else "(LiteLLM)"]
            if results is not None:
                result = health[provider.name]
                latency = f"{result.latency_ms:.0f} ms" if result.latency_ms is not None else None
                row += [result.status, latency, mask_url(result.detail) if result.detail else result.detail]
            rows.append(row)
        write(render_table(headers, rows))
        for provider in providers:
            for note in provider.notes:
                write(f"note: {provider.name}: {note}\n")
        origin = registry.source if not registry.source.startswith("<") else "no config file"
        write(f"\nconfig: {origin}" + ("; * marks the default provider" if registry.default_provider else "") + "\n")
    if results is not None and any(result.status in FAILING for result in results):
        return EXIT_FAILURE
    return EXIT_OK


async def _models(args: argparse.Namespace) -> int:
    from .detect import load_registry
    from .models import list_models
    from .text_output import render_table, write

    registry = await load_registry(getattr(args, "config", None), detect=False)
    provider = registry.provider(args.provider)
    extra = parse_provider_args(getattr(args, "provider_arg", None) or [])
    if extra:
        provider = replace(provider, params=deep_merge(provider.params, extra))
    listing = await list_models(provider)
    if args.json:
        write(json.dumps({"provider": provider.name, "source": listing.source, "error": listing.error,
                          "models": [model.to_public_dict() for model in listing.models]}, indent=2) + "\n")
    else:
        if listing.models:
            rows = [[m.id, f"{m.context_window:,}" if m.context_window else None, m.owned_by] for m in listing.models]
            write(render_table(["MODEL", "CONTEXT", "OWNED BY"], rows))
        if listing.source == "config":
            what = "the configured models" if listing.models else "no models (none configured)"
            write(f"note: {provider.name}: live list unavailable ({listing.error}); showing {what}\n", sys.stderr)
    return EXIT_OK if listing.source == "live" or listing.models else EXIT_FAILURE


def _formats(provider: ResolvedProvider) -> str:
    return ",".join(provider.api_formats) if not provider.via_litellm else "litellm"


def _key_status(provider: ResolvedProvider) -> str:
    """Masked key and its origin, never the key itself."""
    if provider.api_key:
        return f"{provider.masked_key} ({provider.key_env})" if provider.key_env else provider.masked_key
    if provider.key_problem:
        return f"missing: {provider.key_problem}"
    if provider.local:
        return "not needed"
    return "LiteLLM's credentials" if provider.via_litellm else "none"
