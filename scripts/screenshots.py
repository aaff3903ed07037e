"""Draw the README's screenshots from the real dashboard.

The app runs against a temporary providers.json whose providers are local fixture servers on
127.0.0.1 (tests/fixtures/ui/world.py: a healthy OpenRouter-style server, an Anthropic one that
refuses the key, an Ollama, a chat model, one that is down, one reached only through LiteLLM),
and each picture is taken after driving the app as a person would.

    python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.ui import drive, world  # noqa: E402
from textual._doc import take_svg_screenshot  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402


async def providers(pilot) -> None:
    await drive.settled(pilot)


async def models(pilot) -> None:
    await drive.settled(pilot)
    await pilot.press("slash", *"q")
    drive.steady(pilot)


async def sessions(pilot) -> None:
    await drive.two_sessions_side_by_side(pilot)


async def traffic(pilot) -> None:
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
    with world.fixture_servers(), tempfile.TemporaryDirectory() as tmp:
        for name, (run_before, size) in PICTURES.items():
            config = world.write_config(Path(tmp))
            env = dict(world.ENV, XDG_STATE_HOME=str(Path(tmp) / "state"))
            # Generated ids and timestamps masked: the pictures change when the UI does, not on every run.
            app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False,
                                           traffic_text=world.masked_ids, harness_search_path="/usr/bin:/bin"))
            svg = take_svg_screenshot(app=app, terminal_size=size, run_before=run_before)
            (out / f"{name}.svg").write_text(svg, encoding="utf-8")
            print(f"wrote {out / f'{name}.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
