"""A session's traffic through the proxy: one row per request (status, timing, tokens, error).

The proxy calls our observer when a request starts and when it ends. The observer only notes the
record; at most ~10 times a second the panel adds the new rows and updates the cells that changed,
and only while it is on screen (a hidden panel catches up in one pass when it is shown). Nothing
here rebuilds the table or re-lays out the screen per request.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from ....proxy.traffic import RequestRecord, TrafficLog

REPAINT_DELAY = 0.1
MAX_ROWS = 500
"""Rows kept (the oldest go first), as many as a session's TrafficLog keeps."""
COLUMNS = ("id", "route", "model", "status", "time", "tokens", "error")


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
    TrafficPanel.-focused > #traffic-title { background: $accent; color: $text; text-style: bold; }
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
        self._on_screen = False
        self._changed: dict[int, RequestRecord] = {}
        """Records that started or ended since the last repaint."""
        self._resync = True
        """Compare every record of the log on the next repaint (after being hidden)."""
        self._shown: dict[str, RequestRecord] = {}
        self._cells: dict[str, tuple[str, ...]] = {}
        self._numbers: dict[str, int] = {}
        self._next_number = itertools.count(1)
        self._texts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("traffic: not proxied", id="traffic-title")
        yield DataTable(cursor_type="row", id="traffic-table")
        yield Static("", id="traffic-error", markup=False)

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
        self._resync = True
        if log is not None:
            self._unsubscribe = log.subscribe(self._on_record)
        self._repaint()

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def on_unmount(self) -> None:
        self.detach()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.add_class("-focused")  # the focus is visible on the title bar, not only on the cursor row

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.remove_class("-focused")

    def on_show(self, event: events.Show) -> None:
        self._on_screen = True
        self._repaint()

    def on_hide(self, event: events.Hide) -> None:
        self._on_screen = False

    @property
    def records(self) -> list[RequestRecord]:
        """The requests in the table, oldest first."""
        return list(self._shown.values())

    def _on_record(self, record: RequestRecord) -> None:
        # Called by the proxy inside its request handler: note the record, repaint later.
        if not self._on_screen:
            self._resync = True
            self._changed.clear()
            return
        self._changed[record.id] = record
        if not self._repaint_pending:
            self._repaint_pending = True
            self.set_timer(REPAINT_DELAY, self._repaint)

    def _repaint(self) -> None:
        self._repaint_pending = False
        if self._log is None:
            self._set_text("#traffic-title", "traffic: not proxied (direct connection; nothing to record)",
                           layout=False)
            return
        if not self._on_screen:
            self._resync = True
            return
        totals = self._log.totals()
        self._set_text("#traffic-title", f"traffic: {_count(totals.requests, 'request')}, {totals.in_flight} in flight, "
                       f"{_count(totals.errors, 'error')}  (Enter: inbound / upstream / response)", layout=False)
        changed = self._log.records() if self._resync else list(self._changed.values())
        self._resync = False
        self._changed.clear()
        table = self.query_one(DataTable)
        for record in changed:
            self._show_record(table, record)
        while len(self._shown) > MAX_ROWS:
            oldest = next(iter(self._shown))
            del self._shown[oldest], self._cells[oldest], self._numbers[oldest]
            table.remove_row(oldest)
        if any(record.error for record in changed):
            last_error = next((r.error for r in reversed(self._log.records()) if r.error), None)
            self._set_text("#traffic-error", _one_line(last_error, 300))

    def _show_record(self, table: DataTable, record: RequestRecord) -> None:
        key = str(record.id)
        number = self._numbers.get(key) or self._numbers.setdefault(key, next(self._next_number))  # 1, 2, ...
        cells = (str(number), record.route, record.model or "—", record_status(record),
                 self._latency_text(record.duration_ms), record_tokens(record), _one_line(record.error))
        before = self._cells.get(key)
        if before == cells:
            return
        self._cells[key] = cells
        if before is None:
            # Text, not str: DataTable reads a str cell as markup, and an error message may hold "[...]".
            table.add_row(*(Text(cell) for cell in cells), key=key)
            self._shown[key] = record
            return
        for column, old, value in zip(COLUMNS, before, cells):
            if old != value:
                table.update_cell(key, column, Text(value))

    def _set_text(self, selector: str, text: str, *, layout: bool = True) -> None:
        # Static.update re-lays out the screen (unless told its size cannot change): only on a change.
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self.query_one(selector, Static).update(text, layout=layout)

    @on(DataTable.RowSelected, "#traffic-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record = self._shown.get(str(event.row_key.value))
        if record is not None:
            self.post_message(self.Opened(record))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _one_line(text: str | None, limit: int = 60) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
