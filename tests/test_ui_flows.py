"""Pilot tests of the dashboard's flows, against real parts: a fixture upstream on 127.0.0.1
(tests/upstreams.py), amux's own proxy, a real PTY running a small Python chat client as the
`shell` harness, and the real npm harness binaries where marked."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import alive, wait_until  # noqa: E402
from fixtures.ui.screen_text import screen_text  # noqa: E402
from upstreams import Reply, UpstreamServer  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402
from amux_tui.ui.terminal_view import TerminalView  # noqa: E402
from amux_tui.ui.widgets.sessions.session_pane import SessionPane  # noqa: E402
from amux_tui.ui.widgets.sessions.traffic_panel import TrafficPanel  # noqa: E402

CHAT_CLIENT = Path(__file__).resolve().parent / "fixtures" / "ui" / "chat_client.py"
SIZE = (110, 32)


def terminal_text(pane: SessionPane) -> str:
    return "\n".join(pane.query_one(TerminalView).terminal.screen.display)


@pytest.fixture
def env(tmp_path):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "UP_KEY": "upstream-key", "TERM": "xterm-256color"}


def write_config(tmp_path: Path, upstream: UpstreamServer) -> Path:
    config = {"version": 1, "default_provider": "up", "providers": {
        "up": {"type": "openai", "api_base": upstream.base_url, "api_key": "${UP_KEY}", "api_format": "openai-chat",
               "models": ["fixture-model"], "default_model": "fixture-model"}}}
    path = tmp_path / "providers.json"
    path.write_text(json.dumps(config))
    return path


def make_app(config: Path, env: dict[str, str]) -> AmuxApp:
    return AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False))


async def launch_shell(pilot, command: list[str], *, always_proxy: bool) -> SessionPane:
    """Through the launch dialog: shell harness, the configured provider/model, a command."""
    app = pilot.app
    main = app._main_screen()
    await wait_until(pilot, lambda: app.harness_catalog.known, what="harness inventory")
    main.open_launcher("up", "fixture-model", "shell")
    await wait_until(pilot, lambda: app.screen.query_one("#launch-model").option_count > 0, what="model list")
    app.screen.query_one("#launch-args").value = shlex.join(command)
    if always_proxy:
        app.screen.query_one("#launch-always-proxy").value = True
    await wait_until(pilot, lambda: not app.screen.query_one("#launch").disabled, what="a launchable choice")
    before = set(main.session_pane_ids())
    if always_proxy:  # the dialog says it once; launching is the consent (no second question)
        assert "through amux's proxy" in str(app.screen.query_one("#launch-route").render())
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: set(main.session_pane_ids()) - before, what="a new session tab")
    assert type(app.screen).__name__ == "MainScreen"
    new_id = (set(main.session_pane_ids()) - before).pop()
    return main.session_pane(new_id)


async def test_shell_session_through_proxy_answers_and_closes(tmp_path, env):
    """provider -> model -> harness -> launch into a tab -> the answer shows -> the traffic panel lists
    the request -> open it side by side -> close the tab (asked, since it still runs) -> no process left."""
    async with UpstreamServer("openai-chat", script=[Reply(text="hello from the fixture upstream")]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=SIZE) as pilot:
            pane = await launch_shell(pilot, [sys.executable, str(CHAT_CLIENT), "say-hi"], always_proxy=True)
            await wait_until(pilot, lambda: "hello from the fixture upstream" in terminal_text(pane),
                             what="the answer in the terminal")
            assert upstream.requests[0].headers["authorization"] == "Bearer upstream-key"  # the proxy swapped keys
            session = pane.session
            assert session.route == "proxy" and session.traffic is not None
            pid = pane.query_one(TerminalView).terminal.session.pid
            assert alive(pid)

            await pilot.press("f7")
            panel = pane.query_one(TrafficPanel)
            await wait_until(pilot, lambda: len(panel.records) == 1 and not panel.records[0].in_flight,
                             what="the request in the traffic panel")
            record = panel.records[0]
            assert record.status == 200 and record.route.endswith("/chat/completions")
            status_line = str(pane.query_one("#status-line").render())
            assert "proxied" in status_line and "up/fixture-model" in status_line

            panel.query_one("#traffic-table").focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "TrafficDetailScreen", what="detail view")
            detail = screen_text(app)
            assert "inbound" in detail and "upstream" in detail and "response events" in detail
            assert "say-hi" in detail
            await pilot.press("escape")

            await pilot.press("f8")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="close question")
            assert "still running" in screen_text(app)
            await pilot.press("y")
            await wait_until(pilot, lambda: not app._main_screen().session_pane_ids(), what="the tab to close")
            await wait_until(pilot, lambda: not alive(pid), what="the process to end")
            assert app.sessions.proxy is not None
            assert session.proxy_session_id and app.sessions.proxy.session(session.proxy_session_id) is None
        assert app.sessions.proxy is None  # quitting stopped the proxy


async def test_direct_session_exit_is_shown_and_tab_closes_without_asking(tmp_path, env):
    """A direct (not proxied) session: the answer shows, the exit status reaches the status line,
    and closing a finished session's tab does not ask."""
    async with UpstreamServer("openai-chat", script=[Reply(text="direct answer")]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=SIZE) as pilot:
            pane = await launch_shell(pilot, [sys.executable, str(CHAT_CLIENT), "ping", "--once"], always_proxy=False)
            assert pane.session.route == "direct" and pane.session.traffic is None
            await wait_until(pilot, lambda: "direct answer" in terminal_text(pane), what="the answer")
            await wait_until(pilot, lambda: not pane.session.running, what="the exit")
            assert "exited 0" in str(pane.query_one("#status-line").render())
            await pilot.press("f8")
            await wait_until(pilot, lambda: not app._main_screen().session_pane_ids(), what="the tab to close")


async def test_quit_ends_every_session(tmp_path, env):
    """Two running sessions and the proxy: quitting ends both process groups and stops the proxy."""
    async with UpstreamServer("openai-chat", script=[Reply(text="one")]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        pids = []
        async with app.run_test(size=SIZE) as pilot:
            for proxied in (True, False):
                pane = await launch_shell(pilot, [sys.executable, str(CHAT_CLIENT)], always_proxy=proxied)
                await wait_until(pilot, lambda: "ready>" in terminal_text(pane), what="the client prompt")
                pids.append(pane.query_one(TerminalView).terminal.session.pid)
            assert all(alive(pid) for pid in pids)
            await app.action_quit()
        assert app.sessions.proxy is None
        for pid in pids:
            for _ in range(100):
                if not alive(pid):
                    break
                await asyncio.sleep(0.05)
            assert not alive(pid)
