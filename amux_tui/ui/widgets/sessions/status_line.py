"""One line per session: harness, provider/model, proxied or not, busy/idle, tokens, cost,
last latency, exit status."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.content import Content
from textual.widgets import Static

from ...backend.sessions import SessionStatus


def compact_count(value: int) -> str:
    if value < 1000:
        return str(value)
    if value < 1_000_000:
        return f"{value / 1000:.1f}k"
    return f"{value / 1_000_000:.1f}M"


def status_text(status: SessionStatus, latency_text: Callable[[float | None], str]) -> str:
    route = {"proxy": "proxied", "direct": "direct", "native": "native"}.get(status.route, status.route)
    if status.running:
        state = "[b $warning]● busy[/]" if status.busy else "[$success]○ idle[/]"
    else:
        state = f"[b $error]exited {status.exit_status}[/]" if status.exit_status else f"[$text-muted]exited {status.exit_status}[/]"
    parts = [f"[b]{status.harness}[/]", f"{status.provider}/{status.model}", route, state]
    if status.route == "proxy":
        parts.append(f"{compact_count(status.input_tokens)} in / {compact_count(status.output_tokens)} out")
        parts.append("$—" if status.cost is None else f"${status.cost:.4f}")
        if status.all_cost is not None:
            parts.append(f"all ${status.all_cost:.4f}")
        parts.append(latency_text(status.last_latency_ms))
    return " · ".join(parts)


class StatusLine(Static):
    """One or two lines (it wraps in a narrow split pane). A new status re-lays out the screen only
    when it needs a different number of lines: tokens and latency change on every request."""

    MAX_LINES = 2
    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 2; background: $boost; padding: 0 1; }
    StatusLine.-focused { background: $primary 40%; }
    """

    def __init__(self, latency_text: Callable[[float | None], str], **kwargs):
        super().__init__("", **kwargs)
        self._latency_text = latency_text
        self._last: SessionStatus | None = None
        self._text = ""
        self._lines: int | None = None

    def show(self, status: SessionStatus) -> None:
        if status == self._last:
            return
        self._last = status
        self._text = status_text(status, self._latency_text)
        self.tooltip = f"cost unknown: {status.cost_note}" if status.cost is None and status.cost_note else None
        lines = self._lines_needed()
        self.update(self._text, layout=lines is None or lines != self._lines)
        self._lines = lines

    def on_resize(self, event: events.Resize) -> None:
        self._lines = self._lines_needed()

    def _lines_needed(self) -> int | None:
        width = self.content_region.width
        if width <= 0:
            return None
        return min(self.MAX_LINES, Content.from_markup(self._text).get_height(self.styles, width))
