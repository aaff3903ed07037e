"""Draw the README's screenshots from the real dashboard.

The app runs against a temporary providers.json whose providers are local fixture servers on
127.0.0.1 (tests/fixtures/ui/world.py: a healthy OpenRouter-style server, an Anthropic one that
refuses the key, an Ollama, a chat model, one that is down, one reached only through LiteLLM),
and each picture is taken after driving the app as a person would. The split and traffic pictures
run the real Claude Code and Codex CLIs through amux's proxy to the fixture model, when their
binaries are found (``$AMUX_HARNESS_BIN``, ``.cache/harnesses/node_modules/.bin`` or ``PATH``, as
the tests look for them); otherwise a small chat client stands in, and the script says so.

    python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.ui import drive, world  # noqa: E402
from textual._doc import take_svg_screenshot  # noqa: E402

from harness_bins import find_binary  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

_AGENTS = [find_binary(name) for name in ("claude", "codex")]
AGENTS_BIN = str(Path(_AGENTS[0]).parent) if all(_AGENTS) else None
"""The directory of the real agent CLIs (None: the pictures use a chat client instead)."""


async def providers(pilot) -> None:
    await drive.settled(pilot)


async def models(pilot) -> None:
    await drive.settled(pilot)
    await pilot.press("slash", *"q")
    drive.steady(pilot)


async def sessions(pilot) -> None:
    if AGENTS_BIN:
        await drive.real_agents_side_by_side(pilot)
    else:
        await drive.two_sessions_side_by_side(pilot)


async def traffic(pilot) -> None:
    if AGENTS_BIN:
        await drive.real_agent_traffic(pilot)
    else:
        await drive.traffic_panel(pilot, open_detail=False)


async def traffic_detail(pilot) -> None:
    await drive.translated_request_detail(pilot)


async def ollama_pull(pilot) -> None:
    await drive.settled(pilot)
    await pilot.press("ctrl+right", "ctrl+right")
    app = pilot.app
    await drive.wait_until(pilot, lambda: app.screen.query_one("#ollama-models").row_count >= 2)
    await pilot.press("p", *"tinyllama", "enter")
    await drive.wait_until(pilot, lambda: "done" in str(app.screen.query_one("#pull-status").render()))


PICTURES = {
    "providers": (providers, (100, 30)),
    "models": (models, (100, 30)),
    "sessions-split": (sessions, (120, 32)),
    "traffic": (traffic, (120, 32)),
    "traffic-detail": (traffic_detail, (120, 32)),
    "ollama-pull": (ollama_pull, (100, 30)),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not AGENTS_BIN:
        print("note: claude/codex not found: the session pictures use a chat client (see the docstring)")
    # A short, fixed working directory: the agents show it in their banners.
    project = Path(tempfile.gettempdir()) / "amux-demo" / "project"
    with world.fixture_servers(), tempfile.TemporaryDirectory() as tmp:
        for name, (run_before, size) in PICTURES.items():
            config = world.write_config(Path(tmp))
            home = Path(tmp) / name
            env = dict(world.ENV, XDG_STATE_HOME=str(home / "state"))
            if AGENTS_BIN:
                env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
                           PATH=os.environ.get("PATH", "/usr/bin:/bin"), AMUX_HARNESS_BIN=AGENTS_BIN,
                           TERM="xterm-256color", COLORTERM="truecolor")
            # Generated ids and timestamps masked: the pictures change when the UI does, not on every run.
            app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False,
                                           traffic_text=world.masked_ids,
                                           harness_search_path=None if AGENTS_BIN else "/usr/bin:/bin"))
            shutil.rmtree(project.parent, ignore_errors=True)
            project.mkdir(parents=True)
            app.sessions.cwd = str(project)
            svg = take_svg_screenshot(app=app, terminal_size=size, run_before=run_before)
            (out / f"{name}.svg").write_text(svg, encoding="utf-8")
            print(f"wrote {out / f'{name}.svg'}")
    shutil.rmtree(project.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
