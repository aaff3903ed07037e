"""The main screen: tabs for Providers, Harnesses and Ollama, then one tab per launched session.

Split view shows 2-4 session panes side by side in a grid: the session panes stay where they are
(inside the tabs' content switcher, so their terminals are never remounted) and the switcher is
laid out as a grid with the chosen panes shown.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Header, TabbedContent, TabPane

from ..widgets.key_bar import KeyBar
from ..widgets.providers.model_picker import ModelPicker
from ..widgets.providers.providers_pane import ProvidersPane

FIXED_TABS = ("providers", "harnesses", "ollama")
MAX_SPLIT = 4


class MainScreen(Screen):
    CSS_PATH = "main.tcss"
    BINDINGS = [
        Binding("ctrl+pagedown,ctrl+right", "next_tab", "Next tab", show=False, priority=True),
        Binding("ctrl+pageup,ctrl+left", "previous_tab", "Previous tab", show=False, priority=True),
        Binding("f8", "close_tab", "Close tab", priority=True),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._split: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs", initial="providers"):
            with TabPane("Providers", id="providers"):
                yield ProvidersPane(id="providers-pane")
            # Built on first visit, so the first frame only pays for the Providers tab.
            yield TabPane("Harnesses", id="harnesses")
            yield TabPane("Ollama", id="ollama")
        yield KeyBar()

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#tabs", TabbedContent)

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
        self.app.push_screen(BroadcastScreen(), self._broadcast_sent)

    def broadcast(self, session_ids: list[str], text: str) -> list[str]:
        """Type ``text`` + Enter into each of these sessions; returns the ids it went to."""
        sent = []
        for session_id in session_ids:
            pane = self.session_pane(session_id)
            if pane is not None and pane.send_prompt(text):
                sent.append(session_id)
        return sent

    def _broadcast_sent(self, session_ids: list[str] | None) -> None:
        if session_ids and len(session_ids) >= 2:
            self.show_split(session_ids)

    # --- session tabs ---------------------------------------------------------------------------

    def session_pane_ids(self) -> list[str]:
        switcher = self.tabs.query_one(ContentSwitcher)
        return [pane.id for pane in switcher.children if pane.id and pane.id not in FIXED_TABS]

    def launch(self, preview) -> None:
        """Start a previewed launch in a new tab (from the launch dialog or the palette)."""
        self._start_session(preview)

    @work(group="session-start")
    async def _start_session(self, preview) -> None:
        from ..widgets.sessions.session_pane import SessionPane

        try:
            session = await self.app.sessions.start(preview)
        except Exception as exc:  # the rooms' errors say what to fix
            self.notify(str(exc), title="Launch failed", severity="error", timeout=10)
            return
        await self.add_session_tab(TabPane(session.label, SessionPane(session, id=f"{session.id}-pane"), id=session.id))

    @work(group="session-close")
    async def close_session(self, session) -> None:
        if session.closer is not None and session.running:
            await session.closer()
        self.app.sessions.mark_exited(session, session.exit_status)
        await self.app.sessions.forget(session)
        if session.id in self.session_pane_ids():
            await self.remove_session_tab(session.id)

    async def add_session_tab(self, pane: TabPane) -> None:
        await self.tabs.add_pane(pane)
        self.leave_split()
        self.tabs.active = pane.id

    async def remove_session_tab(self, pane_id: str) -> None:
        if pane_id in self._split:
            self._split.remove(pane_id)
            if len(self._split) < 2:
                self.leave_split()
        await self.tabs.remove_pane(pane_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_tab":
            return self.tabs.active not in FIXED_TABS
        return True

    def action_close_tab(self) -> None:
        active = self.tabs.active
        if active in FIXED_TABS or not active:
            return
        pane = self.tabs.get_pane(active)
        from ..widgets.sessions.session_pane import SessionPane

        for session_pane in pane.query(SessionPane):
            session_pane.request_close()

    def action_next_tab(self) -> None:
        self._cycle(1)

    def action_previous_tab(self) -> None:
        self._cycle(-1)

    def _cycle(self, step: int) -> None:
        ids = list(FIXED_TABS) + self.session_pane_ids()
        if self.tabs.active in ids:
            self.tabs.active = ids[(ids.index(self.tabs.active) + step) % len(ids)]

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

    def show_split(self, pane_ids: list[str]) -> None:
        """Show these sessions' panes side by side (2-4 of them)."""
        pane_ids = [p for p in pane_ids if p in self.session_pane_ids()][:MAX_SPLIT]
        if len(pane_ids) < 2:
            return
        self._split = pane_ids
        self.tabs.active = pane_ids[0]
        self._apply_split()

    def leave_split(self) -> None:
        if not self._split:
            return
        self._split = []
        self.tabs.remove_class("-split", "-split-3", "-split-4")
        switcher = self.tabs.query_one(ContentSwitcher)
        for pane in switcher.children:
            pane.display = pane.id == self.tabs.active

    def _apply_split(self) -> None:
        switcher = self.tabs.query_one(ContentSwitcher)
        self.tabs.add_class("-split")
        self.tabs.set_class(len(self._split) >= 3, "-split-3")
        self.tabs.set_class(len(self._split) == 4, "-split-4")
        for pane in switcher.children:
            pane.display = pane.id in self._split

    def _lazy_tab_content(self, pane_id: str | None):
        """The content of a tab built on its first visit (imported then too: not on the first frame)."""
        if pane_id == "harnesses":
            from ..widgets.harnesses.harnesses_pane import HarnessesPane

            return HarnessesPane(id="harnesses-pane")
        if pane_id == "ollama":
            from ..widgets.ollama.ollama_pane import OllamaPane

            return OllamaPane(id="ollama-pane")
        return None

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        if event.pane is not None and not event.pane.children:
            content = self._lazy_tab_content(event.pane.id)
            if content is not None:
                await event.pane.mount(content)
        if event.pane is not None:
            # Keys of the tab (a/e/r, p, F7...) work at once: focus moves into the tab's content.
            target = next((w for w in event.pane.query("*") if w.focusable and w.display), None)
            if target is not None:
                self.call_after_refresh(target.focus)
        if not self._split:
            return
        pane_id = event.pane.id if event.pane else None
        if pane_id in self._split:
            self.call_after_refresh(self._apply_split)  # the switcher just hid the others
        else:
            self.leave_split()

    def session_pane(self, pane_id: str):
        from ..widgets.sessions.session_pane import SessionPane

        try:
            return self.tabs.get_pane(pane_id).query_one(SessionPane)
        except NoMatches:
            return None
