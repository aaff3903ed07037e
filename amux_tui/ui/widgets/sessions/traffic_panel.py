"""A session's traffic through the proxy: one row per request (status, timing, tokens, error).

The proxy calls our observer when a request starts and when it ends; we only mark the table
stale and repaint it at most ~10 times a second, so a busy session never floods the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from ....proxy.traffic import RequestRecord, TrafficLog

REPAINT_DELAY = 0.1


def record_status(record: RequestRecord) -> str:
    if record.in_flight:
        return "…"
    if record.error and not record.status:
        return "error"
    return str(record.status or "—")


def record_tokens(record: RequestRecord) -> str:
    if record.input_tokens is None and record.output_tokens is None:
        return "—"
    return f"{record.input_tokens or 0}/{record.output_tokens or 0}"


class TrafficPanel(Vertical):
    """Shows one `TrafficLog`; posts `Opened` when a request is selected."""

    DEFAULT_CSS = """
    TrafficPanel { height: 1fr; }
    TrafficPanel > #traffic-title { height: 1; background: $boost; padding: 0 1; }
    TrafficPanel > DataTable { height: 1fr; }
    TrafficPanel > #traffic-error { height: auto; max-height: 3; color: $error; padding: 0 1; }
    """

    @dataclass
    class Opened(Message):
        """A request was chosen for the side-by-side view."""

        record: RequestRecord

    def __init__(self, latency_text: Callable[[float | None], str], **kwargs):
        super().__init__(**kwargs)
        self._latency_text = latency_text
        self._log: TrafficLog | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._repaint_pending = False
        self._shown: dict[str, RequestRecord] = {}
        self._numbers: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Static("traffic: not proxied", id="traffic-title")
        yield DataTable(cursor_type="row", id="traffic-table")
        yield Static("", id="traffic-error")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("#", key="id", width=4)
        table.add_column("request", key="route")
        table.add_column("model", key="model")
        table.add_column("status", key="status", width=6)
        table.add_column("time", key="time", width=8)
        table.add_column("tokens", key="tokens")
        table.add_column("error", key="error")

    def attach(self, log: TrafficLog | None) -> None:
        """Follow this log (None: the session is not proxied)."""
        self.detach()
        self._log = log
        if log is not None:
            self._unsubscribe = log.subscribe(self._on_record)
        self._repaint()

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def on_unmount(self) -> None:
        self.detach()

    @property
    def records(self) -> list[RequestRecord]:
        return list(self._shown.values())

    def _on_record(self, record: RequestRecord) -> None:
        # Called by the proxy inside its request handler: do no work here, just schedule a repaint.
        if not self._repaint_pending:
            self._repaint_pending = True
            self.set_timer(REPAINT_DELAY, self._repaint)

    def _repaint(self) -> None:
        self._repaint_pending = False
        title = self.query_one("#traffic-title", Static)
        table = self.query_one(DataTable)
        if self._log is None:
            title.update("traffic: not proxied (direct connection; nothing to record)")
            return
        totals = self._log.totals()
        title.update(f"traffic: {totals.requests} requests, {totals.in_flight} in flight, {totals.errors} errors"
                     "  (Enter: inbound / upstream / response)")
        for record in self._log.records():
            key = str(record.id)
            number = self._numbers.setdefault(key, len(self._numbers) + 1)  # 1, 2, ... in this session
            cells = (str(number), record.route, record.model or "—", record_status(record),
                     self._latency_text(record.duration_ms), record_tokens(record), _one_line(record.error))
            if key in self._shown:
                for column, value in zip(("id", "route", "model", "status", "time", "tokens", "error"), cells):
                    table.update_cell(key, column, value)
            else:
                table.add_row(*cells, key=key)
                self._shown[key] = record
        last_error = next((r.error for r in reversed(self._log.records()) if r.error), None)
        self.query_one("#traffic-error", Static).update(_one_line(last_error, 300))

    @on(DataTable.RowSelected, "#traffic-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record = self._shown.get(str(event.row_key.value))
        if record is not None:
            self.post_message(self.Opened(record))


def _one_line(text: str | None, limit: int = 60) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
