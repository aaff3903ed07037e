"""The highlighted provider's details: where it lives, its key (masked) and what its health said."""

from __future__ import annotations

from textual.widgets import Static

from ....providers.resolved import ResolvedProvider
from ...backend.catalog import HealthView
from .provider_table import provider_format


class ProviderDetail(Static):
    DEFAULT_CSS = """
    ProviderDetail { height: 1fr; padding: 0 1; }
    """

    def show(self, provider: ResolvedProvider | None, health: HealthView, latency: str) -> None:
        if provider is None:
            self.update("No provider selected.\n\nPress [b]a[/] to add one.")
            return
        key = provider.masked_key
        if provider.key_problem:
            key = f"missing: {provider.key_problem}"
        elif provider.key_env and provider.api_key:
            key = f"{key} (from {provider.key_env})"
        lines = [
            f"[b]{provider.name}[/]  [dim]{provider.source}[/]",
            f"endpoint  {provider.api_base or '(through LiteLLM)'}",
            f"speaks    {provider_format(provider)}",
            f"key       {key}",
            f"health    {health.status} {latency if health.latency_ms is not None else ''}".rstrip(),
        ]
        if health.detail:
            lines.append(f"[dim]{_escape(health.detail)}[/]")
        self.update("\n".join(lines))


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
