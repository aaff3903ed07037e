"""The amux dashboard: the App, its global keys and the wiring to the core.

Screens and widgets live in ``screens/`` and ``widgets/<area>/``; the core is reached only through
``backend/`` (providers, harnesses, sessions). Nothing here imports LiteLLM.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time

from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches

from ..providers.registry import ProviderRegistry
from .backend.catalog import CatalogLoad, ProviderCatalog
from .backend.harness_info import HarnessCatalog
from .backend.ollama_control import OllamaControl
from .backend.sessions import SessionManager
from .commands import LaunchCommands
from .options import FIRST_PAINT_ENV, DashboardOptions
from .screens.main import MainScreen
from .widgets.providers.providers_pane import ProvidersPane

DARK_THEME, LIGHT_THEME = "textual-dark", "textual-light"
TOTALS_INTERVAL = 2.0
"""Seconds between writes of the running proxied sessions' totals into their records."""


class AmuxApp(App[int]):
    TITLE = "amux"
    SUB_TITLE = "agents × providers"
    # The default screen's own CSS_PATH is not loaded by Textual for a default screen: list it here.
    CSS_PATH = ["app.tcss", "screens/main.tcss"]
    COMMANDS = App.COMMANDS | {LaunchCommands}
    BINDINGS = [
        Binding("f2", "launch", "Launch", priority=True),
        Binding("f3", "broadcast", "Broadcast", priority=True),
        Binding("f4", "toggle_split", "Split", priority=True),
        Binding("f6", "toggle_dark", "Theme", priority=True),
        Binding("ctrl+q", "request_quit", "Quit", priority=True),
    ]

    def __init__(self, options: DashboardOptions | None = None):
        super().__init__()
        self.options = options or DashboardOptions()
        self.catalog = ProviderCatalog(self.options.config_path, self.options.env,
                                       detect_local=self.options.detect_local)
        self.registry = ProviderRegistry([])
        self.catalog_load: CatalogLoad | None = None
        """None until providers.json was read, just after the first frame (see `_after_first_frame`)."""
        self.harness_catalog = HarnessCatalog(self.options.env, self.options.harness_search_path)
        self.sessions = SessionManager(self.harness_catalog.env)
        self.ollama = OllamaControl(self.options.env)
        self.theme = DARK_THEME
        self.earlier_sessions: list = []
        """Ended sessions from the session database (earlier runs included), newest first."""

    def reload_providers(self) -> CatalogLoad:
        """Re-read providers.json (a small local file) into ``registry``; detected servers come later."""
        self.catalog_load = self.catalog.load()
        self.registry = self.catalog_load.registry
        return self.catalog_load

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="main")

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(signum, self._on_signal)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests)
                pass
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        """What the first frame does without, in the order a person needs it: providers.json (building
        the config's pydantic models costs about a third of Textual's own start) and the table's rows;
        then the details, the model list and the probes; then the harness inventory (a --version per
        binary, for the launcher and the palette)."""
        if self.options.first_paint_file:
            self._stamp(f"litellm={'litellm' in sys.modules} pydantic={'pydantic' in sys.modules}", mode="w")
        self.reload_providers()
        pane = self._providers_pane()
        if pane is not None:
            pane.providers_loaded()
        self.call_after_refresh(self._providers_listed)

    async def _providers_listed(self) -> None:
        if self.options.first_paint_file:
            self._stamp(f"providers={len(self.registry)}", mode="a")
            await self._load_records()
            self._stamp(f"records={len(self.earlier_sessions)}", mode="a")
            self.exit(0)
            return
        pane = self._providers_pane()
        if pane is not None:
            await pane.show_details()
        # What exists now (Textual, the config models, the screen) lives as long as the app: move it out
        # of the collector's way, or every full collection walks it again (~0.1 s pauses while streaming).
        gc.freeze()
        self.run_worker(self.harness_catalog.harnesses(), group="harness-inventory")
        self.run_worker(self._load_records(), group="session-records")

    async def _load_records(self) -> None:
        """Sessions of a dead amux become `lost` (their processes ended); earlier ones are listed."""
        self.earlier_sessions = await self.sessions.records.startup()
        if not self.options.first_paint_file:
            self.set_interval(TOTALS_INTERVAL, lambda: self.run_worker(
                self.sessions.record_totals(), group="record-totals", exclusive=True))
        try:
            self._main_screen().earlier_sessions_changed(self.earlier_sessions)
        except LookupError:
            pass

    def _providers_pane(self) -> ProvidersPane | None:
        try:
            return self._main_screen().query_one(ProvidersPane)
        except (LookupError, NoMatches):
            return None

    def _stamp(self, note: str, *, mode: str) -> None:
        with open(self.options.first_paint_file, mode, encoding="utf-8") as handle:  # type: ignore[arg-type]
            handle.write(f"{time.time():.6f} cpu={time.process_time() * 1000:.1f} {note}\n")

    def _on_signal(self) -> None:
        self.run_worker(self.action_quit(), exclusive=True, group="quit")

    @property
    def main(self) -> MainScreen:
        return self.get_screen("main") if self.is_screen_installed("main") else self.screen  # type: ignore[return-value]

    # --- actions ------------------------------------------------------------------------------

    def action_toggle_dark(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def action_launch(self) -> None:
        self._main_screen().open_launcher()

    def action_broadcast(self) -> None:
        self._main_screen().open_broadcast()

    def action_toggle_split(self) -> None:
        self._main_screen().toggle_split()

    def action_request_quit(self) -> None:
        """Quit; with sessions still running, ask first (end them, or cancel)."""
        live = self.sessions.live_sessions()
        if not live:
            self.run_worker(self.action_quit(), exclusive=True, group="quit")
            return
        from .screens.confirm import ConfirmScreen

        names = ", ".join(s.label for s in live[:4]) + (" ..." if len(live) > 4 else "")
        question = (f"{len(live)} session{'s are' if len(live) > 1 else ' is'} still running ({names}). "
                    "Quitting ends them.")
        self.push_screen(ConfirmScreen(question, yes="End them and quit", no="Cancel", title="Quit amux"),
                         lambda yes: yes and self.run_worker(self.action_quit(), exclusive=True, group="quit"))

    async def action_quit(self) -> None:
        await self.shutdown_sessions()
        self.exit(0)

    async def shutdown_sessions(self) -> None:
        """End every session's process group, the proxy, and an Ollama server amux started."""
        await self.sessions.close_all()
        await self.ollama.aclose()
        await self.catalog.aclose()

    async def on_unmount(self) -> None:
        await self.shutdown_sessions()
        gc.unfreeze()  # what was frozen at start-up may be collected again (an app run inside a longer process)

    def _main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("main screen not mounted")


def run_dashboard(config_path: str | None = None) -> int:
    """Entry point for ``amux`` with no arguments; returns the exit code."""
    options = DashboardOptions(config_path=config_path, first_paint_file=os.environ.get(FIRST_PAINT_ENV) or None)
    app = AmuxApp(options)
    result = app.run()
    return int(result or app.return_code or 0)
