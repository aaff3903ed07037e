"""The dashboard's proxied launches, as ``amux launch --with-proxy`` does them: the shared proxy is
bound and the session registered first, the harness is spawned, and only then does the proxy start
serving (its request waits in the backlog meanwhile). Real parts: a fixture upstream on 127.0.0.1,
amux's proxy, a real PTY running a small chat client as the `shell` harness."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import alive, wait_until  # noqa: E402
from upstreams import Reply, UpstreamServer  # noqa: E402

from amux_tui.proxy.server import ProxyServer  # noqa: E402
from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.backend.sessions import LaunchChoice  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

CHAT_CLIENT = Path(__file__).resolve().parent / "fixtures" / "ui" / "chat_client.py"
SIZE = (110, 32)


@pytest.fixture
async def dashboard(tmp_path):
    """A dashboard whose one provider is a fixture upstream (two answers scripted)."""
    script = [Reply(text="first answer via the proxy"), Reply(text="second answer via the proxy")]
    async with UpstreamServer("openai-chat", script=script, api_key="upstream-key") as upstream:
        config = {"version": 1, "default_provider": "up", "providers": {"up": {
            "type": "openai", "api_base": upstream.base_url, "api_key": "upstream-key", "api_format": "openai-chat",
            "models": ["fixture-model"], "default_model": "fixture-model"}}}
        (tmp_path / "providers.json").write_text(json.dumps(config))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"),
               "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color"}
        app = AmuxApp(DashboardOptions(config_path=str(tmp_path / "providers.json"), env=env, detect_local=False))
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.catalog_load is not None, what="providers.json")
            yield app, pilot, upstream


def launch_proxied(app: AmuxApp, prompt: str) -> None:
    """Start a proxied `shell` session running the chat client, as the launch dialog does on confirm."""
    choice = LaunchChoice("shell", app.registry.get("up"), "fixture-model",
                          (sys.executable, str(CHAT_CLIENT), prompt), always_proxy=True)
    preview = app.sessions.preview(choice)
    assert preview.ok and preview.route == "proxy", preview.error
    app._main_screen().launch(preview)


def panes(app: AmuxApp) -> list:
    main = app._main_screen()
    return [main.session_pane(pane_id) for pane_id in main.session_pane_ids()]


def screen_text(pane) -> str:
    return "\n".join(pane.terminal.terminal.screen.display)


@pytest.fixture
def start_calls(dashboard, monkeypatch):
    """Each call of the real ProxyServer.start, with what existed then: the harnesses' PTYs, and
    whether the server had its port and sessions already."""
    app = dashboard[0]
    calls: list[dict] = []
    real_start = ProxyServer.start

    async def recording_start(server: ProxyServer) -> None:
        calls.append({"server": server, "serving": server.running, "port": server.port,
                      "registered": len(server.sessions),
                      "spawned": [p.terminal.terminal.session.pid for p in panes(app)
                                  if p.terminal.terminal.session.started]})
        await real_start(server)

    monkeypatch.setattr(ProxyServer, "start", recording_start)
    return calls


async def test_the_harness_is_spawned_before_the_proxy_serves(dashboard, start_calls):
    app, pilot, upstream = dashboard
    calls = start_calls
    launch_proxied(app, "say-hi")
    await wait_until(pilot, lambda: panes(app) and "first answer via the proxy" in screen_text(panes(app)[0]),
                     what="the answer through the proxy")
    pane = panes(app)[0]
    pid = pane.terminal.terminal.session.pid
    assert len(calls) == 1
    call = calls[0]
    assert call["spawned"] == [pid], "the proxy started serving before the harness was spawned"
    assert call["port"] is not None and call["registered"] == 1 and not call["serving"]
    assert call["server"] is app.sessions.proxy and app.sessions.proxy.running
    assert pane.session.proxy_server is app.sessions.proxy
    assert upstream.requests[0].headers["authorization"] == "Bearer upstream-key"
    assert len(pane.session.traffic.records()) == 1


async def test_two_quick_launches_share_one_proxy_started_once(dashboard, start_calls):
    app, pilot, _ = dashboard
    calls = start_calls
    launch_proxied(app, "one")
    launch_proxied(app, "two")  # before the first one's tab exists
    await wait_until(pilot, lambda: len(panes(app)) == 2 and all("answer via the proxy" in screen_text(p)
                                                                 for p in panes(app)),
                     what="both answers through the proxy")
    sessions = [pane.session for pane in panes(app)]
    assert sessions[0].proxy_server is sessions[1].proxy_server is app.sessions.proxy
    assert [call["serving"] for call in calls] == [False]  # started once, not twice
    assert calls[0]["spawned"], "the proxy started serving before any harness was spawned"


async def test_a_proxy_that_cannot_serve_is_reported_and_its_session_ended(dashboard, monkeypatch):
    """Starting to serve fails (here: out of file descriptors): the user is told why, the harness that
    waits for the proxy is ended instead of hanging, and the next proxied launch gets a new proxy."""
    app, pilot, _ = dashboard

    async def failing_start(server: ProxyServer) -> None:
        raise OSError(errno.EMFILE, "Too many open files")

    real_start = ProxyServer.start
    monkeypatch.setattr(ProxyServer, "start", failing_start)
    launch_proxied(app, "never-answered")
    await wait_until(pilot, lambda: any(n.title == "Proxy failed" for n in app._notifications),
                     what="the failure notification")
    failed = next(n for n in app._notifications if n.title == "Proxy failed")
    assert "could not start serving" in failed.message and "Too many open files" in failed.message
    pane = panes(app)[0]
    await wait_until(pilot, lambda: not pane.session.running, what="the waiting harness to be ended")
    assert not alive(pane.terminal.terminal.session.pid)
    assert app.sessions.proxy is None and not pane.session.proxy_server.running

    monkeypatch.setattr(ProxyServer, "start", real_start)
    launch_proxied(app, "after-the-failure")
    await wait_until(pilot, lambda: len(panes(app)) == 2 and "answer via the proxy" in screen_text(panes(app)[1]),
                     what="an answer through a new proxy")
    assert panes(app)[1].session.proxy_server is app.sessions.proxy is not pane.session.proxy_server
