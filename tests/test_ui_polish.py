"""Small things a first-time user meets: a checkbox that reads without colour, a one-line status in
a narrow split pane, a footer that drops whole keys (most important kept), a header icon every font
has, one proxy confirmation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import wait_until  # noqa: E402
from fixtures.ui.screen_text import screen_text  # noqa: E402
from test_ui_flows import CHAT_CLIENT, launch_shell, make_app, write_config  # noqa: E402
from upstreams import Reply, UpstreamServer  # noqa: E402

from amux_tui.ui.widgets.check import Check  # noqa: E402
from amux_tui.ui.widgets.key_bar import KeyBar  # noqa: E402
from amux_tui.ui.widgets.sessions.status_line import StatusLine  # noqa: E402


@pytest.fixture
def env(tmp_path):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "UP_KEY": "upstream-key", "TERM": "xterm-256color"}


class OneCheck(App):
    def compose(self) -> ComposeResult:
        yield Check("always proxy", id="check")


async def test_checkbox_states_differ_in_text_not_only_colour():
    app = OneCheck()
    async with app.run_test(size=(30, 3)) as pilot:
        off = screen_text(app)
        await pilot.press("space")  # focused first: space toggles it
        await pilot.pause()
        on = screen_text(app)
    assert "[ ] always proxy" in off and "[x] always proxy" in on


async def test_at_80x24_split_status_lines_stay_on_one_line_and_the_footer_keeps_whole_keys(tmp_path, env):
    async with UpstreamServer("openai-chat", script=[Reply(text="one"), Reply(text="two")]) as upstream:
        app = make_app(write_config(tmp_path, upstream), env)
        async with app.run_test(size=(80, 24)) as pilot:
            text = screen_text(app)
            assert "◆" in text.splitlines()[0] and "⭘" not in text  # a glyph every terminal font has
            main = app._main_screen()
            for prompt in ("a", "b"):
                await launch_shell(pilot, [sys.executable, str(CHAT_CLIENT), prompt], always_proxy=True)
            await pilot.press("f4")
            await wait_until(pilot, lambda: len(main.split_panes) == 2, what="split view")
            for line in main.query(StatusLine):
                await wait_until(pilot, lambda line=line: "proxied" in str(line.render()) or
                                 line.size.width < 40, what="a status")
                assert line.size.height == 1
                rendered = str(line.render())
                assert "\n" not in rendered and len(rendered) <= line.content_region.width
                assert not rendered.rstrip().endswith(("/", "·"))  # whole parts only ("55 / ms" was cut)
            bar = main.query_one(KeyBar)
            footer = screen_text(app).splitlines()[-1]
            assert "…" not in footer
            descriptions = [entry.description for entry in bar.shown]
            for key in ("Launch", "Broadcast", "Split"):
                assert key in descriptions and key in footer
