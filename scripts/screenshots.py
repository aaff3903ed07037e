"""Draw the README's screenshots from the real dashboard.

The app runs against a temporary providers.json whose providers are local fixture servers on
127.0.0.1 (tests/fixtures/ui/world.py: a healthy OpenRouter-style server, an Anthropic one that
refuses the key, an Ollama, a chat model, one that is down, one reached only through LiteLLM),
and each picture is taken after driving the app as a person would. The split and traffic pictures
run the real Claude Code and Codex CLIs through amux's proxy to the fixture model, when their
binaries are found (``$AMUX_HARNESS_BIN``, ``.cache/harnesses/node_modules/.bin`` or ``PATH``, as
the tests look for them); otherwise a small chat client stands in, and the script says so. The
compare and changes pictures run two proxied sessions, each in its own worktree of a small repository.

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


GIT_ENV = {"GIT_AUTHOR_NAME": "amux", "GIT_AUTHOR_EMAIL": "amux@example.com", "GIT_COMMITTER_NAME": "amux",
           "GIT_COMMITTER_EMAIL": "amux@example.com", "GIT_AUTHOR_DATE": "2026-01-02T03:04:05+00:00",
           "GIT_COMMITTER_DATE": "2026-01-02T03:04:05+00:00", "GIT_CONFIG_GLOBAL": "/dev/null"}
EDITS = {
    "router": "printf \"def greet(name):\\n    return f'hello {name}!'\\n\" > app.py; printf '# greeter\\n' > NOTES.md",
    "chat": "printf \"def greet(name):\\n    return 'hello, ' + name.title()\\n\\n\\ndef test_greet():\\n"
            "    assert greet('ada') == 'hello, Ada'\\n\" > app.py",
}


def numbered_worktree_names() -> None:
    """Worktree names numbered instead of random: the pictures change when the UI does, not every run."""
    import itertools

    from amux_tui.worktrees import worktree

    numbers = itertools.count(1)
    worktree.new_name = lambda harness: f"{harness}-{next(numbers)}"


def make_repository(folder: Path) -> Path:
    """A small git repository the review pictures' sessions work on (fixed dates: stable hashes)."""
    import os
    import subprocess

    repo = folder / "greeter"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "app.py").write_text("def greet(name):\n    return 'hello ' + name\n")
    env = {**os.environ, **GIT_ENV}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "greeter"]):
        subprocess.run(["git", "-C", str(repo), *command], env=env, check=True)
    return repo


async def worktree_sessions(pilot) -> None:
    """The same task for two providers, each session in its own worktree, through amux's proxy."""
    import shlex

    from amux_tui.ui.backend.sessions import LaunchChoice

    app = pilot.app
    main = app._main_screen()
    await drive.settled(pilot)
    for provider, model in (("router", "qwen/qwen3-coder"), ("chat", "coder-7b")):
        before = set(main.session_pane_ids())
        ask = shlex.join([sys.executable, str(world.CHAT_CLIENT), "make greet() friendlier", "--once"])
        choice = LaunchChoice("shell", app.registry.get(provider), model, ("sh", "-c", f"{ask}; {EDITS[provider]}"),
                              always_proxy=True, worktree=True)
        main.launch(app.sessions.preview(choice))
        await drive.wait_until(pilot, lambda: set(main.session_pane_ids()) - before)
        pane = main.session_pane((set(main.session_pane_ids()) - before).pop())
        await drive.wait_until(pilot, lambda pane=pane: not pane.session.running, timeout=30)
    main.broadcast_ids = list(main.session_pane_ids())
    app.clear_notifications()


async def compare(pilot) -> None:
    await worktree_sessions(pilot)
    await pilot.press("f9")
    app = pilot.app
    await drive.wait_until(pilot, lambda: [app.screen.query_one("#compare-table").get_row_at(n)[7]
                                           for n in range(2)] == ["2", "1"])
    app.clear_notifications()
    drive.steady(pilot)


async def changes(pilot) -> None:
    await worktree_sessions(pilot)
    app = pilot.app
    app._main_screen().activate(app._main_screen().session_pane_ids()[0])
    await pilot.press("f5")
    await drive.wait_until(pilot, lambda: app.screen.query_one("#changes-files").row_count == 2)
    await pilot.press("down")  # app.py
    await drive.wait_until(pilot, lambda: "app.py" in app.screen.query_one("#changes-diff").source)
    app.clear_notifications()
    drive.steady(pilot)


PICTURES = {
    "providers": (providers, (100, 30)),
    "models": (models, (100, 30)),
    "sessions-split": (sessions, (120, 32)),
    "traffic": (traffic, (120, 32)),
    "traffic-detail": (traffic_detail, (120, 32)),
    "ollama-pull": (ollama_pull, (100, 30)),
    "compare": (compare, (120, 32)),
    "changes": (changes, (120, 32)),
}
REVIEW = {"compare", "changes"}
"""Pictures whose dashboard runs in a git repository (its sessions get worktrees)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not AGENTS_BIN:
        print("note: claude/codex not found: the session pictures use a chat client (see the docstring)")
    numbered_worktree_names()
    # A short, fixed working directory: the agents show it in their banners.
    project = Path(tempfile.gettempdir()) / "amux-demo" / "project"
    with world.fixture_servers(), tempfile.TemporaryDirectory() as tmp:
        for name, (run_before, size) in PICTURES.items():
            config = world.write_config(Path(tmp))
            if name in REVIEW:  # a price for the chat model, as a private deployment would configure
                import json

                data = json.loads(config.read_text())
                data["providers"]["chat"]["pricing"] = {"input": 0.2, "output": 0.6}
                config.write_text(json.dumps(data))
            home = Path(tmp) / name
            env = dict(world.ENV, XDG_STATE_HOME=str(home / "state"))
            if AGENTS_BIN:
                env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
                           PATH=os.environ.get("PATH", "/usr/bin:/bin"), AMUX_HARNESS_BIN=AGENTS_BIN,
                           TERM="xterm-256color", COLORTERM="truecolor")
            # Generated ids and timestamps masked: the pictures change when the UI does, not on every run.
            env.update(GIT_ENV, AMUX_STATE_DIR=str(Path(tmp) / f"state-{name}"))
            app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False,
                                           traffic_text=world.masked_ids,
                                           harness_search_path=None if AGENTS_BIN else "/usr/bin:/bin"))
            shutil.rmtree(project.parent, ignore_errors=True)
            project.mkdir(parents=True)
            # Only the review pictures' launches get worktrees: the other dashboards' directory is no repository.
            app.sessions.cwd = str(make_repository(home) if name in REVIEW else project)
            svg = take_svg_screenshot(app=app, terminal_size=size, run_before=run_before)
            (out / f"{name}.svg").write_text(svg, encoding="utf-8")
            print(f"wrote {out / f'{name}.svg'}")
    shutil.rmtree(project.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
