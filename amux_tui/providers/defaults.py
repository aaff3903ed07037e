"""What amux uses when the user names no provider or no model.

- no provider: the configured ``default_provider``; else the first provider, in registry order
  (configured, then env keys, then local servers that answer), that is healthy. One that answers
  badly (unreachable, key rejected) is skipped and named, never picked silently; one amux cannot
  probe (reached only through LiteLLM) is used only when nothing healthy is found, and said so.
- no model: the provider's ``default_model``; else the first sensible entry of its configured
  list, then of its live list (chat models: embeddings, speech, images... are skipped); else an
  error that lists what the provider offers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .registry import ProviderRegistry, SelectionError
from .resolved import ResolvedProvider

_NOT_FOR_CHAT = re.compile(
    r"embed|whisper|tts|transcri|dall-e|image|moderation|rerank|audio|realtime|speech|vision-only", re.IGNORECASE)


class NoHealthyProvider(Exception):
    """Providers exist but none answers well; the message lists each with why (an environment problem)."""


class ModelListUnavailable(SelectionError):
    """No model given or configured, and the provider could not be asked for its list (down, bad key)."""


def first_sensible_model(ids: Iterable[str]) -> str | None:
    """The first model an agent can chat with (an embedding or speech model cannot run a harness)."""
    return next((model for model in ids if model and not _NOT_FOR_CHAT.search(model)), None)


@dataclass
class ProviderPick:
    provider: ResolvedProvider
    why: str
    skipped: list[str] = field(default_factory=list)
    """``name: why`` for each provider passed over."""

    def describe(self) -> str:
        text = f"no --provider given: using {self.provider.name} ({self.why})"
        if self.skipped:
            text += "; skipped " + "; ".join(self.skipped)
        return text


async def pick_provider(registry: ProviderRegistry, *, env: Mapping[str, str] | None = None,
                        detect: bool = True, timeout: float = 3.0,
                        prefer: Callable[[ResolvedProvider], str | None] | None = None) -> ProviderPick:
    """The provider a launch without ``--provider`` uses (see the module docstring).

    ``prefer`` ranks healthy providers: one it describes (e.g. "Codex reaches it without a proxy")
    wins over an earlier one it returns None for. Adds the local servers that answer to
    ``registry``. Raises `SelectionError` when there is no provider at all and `NoHealthyProvider`
    when none is usable."""
    if registry.default_provider:
        return ProviderPick(registry.provider(registry.default_provider, env), "the configured default_provider")
    if detect:
        from .detect import detect_local_providers

        for found in await detect_local_providers(registry, env=env):
            registry.add(found)
    candidates = list(registry)
    if not candidates:
        raise SelectionError(
            "no provider configured or detected: set a key such as ANTHROPIC_API_KEY or OPENAI_API_KEY, "
            "start Ollama, or add one to providers.json (see docs/amux-provider-config.md)")
    from .health import check_all

    results = await check_all(candidates, timeout=timeout)
    skipped: list[str] = []
    healthy: list[ResolvedProvider] = []
    unprobed: ResolvedProvider | None = None
    for provider, health in zip(candidates, results):
        if health.status == "ok":
            healthy.append(provider)
        elif health.status == "unknown" and not provider.key_problem:
            unprobed = unprobed or provider
        else:
            skipped.append(f"{provider.name}: {provider.key_problem or health.status + ' (' + health.detail + ')'}")
    for provider in healthy:
        if prefer is not None and (reason := prefer(provider)):
            return ProviderPick(provider, f"the first healthy provider {reason}, {_origin(provider)}", skipped)
    if healthy:
        return ProviderPick(healthy[0], f"the first healthy provider, {_origin(healthy[0])}", skipped)
    if unprobed is not None:
        return ProviderPick(unprobed, f"{_origin(unprobed)}; amux cannot probe it (reached through LiteLLM)", skipped)
    raise NoHealthyProvider("no provider answers well enough to launch with: " + "; ".join(skipped))


def _origin(provider: ResolvedProvider) -> str:
    if provider.source == "env":
        return f"found by {provider.key_env or 'its environment'}"
    if provider.source == "detected":
        return f"a local server answering at {provider.api_base}"
    return "configured"


async def pick_model(provider: ResolvedProvider, *, timeout: float = 5.0) -> tuple[str, str]:
    """A model for ``provider`` and how it was chosen; `SelectionError` listing the models if none fits."""
    if provider.default_model:
        return provider.default_model, f"{provider.name}'s default_model"
    if (configured := first_sensible_model(provider.models)) is not None:
        return configured, f"the first of {provider.name}'s models"
    from .models import list_models

    listing = await list_models(provider, timeout=timeout)
    ids = listing.ids()
    if listing.source == "live" and (live := first_sensible_model(ids)) is not None:
        return live, f"the first chat model {provider.name} lists"
    if listing.source != "live" and listing.error and not ids:
        raise ModelListUnavailable(f"no model given or configured for {provider.name}, and its model list cannot "
                                   f"be read: {listing.error}")
    offered = ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else "") if ids else "none"
    why = f" ({listing.error})" if listing.error else ""
    raise SelectionError(f"provider {provider.name!r} has no default model and none to pick from its list{why}; "
                         f"models offered: {offered}. Pass --model (amux models {provider.name} lists them)")
