"""The main screen: tabs for Providers, Harnesses and Ollama, then one tab per launched session.

The tab names are a `TabBar`; each tab's content is a ``.tab-pane`` container in a ContentSwitcher.
Split view shows 2-4 session panes side by side in a grid: the session panes stay where they are
(inside the content switcher, so their terminals are never remounted) and the switcher is laid
out as a grid with the chosen panes shown.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Header

from ..widgets.key_bar import KeyBar
from ..widgets.providers.model_picker import ModelPicker
from ..widgets.providers.providers_pane import ProvidersPane
from ..widgets.tab_bar import TabBar
from . import review

FIXED_TABS = ("providers", "harnesses", "ollama", "earlier")
MAX_SPLIT = 4


class MainScreen(Screen):
    CSS_PATH = "main.tcss"
    BINDINGS = [
        # One footer entry for both directions; in split view they move between the panes shown.
        Binding("ctrl+pagedown,ctrl+right", "next_tab", "Tab/pane", key_display="^←/^→", priority=True),
        Binding("ctrl+pageup,ctrl+left", "previous_tab", "Previous tab/pane", show=False, priority=True),
        Binding("f8", "close_tab", "Close tab", priority=True),
        Binding("f5", "changes", "Changes", show=False, priority=True),
        Binding("f9", "compare", "Compare", show=False, priority=True),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._split: list[str] = []
        self.broadcast_ids: list[str] = []
        """The sessions the last prompt was broadcast to (what Compare shows)."""

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")  # ⭘ (Textual's default) is missing from many terminal fonts
        yield TabBar([("providers", "Providers"), ("harnesses", "Harnesses"), ("ollama", "Ollama"),
                      ("earlier", "Sessions")],
                     active="providers", id="tab-bar")
        with ContentSwitcher(id="tabs", initial="providers"):
            with Vertical(id="providers", classes="tab-pane"):
                yield ProvidersPane(id="providers-pane")
            # Built on first visit, so the first frame only pays for the Providers tab.
            yield Vertical(id="harnesses", classes="tab-pane")
            yield Vertical(id="ollama", classes="tab-pane")
            yield Vertical(id="earlier", classes="tab-pane")
        yield KeyBar()

    @property
    def tabs(self) -> ContentSwitcher:
        return self.query_one("#tabs", ContentSwitcher)

    @property
    def active(self) -> str | None:
        """The id of the tab shown (in split view: the focused one of the panes shown)."""
        return self.tabs.current

    def get_pane(self, pane_id: str) -> Widget:
        return self.tabs.get_child_by_id(pane_id)

    # --- launching ------------------------------------------------------------------------------

    def open_launcher(self, provider: str | None = None, model: str | None = None, harness: str | None = None) -> None:
        from .launch import LaunchScreen

        if provider is None:
            for picker in self.query(ModelPicker):  # none in the first instant, before providers.json was read
                provider, model = picker.provider, picker.highlighted_model
        self.app.push_screen(LaunchScreen(provider=provider, model=model, harness=harness),
                             lambda preview: preview is not None and self.launch(preview))

    @on(ModelPicker.Chosen)
    def _model_chosen(self, event: ModelPicker.Chosen) -> None:
        self.open_launcher(event.provider, event.model)

    def open_broadcast(self) -> None:
        from .broadcast import BroadcastScreen

        if not self.app.sessions.live_sessions():
            self.notify("No running sessions to send to: launch one with F2.", severity="warning")
            return
        was_focused = self.focused
        self.app.push_screen(BroadcastScreen(), lambda sent: self._broadcast_sent(sent, was_focused))

    def broadcast(self, session_ids: list[str], text: str) -> list[str]:
        """Type ``text`` + Enter into each of these sessions; returns the ids it went to."""
        sent = []
        for session_id in session_ids:
            pane = self.session_pane(session_id)
            if pane is not None and pane.send_prompt(text):
                sent.append(session_id)
        return sent

    def _broadcast_sent(self, session_ids: list[str] | None, was_focused: Widget | None = None) -> None:
        if session_ids and len(session_ids) >= 2:
            self.broadcast_ids = list(session_ids)
            # The split keeps the person where they were (F7, F8 act on the focused session).
            home = next((p for p in session_ids if was_focused is not None and self._pane_of(was_focused) == p), None)
            self.show_split(session_ids, focus=home)
            if home is not None and was_focused is not None:
                self.call_after_refresh(self._refocus, was_focused)
            self.notify("F9 compares them side by side (state, tokens, cost, files changed).", title="Sent")

    def _refocus(self, widget: Widget) -> None:
        if widget.is_mounted and widget.focusable:
            widget.focus()

    def _pane_of(self, widget: Widget) -> str | None:
        """The id of the tab pane holding this widget."""
        node = widget
        while node is not None and node.parent is not self.tabs:
            node = node.parent
        return node.id if node is not None else None

    # --- review: compare, changes, earlier sessions (screens/review.py) -------------------------

    def action_compare(self) -> None:
        review.open_compare(self)

    def action_changes(self) -> None:
        review.open_active_changes(self)

    def open_changes(self, session) -> None:
        review.open_changes(self, session)

    def open_record_changes(self, record) -> None:
        review.open_record_changes(self, record)

    @work(group="session-resume")
    async def resume_record(self, record) -> None:
        """Relaunch a recorded session with its harness's own resume, in a new tab."""
        await review.resume_record(self, record)

    def earlier_sessions_changed(self, records: list) -> None:
        review.show_earlier(self, records)

    # --- session tabs ---------------------------------------------------------------------------

    def session_pane_ids(self) -> list[str]:
        return [pane.id for pane in self.tabs.children if pane.id and pane.id not in FIXED_TABS]

    def launch(self, preview) -> None:
        """Start a previewed launch in a new tab (from the launch dialog or the palette)."""
        self._start_session(preview)

    @work(group="session-start")
    async def _start_session(self, preview) -> None:
        from ..widgets.sessions.session_pane import SessionPane

        try:
            session = await self.app.sessions.start(preview)
        except Exception as exc:  # the rooms' errors say what to fix
            self.notify(_error_text(exc), title="Launch failed", severity="error", timeout=10, markup=False)
            return
        await self.add_session_tab(session.id, session.label, SessionPane(session, id=f"{session.id}-pane"))

    @work(group="proxy-serve")
    async def serve_proxy(self, session) -> None:
        """A proxied session's harness was spawned: the shared proxy serves from now on (it was only
        bound, so the harness did not wait for aiohttp). A screen worker: closing the tab meanwhile
        must not cancel it. If it cannot serve, its sessions were ended; say why."""
        try:
            await self.app.sessions.serve_proxy(session)
        except Exception as exc:
            self.notify(_error_text(exc), title="Proxy failed", severity="error", timeout=15, markup=False)

    @work(group="session-records")
    async def record_session(self, session, *, pid: int | None = None, exit_code: int | None = None) -> None:
        """Its process group once spawned, or its end (a screen worker: the pane may go meanwhile)."""
        if pid is not None:
            await self.app.sessions.spawned(session, pid)
            return
        await self.app.sessions.record_exit(session, exit_code)
        self.app.earlier_sessions = await self.app.sessions.records.earlier()
        self.earlier_sessions_changed(self.app.earlier_sessions)

    @work(group="session-close")
    async def close_session(self, session) -> None:
        if session.closer is not None and session.running:
            await session.closer()
        self.app.sessions.mark_exited(session, session.exit_status)
        await self.app.sessions.forget(session)
        if session.id in self.session_pane_ids():
            await self.remove_session_tab(session.id)

    async def add_session_tab(self, pane_id: str, label: str, content: Widget) -> None:
        await self.tabs.add_content(Vertical(content, id=pane_id, classes="tab-pane"))
        self.query_one(TabBar).add(pane_id, label)
        self.leave_split()
        self.activate(pane_id)

    async def remove_session_tab(self, pane_id: str) -> None:
        if pane_id in self._split:
            self._split.remove(pane_id)
            if len(self._split) < 2:
                self.leave_split()
        ids = list(FIXED_TABS) + self.session_pane_ids()
        if self.active == pane_id:  # show the tab before it, as closing a browser tab does
            self.activate(ids[max(0, ids.index(pane_id) - 1)])
        self.query_one(TabBar).remove(pane_id)
        await self.get_pane(pane_id).remove()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_tab":
            return self.active not in FIXED_TABS
        return True

    def action_close_tab(self) -> None:
        active = self.active
        if active in FIXED_TABS or not active:
            return
        pane = self.get_pane(active)
        from ..widgets.sessions.session_pane import SessionPane

        for session_pane in pane.query(SessionPane):
            session_pane.request_close()

    def action_next_tab(self) -> None:
        self._cycle(1)

    def action_previous_tab(self) -> None:
        self._cycle(-1)

    def _cycle(self, step: int) -> None:
        # In split view: between the panes shown (leaving them would drop the split).
        ids = self.split_panes or list(FIXED_TABS) + self.session_pane_ids()
        if self.active in ids:
            self.activate(ids[(ids.index(self.active) + step) % len(ids)])

    # --- split view -----------------------------------------------------------------------------

    @property
    def split_panes(self) -> list[str]:
        return list(self._split)

    def toggle_split(self) -> None:
        if self._split:
            self.leave_split()
            return
        ids = self.session_pane_ids()
        if len(ids) < 2:
            self.notify("Split view needs two sessions or more.", severity="warning")
            return
        self.show_split(ids[-MAX_SPLIT:])

    def show_split(self, pane_ids: list[str], *, focus: str | None = None) -> None:
        """Show these sessions' panes side by side (2-4 of them), focusing ``focus`` (or the first)."""
        pane_ids = [p for p in pane_ids if p in self.session_pane_ids()][:MAX_SPLIT]
        if len(pane_ids) < 2:
            return
        self._split = pane_ids
        self.activate(focus if focus in pane_ids else pane_ids[0])
        self._apply_split()

    def leave_split(self) -> None:
        if not self._split:
            return
        self._split = []
        self.tabs.remove_class("-split", "-split-3", "-split-4")
        for pane in self.tabs.children:
            pane.display = pane.id == self.active

    def _apply_split(self) -> None:
        self.tabs.add_class("-split")
        self.tabs.set_class(len(self._split) >= 3, "-split-3")
        self.tabs.set_class(len(self._split) == 4, "-split-4")
        for pane in self.tabs.children:
            pane.display = pane.id in self._split

    def _lazy_tab_content(self, pane_id: str | None):
        """The content of a tab built on its first visit (imported then too: not on the first frame)."""
        if pane_id == "harnesses":
            from ..widgets.harnesses.harnesses_pane import HarnessesPane

            return HarnessesPane(id="harnesses-pane")
        if pane_id == "ollama":
            from ..widgets.ollama.ollama_pane import OllamaPane

            return OllamaPane(id="ollama-pane")
        if pane_id == "earlier":
            from ..widgets.sessions.earlier_pane import EarlierSessionsPane

            return EarlierSessionsPane(id="earlier-pane")
        return None

    def activate(self, pane_id: str) -> None:
        """Show this tab: build its content on the first visit, move the focus into it (so its keys,
        a/e/r, p, F7..., work at once), and keep or leave split view."""
        pane = self.get_pane(pane_id)
        self.tabs.current = pane_id
        self.query_one(TabBar).active = pane_id
        self.refresh_bindings()
        self.call_later(self._enter, pane)
        if not self._split:
            return
        if pane_id in self._split:
            self._apply_split()  # the switcher just hid the others
        else:
            self.leave_split()

    async def _enter(self, pane: Widget) -> None:
        if not pane.children:
            content = self._lazy_tab_content(pane.id)
            if content is not None:
                await pane.mount(content)
        target = next((w for w in pane.query("*") if w.focusable and w.display), None)
        if target is not None:
            target.focus()

    @on(TabBar.Clicked)
    def _tab_clicked(self, event: TabBar.Clicked) -> None:
        self.activate(event.tab_id)

    def session_pane(self, pane_id: str):
        from ..widgets.sessions.session_pane import SessionPane

        try:
            return self.get_pane(pane_id).query_one(SessionPane)
        except NoMatches:
            return None


def _error_text(exc: Exception) -> str:
    """The error's message, and its fix when it names one (the harnesses room's LaunchError)."""
    fix = getattr(exc, "fix", None)
    return f"{exc}\nfix: {fix}" if fix else str(exc)
