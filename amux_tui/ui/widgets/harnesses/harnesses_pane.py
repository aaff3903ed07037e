"""The Harnesses tab: each coding-agent CLI amux knows, installed or not (with version), and for
a missing one the command that installs it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ...backend.harness_info import HarnessView
from ..providers.provider_table import short_format


class HarnessesPane(Vertical):
    BINDINGS = [Binding("r", "refresh", "Re-check"), Binding("enter", "launch", "Launch", show=False)]

    DEFAULT_CSS = """
    HarnessesPane #harness-table { height: 1fr; }
    HarnessesPane #harness-detail { height: auto; min-height: 3; padding: 0 1; border-top: hkey $panel; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._views: dict[str, HarnessView] = {}

    def compose(self) -> ComposeResult:
        yield DataTable(id="harness-table", cursor_type="row")
        yield Static("Looking for harnesses…", id="harness-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("harness", key="name")
        table.add_column("installed", key="installed")
        table.add_column("version", key="version")
        table.add_column("speaks", key="speaks")
        self.call_after_refresh(self.action_refresh)  # version probes start once the first frame is up

    @property
    def harnesses(self) -> list[HarnessView]:
        return list(self._views.values())

    @work(exclusive=True, group="harnesses")
    async def action_refresh(self) -> None:
        views = await self.app.harness_catalog.harnesses()
        self.show(views)

    def show(self, views: list[HarnessView]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self._views = {view.name: view for view in views}
        for view in views:
            installed = "yes" if view.installed else "no"
            speaks = ", ".join(short_format(f) for f in view.speaks) or "—"
            table.add_row(view.label, installed, view.version or "—", speaks, key=view.name)
        if not views:
            self.query_one("#harness-detail", Static).update(self.app.harness_catalog.problem or "No harnesses known.")
        else:
            self._describe(views[0].name)

    def _describe(self, name: str) -> None:
        view = self._views.get(name)
        if view is None:
            return
        if view.installed:
            text = f"[b]{view.label}[/] {view.version or ''}\n{view.path or ''}\nF2 or Enter launches it."
        else:
            text = f"[b]{view.label}[/] is not installed. Install it with:\n  [b]{_escape(view.install_command or '(no install command known)')}[/]"
        self.query_one("#harness-detail", Static).update(text)

    @on(DataTable.RowHighlighted, "#harness-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self._describe(str(event.row_key.value))

    @on(DataTable.RowSelected, "#harness-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        # The focused table takes Enter itself (select_cursor), so the pane's enter binding never sees it.
        event.stop()
        self.action_launch()

    def action_launch(self) -> None:
        table = self.query_one(DataTable)
        if not self._views:
            return
        name = list(self._views)[table.cursor_row]
        self.screen.open_launcher(harness=name)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
