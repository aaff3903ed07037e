"""Type a prompt once and send it to several running sessions; afterwards the main screen shows
them side by side, each pane with its own tokens, cost and latency in its status line."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList, TextArea


class BroadcastScreen(ModalScreen[list[str] | None]):
    """Dismisses with the ids of the sessions the prompt went to (None when cancelled)."""

    CSS_PATH = "broadcast.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "send", "Send")]

    def compose(self) -> ComposeResult:
        sessions = self.app.sessions.live_sessions()
        with Vertical(id="broadcast-box") as box:
            box.border_title = "Broadcast a prompt"
            yield Label("Prompt")
            yield TextArea(id="broadcast-prompt", soft_wrap=True, show_line_numbers=False)
            yield Label("Send to")
            yield SelectionList[str](
                *[(f"{s.label}  {s.provider}/{s.model}", s.id, True) for s in sessions], id="broadcast-targets")
            with Horizontal(id="broadcast-buttons"):
                yield Button("Send (ctrl+s)", id="send", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_send(self) -> None:
        text = self.query_one(TextArea).text.strip()
        targets = list(self.query_one(SelectionList).selected)
        if not text:
            self.notify("Type a prompt first.", severity="warning")
            return
        if not targets:
            self.notify("Pick at least one session.", severity="warning")
            return
        sent = self.app._main_screen().broadcast(targets, text)
        self.dismiss(sent)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
