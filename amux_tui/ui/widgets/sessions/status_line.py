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


def status_parts(status: SessionStatus, latency_text: Callable[[float | None], str]) -> list[str]:
    """The status as markup parts, most important first."""
    route = {"proxy": "proxied", "direct": "direct", "native": "native"}.get(status.route, status.route)
    if status.running:
        state = "[b $warning]● busy[/]" if status.busy else "[$success]○ idle[/]"
    else:
        state = f"[b $error]exited {status.exit_status}[/]" if status.exit_status else f"[$text-muted]exited {status.exit_status}[/]"
    parts = [f"[b]{status.harness}[/]", f"{status.provider}/{status.model}", state, route]
    if status.route == "proxy":
        parts.append(f"{compact_count(status.input_tokens)} in / {compact_count(status.output_tokens)} out")
        parts.append(latency_text(status.last_latency_ms))
        parts.append("$—" if status.cost is None else f"${status.cost:.4f}")
        if status.all_cost is not None:
            parts.append(f"all ${status.all_cost:.4f}")
    return parts


def status_text(status: SessionStatus, latency_text: Callable[[float | None], str], width: int | None = None) -> str:
    """The parts joined by " · "; with a ``width``, only the leading parts that fit (a narrow split pane
    drops the all-session cost, cost, latency, tokens rather than wrapping "55 ms" over two lines)."""
    parts = status_parts(status, latency_text)
    if width is None:
        return " · ".join(parts)
    shown = parts[:1]
    for part in parts[1:]:
        candidate = shown + [part]
        if Content.from_markup(" · ".join(candidate)).cell_length > width:
            break
        shown = candidate
    return " · ".join(shown)


class StatusLine(Static):
    """One line, never wrapped: the parts that fit its width. It re-renders on a resize or a new
    status only (tokens and latency change on every request); its height never changes."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $boost; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusLine.-focused { background: $primary 40%; }
    """

    def __init__(self, latency_text: Callable[[float | None], str], **kwargs):
        super().__init__("", **kwargs)
        self._latency_text = latency_text
        self._last: SessionStatus | None = None
        self._text = ""

    def show(self, status: SessionStatus) -> None:
        if status == self._last:
            return
        self._last = status
        self.tooltip = f"cost unknown: {status.cost_note}" if status.cost is None and status.cost_note else None
        self._render_fitting()

    def on_resize(self, event: events.Resize) -> None:
        self._render_fitting()

    def _render_fitting(self) -> None:
        if self._last is None:
            return
        width = self.content_region.width
        text = status_text(self._last, self._latency_text, width if width > 0 else None)
        if text != self._text:
            self._text = text
            self.update(text, layout=False)  # one line whatever it says: no re-layout
