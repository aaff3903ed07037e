"""The launch dialog's "trust this folder": checked when amux already trusts the folder, else
unchecked (the harness asks); ticking it records the folder and pre-accepts the harness's trust
prompt. Real parts: the dashboard under Pilot, a fixture upstream, amux's proxy and, where marked,
the real Gemini CLI (which refuses to run headless in an untrusted folder)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import wait_until  # noqa: E402
from harness_bins import require_binary  # noqa: E402
from test_ui_flows import SIZE, make_app, terminal_text, write_config  # noqa: E402
from upstreams import Reply, UpstreamServer  # noqa: E402

from amux_tui.harnesses.trust import trust, trusted_dirs  # noqa: E402
from amux_tui.ui.widgets.check import Check  # noqa: E402


def dashboard_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "UP_KEY": "upstream-key", "TERM": "xterm-256color", **extra}


async def open_launcher(pilot, harness: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.harness_catalog.known, what="harness inventory")
    app._main_screen().open_launcher("up", "fixture-model", harness)
    await wait_until(pilot, lambda: not app.screen.query_one("#launch").disabled, what="a launchable choice")


def route_text(app) -> str:
    return str(app.screen.query_one("#launch-route").render())


async def test_the_checkbox_starts_as_amux_trusts_the_folder(tmp_path, monkeypatch):
    trusted, untrusted = tmp_path / "trusted" / "sub", tmp_path / "untrusted"
    trusted.mkdir(parents=True), untrusted.mkdir()
    env = dashboard_env(tmp_path)
    trust(tmp_path / "trusted", env)
    async with UpstreamServer("openai-chat") as upstream:
        config = write_config(tmp_path, upstream)
        for folder, expected in ((trusted, True), (untrusted, False)):
            monkeypatch.chdir(folder)
            app = make_app(config, env)
            async with app.run_test(size=SIZE) as pilot:
                await open_launcher(pilot, "shell")
                box = app.screen.query_one("#launch-trust")
                assert isinstance(box, Check)  # reads [x]/[ ] without colour, as "always proxy"
                await wait_until(pilot, lambda: box.value is expected and box.value == app.screen._preview.choice
                                 .trust_folder, what=f"the checkbox {'checked' if expected else 'unchecked'}")
                assert ("asks whether to trust" in route_text(app)) is (not expected)


async def test_ticking_trust_records_the_folder_and_gemini_runs_headless(tmp_path, monkeypatch):
    binary = require_binary("gemini")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    env = dashboard_env(tmp_path, AMUX_HARNESS_BIN=str(Path(binary).parent))
    async with UpstreamServer("openai-chat", script=[Reply(text="dashboard-trusted-answer")]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=SIZE) as pilot:
            await open_launcher(pilot, "gemini")
            screen = app.screen
            screen.query_one("#launch-args").value = "-p hi"
            screen.query_one("#launch-always-proxy").value = True
            box = screen.query_one("#launch-trust")
            assert box.value is False
            box.value = True
            await wait_until(pilot, lambda: screen._preview is not None and screen._preview.choice.trust_folder,
                             what="the choice to trust")
            main = app._main_screen()
            before = set(main.session_pane_ids())
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: set(main.session_pane_ids()) - before, what="a new session tab")
            pane = main.session_pane((set(main.session_pane_ids()) - before).pop())
            assert pane.session.plan.trust_preaccepted is True
            await wait_until(pilot, lambda: "dashboard-trusted-answer" in terminal_text(pane), timeout=120,
                             what="Gemini CLI's answer")
    assert trusted_dirs(env) == [work.resolve()]
    assert json.loads((tmp_path / "state" / "amux" / "trust.json").read_text())["trusted_dirs"] == [str(work.resolve())]
