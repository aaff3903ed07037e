"""Keyboard reach: every panel, table and action of a session can be reached and used without a
mouse, with the focus visible, and tab moves keep the split view. Real PTYs, real proxy, a fixture
upstream on 127.0.0.1."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import wait_until  # noqa: E402
from test_ui_flows import CHAT_CLIENT, SIZE, launch_shell, make_app, write_config  # noqa: E402
from upstreams import Reply, UpstreamServer  # noqa: E402

from amux_tui.ui.terminal_view import TerminalView  # noqa: E402
from amux_tui.ui.widgets.key_bar import KeyBar  # noqa: E402
from amux_tui.ui.widgets.sessions.traffic_panel import TrafficPanel  # noqa: E402


@pytest.fixture
def env(tmp_path):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "UP_KEY": "upstream-key", "TERM": "xterm-256color"}


def chat(prompt: str) -> list[str]:
    return [sys.executable, str(CHAT_CLIENT), prompt]


async def test_after_f7_the_traffic_table_is_reached_and_opened_by_keys(tmp_path, env):
    async with UpstreamServer("openai-chat", script=[Reply(text="hi there")]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=SIZE) as pilot:
            pane = await launch_shell(pilot, chat("say-hi"), always_proxy=True)
            panel = pane.query_one(TrafficPanel)
            table = panel.query_one("#traffic-table")
            await pilot.press("f7")
            await wait_until(pilot, lambda: len(panel.records) == 1 and not panel.records[0].in_flight,
                             what="the request in the traffic panel")
            await pilot.press("ctrl+backslash")  # leave the terminal
            await wait_until(pilot, lambda: app.focused is table, what="the traffic table focused")
            assert panel.has_class("-focused")  # the title bar shows where the focus is
            await pilot.press("down", "enter")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "TrafficDetailScreen", what="the detail")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.focused is table, what="focus back on the table")
            await pilot.press("tab")  # and back into the terminal
            await wait_until(pilot, lambda: isinstance(app.focused, TerminalView), what="the terminal focused")


async def test_tab_moves_in_split_view_stay_in_the_split_and_are_in_the_footer(tmp_path, env):
    async with UpstreamServer("openai-chat", script=[Reply(text="one"), Reply(text="two")]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=SIZE) as pilot:
            main = app._main_screen()
            first = await launch_shell(pilot, chat("a"), always_proxy=False)
            second = await launch_shell(pilot, chat("b"), always_proxy=False)
            await pilot.press("f4")
            await wait_until(pilot, lambda: len(main.split_panes) == 2, what="split view")
            keys = {entry.description for entry in main.query_one(KeyBar).shown}
            assert "Tab/pane" in keys
            main.activate(second.parent.id)
            await pilot.pause()
            await pilot.press("ctrl+right")  # on the last tab: to the other pane, not to Providers
            await wait_until(pilot, lambda: main.active == first.parent.id, what="the first pane")
            assert len(main.split_panes) == 2
            await pilot.press("ctrl+left")
            await wait_until(pilot, lambda: main.active == second.parent.id, what="the second pane")
            assert len(main.split_panes) == 2


async def test_focus_returns_to_the_session_it_was_in_after_a_broadcast(tmp_path, env):
    async with UpstreamServer("openai-chat", script=[Reply(text=f"r{n}") for n in range(6)]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=SIZE) as pilot:
            main = app._main_screen()
            await launch_shell(pilot, chat("a"), always_proxy=False)
            second = await launch_shell(pilot, chat("b"), always_proxy=False)
            second_terminal = second.query_one(TerminalView)
            await wait_until(pilot, lambda: app.focused is second_terminal, what="the second terminal focused")
            await pilot.press("f3")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "BroadcastScreen", what="broadcast")
            await pilot.press(*"hello", "ctrl+s")
            await wait_until(pilot, lambda: len(main.split_panes) == 2, what="the split after broadcasting")
            await wait_until(pilot, lambda: app.focused is second_terminal, what="focus back in the second session")
            await pilot.press("f7")
            await pilot.pause()
            assert second.has_class("-traffic")


async def test_enter_on_the_harnesses_table_opens_the_launcher_for_that_harness(tmp_path, env):
    """The detail line says "F2 or Enter launches it": the table's own Enter (select) must do it."""
    async with UpstreamServer("openai-chat") as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=SIZE) as pilot:
            main = app._main_screen()
            await wait_until(pilot, lambda: main.query("#provider-table"), what="the providers tab")
            await pilot.press("ctrl+right")
            await wait_until(pilot, lambda: main.active == "harnesses", what="the harnesses tab")
            table = main.query_one("#harness-table")
            await wait_until(pilot, lambda: table.row_count > 0 and app.focused is table, what="the table, focused")
            rows = [str(key.value) for key in table.rows]
            await pilot.press(*["down"] * rows.index("shell"), "enter")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "LaunchScreen", what="the launch dialog")
            assert app.screen._want["harness"] == "shell"
