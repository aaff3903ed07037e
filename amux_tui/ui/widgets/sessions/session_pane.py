"""One launched session: status line, the embedded terminal and (toggled) its traffic panel.

The terminal widget owns the PTY process; this pane reports what it says (title, busy/idle,
exit) to the `LiveSession` and asks before closing a session that is still running.
"""

from __future__ import annotations

import dataclasses

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from ...backend.sessions import LiveSession
from ...terminal_view import TerminalView
from .status_line import StatusLine
from .traffic_panel import TrafficPanel

STATUS_REFRESH = 0.5


class SessionPane(Vertical):
    BINDINGS = [Binding("f7", "toggle_traffic", "Traffic", priority=True)]

    DEFAULT_CSS = """
    SessionPane { height: 1fr; }
    SessionPane > #terminal-slot { height: 1fr; }
    SessionPane > TrafficPanel { display: none; height: 40%; min-height: 6; border-top: hkey $panel; }
    SessionPane.-traffic > TrafficPanel { display: block; }
    """

    def __init__(self, session: LiveSession, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.terminal: TerminalView | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(self.app.options.latency_text, id="status-line")
        self.terminal = self._make_terminal()
        yield self.terminal
        yield TrafficPanel(self.app.options.latency_text, id="traffic-panel")

    def _make_terminal(self) -> TerminalView:
        session = self.session
        view = TerminalView(session.argv, env=session.env, cwd=session.cwd, id="terminal-slot")
        session.closer = view.close
        return view

    def on_mount(self) -> None:
        self.query_one(TrafficPanel).attach(self.session.traffic)
        self.refresh_status()
        self.set_interval(STATUS_REFRESH, self.refresh_status)
        if self.terminal is not None and self.terminal.can_focus:
            self.terminal.focus()

    def refresh_status(self) -> None:
        status = self.session.status()
        if status.route == "proxy":
            status = dataclasses.replace(status, all_cost=self.app.sessions.all_cost())
        self.query_one(StatusLine).show(status)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Only the status line changes class: restyling one leaf, not the terminal and the table.
        self.query_one(StatusLine).add_class("-focused")

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.query_one(StatusLine).remove_class("-focused")

    def action_toggle_traffic(self) -> None:
        self.toggle_class("-traffic")

    @on(TrafficPanel.Opened)
    def _open_record(self, event: TrafficPanel.Opened) -> None:
        from ...screens.traffic_detail import TrafficDetailScreen

        self.app.push_screen(TrafficDetailScreen(event.record))

    def send_prompt(self, text: str) -> bool:
        """Type a prompt into the harness (pasted, so newlines stay inside it) and press Enter."""
        terminal = self.terminal
        if not self.session.running or terminal is None:
            return False
        terminal.paste(text)
        terminal.send_text("\r")
        return True

    # --- what the terminal reports --------------------------------------------------------------

    @on(TerminalView.TitleChanged)
    def _title_changed(self, event: TerminalView.TitleChanged) -> None:
        self.session.title = event.title
        self.refresh_status()

    @on(TerminalView.BusyChanged)
    def _busy_changed(self, event: TerminalView.BusyChanged) -> None:
        self.session.terminal_busy = event.busy
        self.refresh_status()

    @on(TerminalView.Started)
    def _started(self, event: TerminalView.Started) -> None:
        if self.session.route == "proxy":
            self.screen.serve_proxy(self.session)  # bound, not serving yet: the harness did not wait for it
        pty = event.terminal_view.terminal.session
        if pty is not None and pty.pid:
            self.screen.record_session(self.session, pid=pty.pid)

    @on(TerminalView.Exited)
    def _exited(self, event: TerminalView.Exited) -> None:
        self.app.sessions.mark_exited(self.session, event.exit_code)
        self.screen.record_session(self.session, exit_code=event.exit_code)
        self.refresh_status()
        message = f"{self.session.label} exited with status {event.exit_code}"
        resume = self.session.resume_command()
        if resume:
            message += f"\nresume it with: {resume}"
        self.notify(message, title="Session ended", markup=False, timeout=15 if resume else 5)

    # --- closing --------------------------------------------------------------------------------

    def request_close(self) -> None:
        """Close this session's tab, asking first when its process still runs."""
        if not self.session.running:
            self._close()
            return
        from ...screens.confirm import ConfirmScreen

        question = f"{self.session.label} ({self.session.provider}/{self.session.model}) is still running. Close it?"
        self.app.push_screen(ConfirmScreen(question, yes="Close", no="Keep", title="Close session"),
                             lambda yes: yes and self._close())

    def _close(self) -> None:
        # The screen runs the close: a worker of this pane would be cancelled when the pane goes.
        self.screen.close_session(self.session)
