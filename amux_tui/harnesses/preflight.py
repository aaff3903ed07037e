"""Checks before a harness is spawned: the binary is installed, the provider answers and takes
the key, the model exists (Ollama: it can be pulled), and what the model's context window and
tool support are, so the adapter can tell the harness.

Probes run concurrently with short timeouts; a success is cached on disk for a few minutes
(`preflight_cache`), so repeated launches do no network I/O at all. httpx and the providers
room's probes are imported only on a cache miss; LiteLLM only when the session needs it anyway.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..providers.resolved import ResolvedProvider
from . import preflight_cache
from .base import HarnessAdapter
from .errors import EXIT_FAILURE, EXIT_USAGE, LaunchError
from .locations import find_binary

PROBE_TIMEOUT = 3.0


@dataclass
class ModelFacts:
    """What amux knows about the model; None means unknown."""

    context_window: int | None = None
    max_output_tokens: int | None = None
    supports_tools: bool | None = None
    source: str = ""


@dataclass
class PreflightReport:
    binary: str | None = None
    provider_status: str = "skipped"
    """ok / unreachable / auth_failed / error / unknown / skipped (see amux_tui.providers.health)."""
    provider_detail: str = ""
    model_found: bool | None = None
    facts: ModelFacts = field(default_factory=ModelFacts)
    problems: list[LaunchError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cached: bool = False
    pullable: bool = False
    """The model is missing from a local Ollama, which can pull it."""

    def raise_first(self) -> None:
        if self.problems:
            raise self.problems[0]

    def to_public_dict(self) -> dict[str, Any]:
        return {
            "binary": self.binary, "provider_status": self.provider_status, "provider_detail": self.provider_detail,
            "model_found": self.model_found, **{k: v for k, v in asdict(self.facts).items()},
            "cached": self.cached, "problems": [p.render() for p in self.problems],
        }


def program_for(adapter: HarnessAdapter, user_args: list[str], env: Mapping[str, str]) -> str:
    command = adapter.command(user_args, env)
    return command[0] if command else (user_args[0] if user_args else adapter.binary)


def check_binary(adapter: HarnessAdapter, user_args: list[str], env: Mapping[str, str], report: PreflightReport) -> None:
    program = program_for(adapter, user_args, env)
    report.binary = find_binary(program, env)
    if report.binary is None:
        fix = adapter.install.command if adapter.install.manager != "system" else "check the command's name and PATH"
        report.problems.append(LaunchError(
            f"{program} ({adapter.label}) is not installed: not found in $AMUX_HARNESS_BIN or PATH",
            fix=fix, exit_code=EXIT_FAILURE))


async def run_preflight(adapter: HarnessAdapter, provider: ResolvedProvider, model: str | None, route: str, *,
                        env: Mapping[str, str], user_args: list[str] | None = None,
                        timeout: float = PROBE_TIMEOUT, use_cache: bool = True) -> PreflightReport:
    """Every check for one launch; problems are collected (first one decides), never raised here."""
    report = PreflightReport()
    check_binary(adapter, list(user_args or []), env, report)
    if report.problems:
        return report  # nothing to run: no point probing the provider
    needs_key = route in ("direct", "proxy") and not provider.local
    if needs_key and provider.key_problem:
        report.problems.append(LaunchError(f"{provider.name}: {provider.key_problem}", fix=_key_fix(provider)))
    if route == "native" and not provider.api_key and not provider.local:
        configured = [name for name in ("aws_access_key_id", "aws_profile_name", "vertex_credentials")
                      if provider.params.get(name)]
        report.notes.append(f"{adapter.label} uses the {' and '.join(configured)} configured for {provider.name}; "
                            f"amux does not probe {provider.type}" if configured else
                            f"{adapter.label} uses its own login for {provider.type}; amux does not probe it")
        return report
    if needs_key and provider.key_problem:
        return report
    await _probe_provider(provider, model, route, report, env=env, timeout=timeout, use_cache=use_cache)
    if report.facts.supports_tools is False:
        report.notes.append(f"{model} says it does not support tools: {adapter.label} needs tools to edit files "
                            "and run commands, so expect it to fail at the first tool call")
    if report.facts.context_window is None and route != "native":
        report.notes.append(f"the context window of {model} is unknown: {adapter.label} keeps its own default")
    return report


async def _probe_provider(provider: ResolvedProvider, model: str | None, route: str, report: PreflightReport, *,
                          env: Mapping[str, str], timeout: float, use_cache: bool) -> None:
    path = preflight_cache.cache_path(env)
    key = preflight_cache.cache_key(provider, model or "")
    if use_cache and (hit := preflight_cache.load(key, path=path)) is not None:
        report.provider_status, report.provider_detail = "ok", hit.get("detail", "")
        report.model_found, report.cached = hit.get("model_found"), True
        report.facts = ModelFacts(**{k: hit.get(k) for k in ("context_window", "max_output_tokens", "supports_tools")},
                                  source="cache")
        return
    try:
        from ..providers.health import check_health
        from ..providers.models import list_models
    except ImportError as exc:  # the providers room without its probes: say so, do not block
        report.provider_status, report.provider_detail = "unknown", f"cannot probe providers here ({exc})"
        return
    wants_litellm = provider.via_litellm and route == "proxy"
    health, listing, litellm_facts = await asyncio.gather(
        check_health(provider, timeout=timeout), list_models(provider, timeout=timeout),
        _litellm_facts(provider, model) if wants_litellm and model else _none())
    report.provider_status, report.provider_detail = health.status, health.detail
    if health.status == "unreachable":
        report.problems.append(LaunchError(f"{provider.name} does not answer at {provider.api_base}: {health.detail}",
                                           fix=_start_fix(provider), exit_code=EXIT_FAILURE))
        return
    if health.status == "auth_failed":
        report.problems.append(LaunchError(f"{provider.name} rejected the key: {health.detail}",
                                           fix=_key_fix(provider), exit_code=EXIT_FAILURE))
        return
    facts = litellm_facts or ModelFacts()
    if listing.source == "live" and listing.models and model:
        entry = _find_model(listing.models, model)
        report.model_found = entry is not None
        if entry is None:
            report.pullable = provider.type == "ollama"
            report.problems.append(_missing_model(provider, model, [m.id for m in listing.models]))
            return
        if entry.context_window:
            facts.context_window, facts.source = entry.context_window, "provider API"
        if provider.type == "ollama":
            facts.supports_tools = await _ollama_tools(provider, entry.id, timeout)
    report.facts = facts
    if health.status == "ok":
        preflight_cache.store(key, {"detail": health.detail, "model_found": report.model_found,
                                    "context_window": facts.context_window,
                                    "max_output_tokens": facts.max_output_tokens,
                                    "supports_tools": facts.supports_tools}, path=path)


async def _none() -> None:
    return None


def _find_model(models: list[Any], model: str) -> Any | None:
    wanted = {model, model.removeprefix("models/")}
    if ":" not in model:
        wanted.add(f"{model}:latest")  # Ollama's implicit tag
    return next((m for m in models if m.id in wanted or m.id.removeprefix("models/") in wanted), None)


def _missing_model(provider: ResolvedProvider, model: str, ids: list[str]) -> LaunchError:
    close = difflib.get_close_matches(model, ids, n=3, cutoff=0.5)
    if provider.type == "ollama":
        fix = f"pull it: amux ollama pull {model} (or `ollama pull {model}`)"
    else:
        fix = (f"did you mean {', '.join(close)}? " if close else "") + f"amux models {provider.name} lists them"
    return LaunchError(f"model {model!r} is not offered by {provider.name}", fix=fix, exit_code=EXIT_USAGE)


def _key_fix(provider: ResolvedProvider) -> str:
    var = provider.key_env or f"{provider.type.upper()}_API_KEY"
    return f"export {var}=... or set api_key for {provider.name!r} in providers.json"


def _start_fix(provider: ResolvedProvider) -> str:
    if provider.type == "ollama":
        return "start it: amux ollama serve (or `ollama serve`)"
    if provider.local:
        return f"start the {provider.type} server, or fix api_base in providers.json"
    return "check your network and the provider's api_base"


async def _ollama_tools(provider: ResolvedProvider, model: str, timeout: float) -> bool | None:
    """Ollama lists capabilities per model (``/api/show``): a model without "tools" cannot run agents."""
    try:
        import httpx

        from ..providers.endpoints import ollama_server_url
    except ImportError:
        return None
    url = ollama_server_url((provider.api_base or "").rstrip("/")) + "/api/show"
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, json={"model": model})
        capabilities = response.json().get("capabilities") if response.is_success else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return "tools" in capabilities if isinstance(capabilities, list) else None


async def _litellm_facts(provider: ResolvedProvider, model: str) -> ModelFacts | None:
    """LiteLLM's model table, for providers only LiteLLM reaches (its import is slow: off the loop)."""

    def lookup() -> ModelFacts | None:
        from ..providers.litellm_bridge import import_litellm  # lazy: only for sessions that use LiteLLM anyway

        litellm = import_litellm()

        try:
            info = litellm.get_model_info(provider.litellm_model(model))
        except Exception:  # noqa: BLE001 - LiteLLM raises plain Exception for unknown models
            return None
        return ModelFacts(info.get("max_input_tokens"), info.get("max_output_tokens"),
                          info.get("supports_function_calling"), "LiteLLM")

    return await asyncio.to_thread(lookup)
