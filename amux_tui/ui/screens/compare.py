"""Compare the sessions a prompt was broadcast to: one row each with state, elapsed time, requests,
tokens, cost, files changed and +/- lines, refreshed while it is open; Enter opens a row's Changes.

Status figures come from the live sessions (memory); the git figures from their worktrees, read in
a worker thread every `CHANGES_REFRESH` seconds."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

STATUS_REFRESH = 1.0
CHANGES_REFRESH = 3.0
COLUMNS = ("session", "provider/model", "state", "elapsed", "requests", "tokens in/out", "cost", "files", "+/-")


def elapsed_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def state_text(session) -> str:  # noqa: ANN001
    if session.running:
        return "busy" if session.busy else "idle"
    return f"exited {session.exit_status}"


def status_cells(session, changes) -> tuple[str, ...]:  # noqa: ANN001
    """One row's cells; ``changes`` is the worktree's `Changes` (None: not read yet, or no worktree)."""
    status = session.status()
    proxied = session.route == "proxy"
    tokens = f"{status.input_tokens}/{status.output_tokens}" if proxied else "—"
    cost = ("$—" if status.cost is None else f"${status.cost:.4f}") if proxied else "—"
    if session.worktree is None:
        files, lines = "no worktree", ""
    elif changes is None:
        files, lines = "…", ""
    else:
        files, lines = str(len(changes.files)), f"+{changes.added} -{changes.removed}"
    return (session.label, f"{session.provider}/{session.model}", state_text(session), elapsed_text(session.elapsed),
            str(status.requests) if proxied else "—", tokens, cost, files, lines)


class CompareScreen(ModalScreen[None]):
    CSS_PATH = "compare.tcss"
    BINDINGS = [Binding("escape", "dismiss_screen", "Close")]

    def __init__(self, session_ids: list[str]):
        super().__init__()
        self.session_ids = list(session_ids)
        self.changes: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-box") as box:
            box.border_title = "Compare sessions"
            table = DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
            for column in COLUMNS:
                table.add_column(column, key=column)
            yield table
            yield Static("", id="compare-total")
            yield Static("enter: the session's changes · esc: close", id="compare-help")

    def sessions(self) -> list:
        found = [self.app.sessions.get(session_id) for session_id in self.session_ids]
        return [session for session in found if session is not None]

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for session in self.sessions():
            table.add_row(*status_cells(session, None), key=session.id)
        table.focus()
        self.refresh_rows()
        self.set_interval(STATUS_REFRESH, self.refresh_rows)
        self.set_interval(CHANGES_REFRESH, self.read_changes)
        self.read_changes()

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        sessions = self.sessions()
        costs = [s.status().cost for s in sessions if s.route == "proxy"]
        known = [cost for cost in costs if cost is not None]
        unknown = len(costs) - len(known)
        total = f"${sum(known):.4f}" if known else "$—"
        self.query_one("#compare-total", Static).update(
            f"all sessions: {total}" + (f" ({unknown} without a known cost: see each status line)" if unknown else "")
            if costs else "no proxied session: amux sees no tokens or cost")
        for session in sessions:
            if session.id not in table.rows:
                continue
            for column, value in zip(COLUMNS, status_cells(session, self.changes.get(session.id))):
                if table.get_cell(session.id, column) != value:
                    table.update_cell(session.id, column, value, update_width=True)

    @work(exclusive=True, group="compare-changes")
    async def read_changes(self) -> None:
        from ...worktrees.changes import changes
        from ...worktrees.git import GitError

        for session in self.sessions():
            if session.worktree is None:
                continue
            try:
                self.changes[session.id] = await asyncio.to_thread(changes, session.worktree.path,
                                                                   session.worktree.base_commit)
            except GitError:
                self.changes.pop(session.id, None)
        self.refresh_rows()

    def action_open_changes(self) -> None:
        table = self.query_one(DataTable)
        if table.cursor_row is None or not table.row_count:
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        session = self.app.sessions.get(key or "")
        if session is not None:
            self.app._main_screen().open_changes(session)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open_changes()

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)
