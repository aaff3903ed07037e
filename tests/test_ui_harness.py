"""The dashboard with a real harness binary: Claude Code (interactive TUI) launched into a tab,
through amux's proxy to a local OpenAI-Chat upstream; the answer shows in the tab, the traffic
panel lists the request, closing the tab ends every process of the session."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from textual.pilot import Pilot

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import wait_until  # noqa: E402
from harness_bins import require_binary  # noqa: E402
from upstreams import Reply, UpstreamServer  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402
from amux_tui.ui.widgets.sessions.traffic_panel import TrafficPanel  # noqa: E402

KEY = "fixture-upstream-key"


def marked_processes(mark: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"TEST_MARK={mark}".encode() in (entry / "environ").read_bytes():
                    found.add(int(entry.name))
            except OSError:
                pass
    return found


def dashboard_on(tmp_path: Path, upstream: UpstreamServer, binary: str, **extra_env: str) -> AmuxApp:
    """A dashboard in a fresh HOME whose one provider is ``upstream`` (key from ``$UP_KEY``), finding the
    harness ``binary``, its sessions run in ``tmp_path/work``."""
    config = {"version": 1, "providers": {"local": {
        "type": "vllm", "api_base": upstream.base_url, "api_key": "${UP_KEY}", "models": ["fixture-model"],
        "default_model": "fixture-model"}}}
    (tmp_path / "providers.json").write_text(json.dumps(config))
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_STATE_HOME": str(home / ".local/state"),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_CONFIG_HOME": str(home / ".config"),
           "AMUX_HARNESS_BIN": str(Path(binary).parent), "UP_KEY": KEY, "TERM": "xterm-256color", **extra_env}
    app = AmuxApp(DashboardOptions(config_path=str(tmp_path / "providers.json"), env=env, detect_local=False))
    app.sessions.cwd = str(work)
    return app


async def open_trusted_claude_launcher(app: AmuxApp, pilot: Pilot) -> None:
    """Once Claude Code is in the inventory: the launch dialog for it on the fixture provider, with the
    folder trusted (past Claude Code's trust dialog, see test_ui_trust), ready to launch."""
    await wait_until(pilot, lambda: any(h.name == "claude" and h.installed for h in app.harness_catalog.known),
                     30, "the harness inventory")
    app._main_screen().open_launcher("local", "fixture-model", "claude")
    await wait_until(pilot, lambda: not app.screen.query_one("#launch").disabled, 30, "a launchable choice")
    app.screen.query_one("#launch-trust").value = True
    await wait_until(pilot, lambda: app.screen._preview.choice.trust_folder, 10, "the choice to trust")


@pytest.mark.harness
async def test_claude_code_in_a_tab_through_the_proxy(tmp_path):
    binary = require_binary("claude")
    mark = uuid.uuid4().hex
    async with UpstreamServer("openai-chat", [Reply(text="dashboard-answer-ok")], api_key=KEY) as upstream:
        app = dashboard_on(tmp_path, upstream, binary, TEST_MARK=mark, COLORTERM="truecolor")
        async with app.run_test(size=(120, 40)) as pilot:
            main = app._main_screen()
            await open_trusted_claude_launcher(app, pilot)
            assert "proxy" in str(app.screen.query_one("#launch-route").render())  # Claude speaks Anthropic only
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: main.session_pane_ids(), 30, "the session tab")
            pane = main.session_pane(main.session_pane_ids()[0])
            text = lambda: "\n".join(pane.terminal.terminal.screen.display)  # noqa: E731
            await wait_until(pilot, lambda: "❯" in text(), 90, "Claude Code's prompt")
            await asyncio.sleep(1.0)
            assert pane.send_prompt("say hi")
            await wait_until(pilot, lambda: "dashboard-answer-ok" in text(), 90, "the answer in the tab")

            await pilot.press("f7")
            panel = pane.query_one(TrafficPanel)
            await wait_until(pilot, lambda: any(r.status == 200 and not r.in_flight for r in panel.records), 30,
                             "the request in the traffic panel")
            assert "proxied" in str(pane.query_one("#status-line").render())

            pane.request_close()
            await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", 10, "the close question")
            await pilot.press("y")
            await wait_until(pilot, lambda: not main.session_pane_ids(), 30, "the tab to close")
            for _ in range(100):
                if not marked_processes(mark):
                    break
                await asyncio.sleep(0.1)
            assert not marked_processes(mark), "processes of the closed session are still running"


@pytest.mark.harness
async def test_after_claude_code_exits_the_tab_says_how_to_resume_it_with_amux(tmp_path):
    binary = require_binary("claude")
    async with UpstreamServer("openai-chat", [Reply(text="resume-answer-ok")], api_key=KEY) as upstream:
        app = dashboard_on(tmp_path, upstream, binary)
        async with app.run_test(size=(120, 40)) as pilot:
            main = app._main_screen()
            await open_trusted_claude_launcher(app, pilot)
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: main.session_pane_ids(), 30, "the session tab")
            pane = main.session_pane(main.session_pane_ids()[0])
            text = lambda: "\n".join(pane.terminal.terminal.screen.display)  # noqa: E731
            await wait_until(pilot, lambda: "❯" in text(), 90, "Claude Code's prompt")
            await asyncio.sleep(1.0)
            assert pane.send_prompt("say hi")
            await wait_until(pilot, lambda: "resume-answer-ok" in text(), 90, "the answer in the tab")
            await asyncio.sleep(0.5)
            assert pane.send_prompt("/exit")
            await wait_until(pilot, lambda: not pane.session.running, 60, "Claude Code to exit")
            notices = lambda: [n.message for n in app._notifications if "resume it with" in n.message]  # noqa: E731
            await wait_until(pilot, lambda: notices(), 10, "the resume notice")
            command = notices()[0].split("resume it with: ", 1)[1].split()
            assert command[:3] == ["amux", "launch", "claude"] and "--with-proxy" in command
            session_id = command[command.index("--resume") + 1]
            transcripts = tmp_path / "home" / ".local/state/amux/homes/claude"
            assert list(transcripts.glob(f"projects/*/{session_id}.jsonl"))
