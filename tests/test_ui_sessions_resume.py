"""Resume of a real Claude Code / Codex session after the dashboard restarted: the first dashboard
runs the interactive TUI against a local upstream and quits; the second lists the session under
Sessions and resumes it with the harness's own resume; the resumed prompt reaches the upstream with
the first turn's context."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import wait_until  # noqa: E402
from harness_bins import require_binary  # noqa: E402
from upstreams import RecordedRequest, Reply, UpstreamServer  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

pytestmark = pytest.mark.harness
KEY = "sk-fixture-Upstream-Key-0123456789"
READY = {"claude": "❯", "codex": "›"}
SIZE = (120, 40)


def answer(record: RecordedRequest) -> Reply:
    if b"Which word was it" in record.body:
        return Reply(text="It was PINEAPPLE-51.")
    if b"Remember the word" in record.body:
        return Reply(text="Noted: the word is PINEAPPLE-51.")
    return Reply(text="A title")  # side requests: titles, summaries


def screen(pane) -> str:  # noqa: ANN001
    return "\n".join(pane.terminal.terminal.screen.display)


async def type_prompt(pilot, pane, text: str) -> None:  # noqa: ANN001
    pane.terminal.send_text(text)
    await pilot.pause(0.5)
    pane.terminal.send_text("\r")


@pytest.mark.parametrize("harness,fmt", [("claude", "anthropic-messages"), ("codex", "openai-responses")])
async def test_a_real_session_resumes_after_the_dashboard_restarted(harness, fmt, tmp_path):
    binary = require_binary(harness)
    async with UpstreamServer(fmt, answer, api_key=KEY) as upstream:
        config = tmp_path / "providers.json"
        config.write_text(json.dumps({"version": 1, "default_provider": "up", "providers": {"up": {
            "type": "vllm", "api_base": upstream.base_url, "api_key": KEY, "api_format": fmt,
            "models": ["fixture-model"], "default_model": "fixture-model"}}}))
        work = tmp_path / "work"
        work.mkdir()
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "AMUX_STATE_DIR": str(tmp_path / "state"),
               "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
               "AMUX_HARNESS_BIN": str(Path(binary).parent), "TERM": "xterm-256color", "COLORTERM": "truecolor"}

        def make_app() -> AmuxApp:
            app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False))
            app.sessions.cwd = str(work)
            return app

        from amux_tui.ui.backend.sessions import LaunchChoice

        first = make_app()
        async with first.run_test(size=SIZE) as pilot:
            main = first._main_screen()
            await wait_until(pilot, lambda: first.harness_catalog.known, timeout=60, what="the harness inventory")
            await wait_until(pilot, lambda: first.registry.get("up") is not None, what="providers")
            main.launch(first.sessions.preview(LaunchChoice(harness, first.registry.get("up"), "fixture-model",
                                                            trust_folder=True)))
            await wait_until(pilot, lambda: main.session_pane_ids(), what="the session tab")
            pane = main.session_pane(main.session_pane_ids()[0])
            await wait_until(pilot, lambda: READY[harness] in screen(pane), timeout=90, what="the harness prompt")
            await pilot.pause(1.0)
            await type_prompt(pilot, pane, "Remember the word PINEAPPLE-51.")
            await wait_until(pilot, lambda: "Noted: the word is PINEAPPLE-51." in screen(pane), timeout=90,
                             what="the first answer")
            await first.action_quit()

        second = make_app()
        async with second.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: second.earlier_sessions, timeout=60, what="the earlier session")
            await wait_until(pilot, lambda: second.harness_catalog.known, timeout=60, what="the harness inventory")
            [record] = second.earlier_sessions
            assert record.harness == harness and record.harness_session_id, record
            main = second._main_screen()
            main.activate("earlier")
            await wait_until(pilot, lambda: "earlier-table" in {w.id for w in second.screen.query("*")},
                             what="the Sessions tab")
            second.screen.query_one("#earlier-table").focus()
            await pilot.press("r")
            await wait_until(pilot, lambda: main.session_pane_ids(), timeout=30, what="the resumed session's tab")
            pane = main.session_pane(main.session_pane_ids()[0])
            await wait_until(pilot, lambda: READY[harness] in screen(pane), timeout=90, what="the resumed prompt")
            await pilot.pause(1.0)
            await type_prompt(pilot, pane, "Which word was it?")
            await wait_until(pilot, lambda: "It was PINEAPPLE-51." in screen(pane), timeout=90, what="the answer")
            await second.action_quit()
        asked = [r for r in upstream.requests if r.method == "POST" and b"Which word was it" in r.body]
    assert asked, "the resumed prompt never reached the upstream"
    assert any(b"Noted: the word is PINEAPPLE-51." in r.body for r in asked), "the first turn did not come along"
