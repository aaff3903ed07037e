"""The traffic panel against a real TrafficLog: rows are added and updated in place (never rebuilt),
a hidden panel does no work and catches up when shown, the table stays bounded, and an error text
is shown as written (DataTable would read a str cell as markup)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from amux_tui.proxy.traffic import RequestRecord, TrafficLog
from amux_tui.ui.options import format_latency
from amux_tui.ui.widgets.sessions.traffic_panel import MAX_ROWS, TrafficPanel


class PanelApp(App[None]):
    CSS = "TrafficPanel.-hidden { display: none; }"

    def __init__(self, log: TrafficLog):
        super().__init__()
        self.traffic = log

    def compose(self) -> ComposeResult:
        yield TrafficPanel(format_latency, id="panel", classes="-hidden")

    def on_mount(self) -> None:
        self.query_one(TrafficPanel).attach(self.traffic)


def request(log: TrafficLog, *, status: int | None = 200, error: str | None = None, done: bool = True) -> RequestRecord:
    record = log.begin(RequestRecord(route="POST /v1/chat/completions", inbound="openai-chat", model="m"))
    if done:
        log.finish(record, status=status, error=error)
    return record


def column(table: DataTable, name: str) -> list[str]:
    return [str(cell) for cell in table.get_column(name)]


async def test_hidden_panel_waits_then_catches_up_and_updates_rows_in_place():
    log = TrafficLog()
    app = PanelApp(log)
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(TrafficPanel)
        table = panel.query_one(DataTable)
        request(log)
        pending = request(log, done=False)
        await pilot.pause(0.3)
        assert table.row_count == 0  # hidden: nothing done yet

        panel.remove_class("-hidden")
        await pilot.pause(0.3)
        assert column(table, "status") == ["200", "…"]
        rows_before = list(table.rows)

        log.finish(pending, status=502, error="upstream said [overloaded] (retry later)")
        request(log)
        await pilot.pause(0.3)
        assert list(table.rows)[:2] == rows_before  # the same rows, updated in place
        assert column(table, "status") == ["200", "502", "200"]
        assert column(table, "error")[1] == "upstream said [overloaded] (retry later)"
        assert "3 requests, 0 in flight, 1 error " in str(panel.query_one("#traffic-title").render())
        assert "[overloaded]" in str(panel.query_one("#traffic-error").render())


async def test_rows_are_bounded_and_keep_their_numbers():
    log = TrafficLog(capacity=MAX_ROWS + 100)
    app = PanelApp(log)
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(TrafficPanel)
        panel.remove_class("-hidden")
        await pilot.pause(0.2)
        for _ in range(MAX_ROWS + 20):
            request(log)
        await pilot.pause(0.3)
        table = panel.query_one(DataTable)
        numbers = column(table, "id")
        assert table.row_count == MAX_ROWS
        assert numbers[0] == "21" and numbers[-1] == str(MAX_ROWS + 20)
        assert len(panel.records) == MAX_ROWS
