"""One proxied request side by side: what the harness sent, what amux sent upstream after
translation, and the response events; what translation dropped is listed and highlighted."""

from __future__ import annotations

import json
import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...proxy.traffic import RequestRecord
from ..widgets.key_bar import KeyBar

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def pretty_body(text: str) -> str:
    """Indented JSON when it is JSON, else the text as captured."""
    if not text:
        return "(empty)"
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def dropped_fields(dropped: list[str]) -> list[str]:
    """Field names mentioned by the translation report (``tools[0].cache_control: ...`` → cache_control)."""
    names = []
    for entry in dropped:
        head = entry.split(":", 1)[0].split(" ", 1)[0]
        parts = _FIELD.findall(head)
        if parts:
            names.append(parts[-1])
    return list(dict.fromkeys(names))


class TrafficDetailScreen(ModalScreen[None]):
    CSS_PATH = "traffic_detail.tcss"
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, record: RequestRecord):
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        record = self.record
        show = self.app.options.traffic_text
        highlight = self.app.current_theme.warning or "reverse"
        with Vertical(id="detail-box") as box:
            box.border_title = show(f"#{record.id} {record.route}  {record.inbound} → {record.upstream or '?'}")
            status = "in flight" if record.in_flight else f"status {record.status}"
            latency = self.app.options.latency_text
            timing = f"first byte {latency(record.ttfb_ms)}, total {latency(record.duration_ms)}"
            tokens = f"tokens {record.input_tokens or 0} in / {record.output_tokens or 0} out"
            yield Static(show(f"{status}  {timing}  {tokens}  model {record.model or '?'}"), id="detail-summary",
                         markup=False)
            if not record.in_flight and (record.input_tokens or record.output_tokens):
                cost = record.cost
                cached = "".join(f", {count} of them {what}" for count, what in (
                    (record.cache_read_tokens, "read from the cache"), (record.cache_write_tokens, "written to it"))
                    if count)
                text = f"${cost:.6f}" if cost is not None else f"$— ({record.cost_note or 'unknown'})"
                yield Static(show(f"cost {text}{cached}"), id="detail-cost", markup=False)
            if record.error:
                yield Static(show(f"error: {record.error}"), id="detail-error", markup=False)
            if record.dropped:
                yield Static(Text(show("dropped by translation: " + "; ".join(record.dropped)),
                                  style=f"bold {highlight}"), id="detail-dropped")
            with Horizontal(id="detail-columns"):
                fields = dropped_fields(record.dropped)
                yield self._column("inbound (from the harness)", show(pretty_body(record.inbound_text())), fields,
                                   highlight)
                upstream_title = f"upstream ({record.upstream_url or 'translated'})"
                yield self._column(show(upstream_title), show(pretty_body(record.upstream_text())), [], highlight)
                events = record.response_text()
                yield self._column("response events", show(pretty_body(events)) if events else "(none yet)", [],
                                   highlight)
        yield KeyBar()

    @staticmethod
    def _column(title: str, body: str, fields: list[str], highlight: str) -> VerticalScroll:
        text = Text(body)
        if fields:
            text.highlight_words([f'"{name}"' for name in fields], style=f"reverse {highlight}")
        scroll = VerticalScroll(Static(text, classes="detail-body"), classes="detail-column")
        scroll.border_title = title
        return scroll
