"""The dashboard's global commands, driven by keys and clicks: switching tabs, broadcasting one
prompt to the selected sessions (real PTYs running a small echo program), the command palette's
"Launch ..." entries, and the light/dark theme toggle (F6, or a click on the key bar)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from textual.widgets import SelectionList, TextArea

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import launch_command, wait_until  # noqa: E402
from fixtures.ui.screen_text import screen_text  # noqa: E402
from upstreams import UpstreamServer  # noqa: E402

from amux_tui.ui.app import DARK_THEME, LIGHT_THEME, AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402
from amux_tui.ui.widgets.key_bar import KeyBar  # noqa: E402
from amux_tui.ui.widgets.tab_bar import TabBar  # noqa: E402

SIZE = (120, 32)

# Prints its name, then echoes every line it reads: what a harness waiting for prompts does.
ECHO = """import sys
name = sys.argv[1]
print(name, "ready>", flush=True)
for line in sys.stdin:
    print(name, "got:", line.strip(), flush=True)
"""


@pytest.fixture
async def make_app(tmp_path):
    """An app whose one provider, "local", is a model server on 127.0.0.1 (a launch checks that it
    answers); "down" is a port where nothing listens."""
    async with UpstreamServer("openai-chat", api_key=None, models=["m"]) as upstream:
        config = tmp_path / "providers.json"
        config.write_text(json.dumps({"version": 1, "default_provider": "local", "providers": {
            "local": {"type": "vllm", "api_base": upstream.base_url, "models": ["m"], "default_model": "m"},
            "down": {"type": "vllm", "api_base": "http://127.0.0.1:9/v1", "models": ["m"]}}}))
        yield _app_factory(config, tmp_path)


def _app_factory(config: Path, tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "TERM": "xterm-256color"}

    def make() -> AmuxApp:
        return AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False,
                                        harness_search_path="/usr/bin:/bin"))

    return make


def terminal_text(pane) -> str:
    return "\n".join(pane.terminal.terminal.screen.display)


async def test_broadcast_reaches_the_selected_sessions_only(make_app, tmp_path):
    """Three sessions; F3, type a prompt, leave the third unticked, Ctrl+S: the two selected panes get
    the prompt (and are shown side by side), the third does not."""
    echo = tmp_path / "echo.py"
    echo.write_text(ECHO)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        panes = [await launch_command(pilot, [sys.executable, str(echo), name], provider="local", model="m",
                                      always_proxy=False, expect=f"{name} ready>")
                 for name in ("one", "two", "three")]
        await pilot.press("f3")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "BroadcastScreen")
        assert app.screen.query_one(TextArea).has_focus
        await pilot.press(*"hello", "space", *"both")
        targets = app.screen.query_one(SelectionList)
        assert set(targets.selected) == {pane.session.id for pane in panes}  # all ticked to begin with
        targets.focus()
        await pilot.press("end", "space")  # untick the last one
        assert targets.selected == [panes[0].session.id, panes[1].session.id]
        await pilot.press("ctrl+s")

        main = app._main_screen()
        for name, pane in zip(("one", "two"), panes):
            await wait_until(pilot, lambda pane=pane, name=name: f"{name} got: hello both" in terminal_text(pane))
        assert main.split_panes == [panes[0].session.id, panes[1].session.id]
        await pilot.pause(0.3)  # time enough for an echo, had the third one been sent anything
        assert "got:" not in terminal_text(panes[2])
        await app.action_quit()


async def test_broadcast_without_sessions_says_how_to_start_one(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert any("launch one with F2" in n.message for n in app._notifications)


async def test_palette_launch_entry_opens_the_launcher_with_its_choices(make_app):
    """Ctrl+P, "launch shell": the palette offers "Launch shell with <provider>/<model>" for each
    provider; narrowed to "local", Enter opens the launch dialog with that harness, provider and
    model picked, ready to launch."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.harness_catalog.known)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"launch", "space", *"shell")
        await wait_until(pilot, lambda: "Launch shell with local/m" in screen_text(app)
                         and "Launch shell with down/m" in screen_text(app))
        await pilot.press("space", *"local")
        await wait_until(pilot, lambda: "Launch shell with down/m" not in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "LaunchScreen"
                         and not app.screen.query_one("#launch").disabled)
        launcher = app.screen
        picked = [launcher._selected(f"#launch-{column}") for column in ("harness", "provider", "model")]
        assert picked == ["shell", "local", "m"]
        assert "shell with local/m" in screen_text(app)


async def test_theme_toggles_with_f6_and_a_click_on_the_key_bar(make_app):
    """F6 switches to the light theme and back; so does clicking "Theme" in the key bar. The screen,
    the key bar and the providers table's health colours follow the theme."""
    app = make_app()
    async with app.run_test(size=(170, 32)) as pilot:  # wide enough for the Theme key, which goes first when narrow
        table = app.screen.query_one("#provider-table")
        bar = app.screen.query_one(KeyBar)
        await wait_until(pilot, lambda: table.health_of("down").status == "down")

        def looks() -> tuple[str, object, object, object]:
            health = table.get_cell("down", "health")
            assert health.style == app.current_theme.error
            return app.theme, app.screen.styles.background, bar.get_component_rich_style("key-bar--key").color

        dark = looks()
        assert dark[0] == DARK_THEME
        await pilot.press("f6")
        await pilot.pause()
        light = looks()
        assert light[0] == LIGHT_THEME and not app.current_theme.dark
        assert light[1] != dark[1] and light[2] != dark[2]

        start, _end, _key = next(span for span in bar._spans if span[2] == "f6")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await pilot.pause()
        assert looks() == dark


async def test_tabs_switch_by_click_and_keys(make_app):
    """A click on a tab's name shows it (built on its first visit); Ctrl+Right / Ctrl+Left cycle."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main = app._main_screen()
        bar = main.query_one(TabBar)
        start, _end, _tab = next(span for span in bar._spans if span[2] == "harnesses")
        await pilot.click(TabBar, offset=(start + 1, 0))
        await wait_until(pilot, lambda: main.query("#harness-table"))
        assert main.active == "harnesses" and main.get_pane("harnesses").display
        assert not main.get_pane("providers").display
        await pilot.press("ctrl+right")
        await wait_until(pilot, lambda: main.query("#ollama-status"))
        assert main.active == "ollama" and bar.active == "ollama"
        await pilot.press("ctrl+left", "ctrl+left")
        await pilot.pause()
        assert main.active == "providers" and main.query_one("#provider-table").has_focus
