"""The sessions of earlier runs (and of this one, once ended), from the session database: what ran,
where, how it ended, what it cost. ``r`` resumes one, Enter opens its worktree's changes."""

from __future__ import annotations

import time

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

COLUMNS = ("id", "state", "harness", "provider/model", "started", "requests", "tokens in/out", "cost", "where")


def record_cells(record) -> tuple[str, ...]:  # noqa: ANN001
    from ....records.commands import cost_text, state_text, where_text

    return (record.id, state_text(record), record.harness, f"{record.provider}/{record.model}",
            time.strftime("%m-%d %H:%M", time.localtime(record.started)), str(record.requests),
            f"{record.input_tokens}/{record.output_tokens}", cost_text(record.cost), where_text(record))


class EarlierSessionsPane(Vertical):
    BINDINGS = [Binding("r", "resume", "Resume"), Binding("u", "reload", "Reload", show=False)]
    DEFAULT_CSS = """
    EarlierSessionsPane { height: 1fr; }
    EarlierSessionsPane > #earlier-help { color: $text-muted; padding: 0 1; height: auto; }
    EarlierSessionsPane > DataTable { height: 1fr; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.records: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Static("Sessions that ended (earlier runs included) · r: resume · enter: changes", id="earlier-help")
        table = DataTable(id="earlier-table", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            table.add_column(column, key=column)
        yield table

    def on_mount(self) -> None:
        self.show_records(self.app.earlier_sessions)

    def show_records(self, records: list) -> None:
        self.records = {record.id: record for record in records}
        table = self.query_one(DataTable)
        table.clear()
        for record in records:
            table.add_row(*record_cells(record), key=record.id)
        problem = self.app.sessions.records.problem
        if problem:
            self.query_one("#earlier-help", Static).update(f"sessions are not recorded: {problem}")

    def selected(self):
        table = self.query_one(DataTable)
        if not table.row_count or table.cursor_row is None:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.records.get(key or "")

    def action_resume(self) -> None:
        record = self.selected()
        if record is not None:
            self.screen.resume_record(record)

    async def action_reload(self) -> None:
        self.show_records(await self.app.sessions.records.earlier())

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        record = self.selected()
        if record is not None:
            self.screen.open_record_changes(record)
