"""The providers table: one row per configured or detected provider, with live health."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from ....providers.resolved import ResolvedProvider
from ...backend.catalog import HealthView

# status -> (symbol, label, theme colour name); colours come from the active theme, never literals.
_HEALTH_LOOK = {
    "checking": ("…", "checking", "foreground"),
    "ok": ("●", "ok", "success"),
    "auth": ("▲", "auth", "warning"),
    "down": ("✕", "down", "error"),
    "error": ("✕", "error", "error"),
    "unknown": ("·", "unknown", "foreground"),
}


_SHORT_FORMAT = {"anthropic-messages": "anthropic", "openai-chat": "chat", "openai-responses": "responses",
                 "gemini": "gemini"}


def short_format(api_format: str) -> str:
    return _SHORT_FORMAT.get(api_format, api_format)


def provider_format(provider: ResolvedProvider, *, short: bool = False) -> str:
    """The wire APIs it speaks (``litellm`` when only LiteLLM reaches it)."""
    if provider.via_litellm:
        return "litellm"
    return ", ".join(_SHORT_FORMAT.get(f, f) if short else f for f in provider.api_formats)


class ProviderTable(DataTable):
    """Rows keyed by provider name. Data comes in through `show` / `show_health`."""

    DEFAULT_CSS = """
    ProviderTable { height: auto; }
    """

    @dataclass
    class Picked(Message):
        """The highlighted provider changed."""

        name: str
        """Provider name (the row key)."""

    def __init__(self, latency_text: Callable[[float | None], str], **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._latency_text = latency_text
        self._health: dict[str, HealthView] = {}
        self._names: list[str] = []

    def on_mount(self) -> None:
        self.add_column("provider", key="name")
        self.add_column("type", key="type")
        self.add_column("api format", key="format")
        self.add_column("key", key="key")
        self.add_column("health", key="health", width=9)
        self.add_column("latency", key="latency", width=8)
        self.watch(self.app, "theme", lambda _: self._repaint_health(), init=False)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def show(self, providers: Iterable[ResolvedProvider], default: str | None) -> None:
        """Replace the rows, keeping the cursor on the same provider when it is still there."""
        current = self.highlighted_name
        self.clear()
        self._names = []
        for provider in providers:
            name = provider.name + (" *" if provider.name == default else "")
            key = "none" if not provider.api_key and not provider.key_problem else provider.masked_key
            if provider.key_problem:
                key = "missing"
            health = self._health.get(provider.name, HealthView("unknown"))
            self.add_row(name, provider.type, provider_format(provider, short=True), key, self._health_cell(health),
                         self._latency_text(health.latency_ms), key=provider.name)
            self._names.append(provider.name)
        if current in self._names:
            self.move_cursor(row=self._names.index(current))

    def show_health(self, name: str, health: HealthView) -> None:
        self._health[name] = health
        if name in self._names:
            self.update_cell(name, "health", self._health_cell(health))
            self.update_cell(name, "latency", self._latency_text(health.latency_ms))

    def health_of(self, name: str) -> HealthView:
        return self._health.get(name, HealthView("unknown"))

    @property
    def highlighted_name(self) -> str | None:
        if not self._names or self.cursor_row < 0 or self.cursor_row >= len(self._names):
            return None
        return self._names[self.cursor_row]

    def _health_cell(self, health: HealthView) -> Text:
        symbol, label, colour = _HEALTH_LOOK[health.status]
        style = getattr(self.app.current_theme, colour, None) or ""
        return Text(f"{symbol} {label}", style=style)

    def _repaint_health(self) -> None:
        for name in self._names:
            self.update_cell(name, "health", self._health_cell(self.health_of(name)))

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Picked(str(event.row_key.value)))
