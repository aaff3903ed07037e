"""The real interactive TUIs (Claude Code, Codex, Gemini CLI) inside TerminalView.

Each runs headless in a Textual pilot, in a PTY, against a local upstream on
127.0.0.1 (tests/upstreams.py) with a temporary HOME, so nothing touches the
user's own configuration. The test waits for the TUI's prompt, types a line,
checks it shows, sends it, checks the upstream's answer shows, then closes the
view and checks no process of the session survives (Codex leaves an
``app-server`` daemon behind unless its whole tree is ended).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from amux_tui.terminal.pty_session import SESSION_MARKER
from amux_tui.ui.terminal_view import TerminalView
from harness_bins import require_binary
from upstreams import Reply, UpstreamServer

pytestmark = pytest.mark.harness

ANSWER = "amux terminal answer 42"
TYPED = "say hi to the terminal"
TIMEOUT = 90.0


class HarnessApp(App):
    def __init__(self, view: TerminalView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield self.view

    def on_mount(self) -> None:
        self.view.focus()


def screen_text(view: TerminalView) -> str:
    screen = view.terminal.screen
    return "\n".join([*screen.history_text(), *(line.rstrip() for line in screen.display)])


async def until(view: TerminalView, pattern: str, timeout: float = TIMEOUT) -> None:
    async def poll() -> None:
        while not re.search(pattern, screen_text(view)):
            if view.terminal.exit_code is not None:
                raise AssertionError(f"exited with {view.terminal.exit_code}:\n{screen_text(view)}")
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"{pattern!r} never showed; the screen:\n{screen_text(view)}") from None


def marked_processes(marker: str) -> list[int]:
    """Processes (not zombies) whose environment carries a session's marker."""
    found = []
    needle = f"{SESSION_MARKER}={marker}".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as handle:
                if needle in handle.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            continue
    return found


def claude_launch(binary: str, up: UpstreamServer, home: Path, work: Path) -> tuple[list[str], dict[str, str]]:
    config = home / ".claude-config"
    config.mkdir()
    seeded = {"hasCompletedOnboarding": True, "projects": {str(work): {"hasTrustDialogAccepted": True}}}
    (config / ".claude.json").write_text(json.dumps(seeded))
    env = {
        "ANTHROPIC_BASE_URL": up.root_url,
        "ANTHROPIC_AUTH_TOKEN": "fixture-token",
        "ANTHROPIC_API_KEY": None,
        "ANTHROPIC_MODEL": "fixture-model",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CONFIG_DIR": str(config),
    }
    return [binary], env


def codex_launch(binary: str, up: UpstreamServer, home: Path, work: Path) -> tuple[list[str], dict[str, str]]:
    codex_home = home / ".codex"
    codex_home.mkdir()
    argv = [
        binary,
        "-c", "model_provider=amuxtest",
        "-c", 'model_providers.amuxtest.name="amuxtest"',
        "-c", f'model_providers.amuxtest.base_url="{up.base_url}"',
        "-c", 'model_providers.amuxtest.env_key="AMUX_TEST_CODEX_KEY"',
        "-c", 'model_providers.amuxtest.wire_api="responses"',
        "-m", "fixture-model",
    ]
    return argv, {"CODEX_HOME": str(codex_home), "AMUX_TEST_CODEX_KEY": "fixture-key", "OPENAI_API_KEY": None}


def gemini_launch(binary: str, up: UpstreamServer, home: Path, work: Path) -> tuple[list[str], dict[str, str]]:
    settings = home / ".gemini"
    settings.mkdir()
    (settings / "settings.json").write_text(json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    env = {
        "GEMINI_API_KEY": "fixture-key",
        "GOOGLE_GEMINI_BASE_URL": up.root_url,
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
        "GOOGLE_API_KEY": None,
        # As amux's Gemini adapter does: with CI set (as in CI runs) Gemini CLI's TUI exits at once.
        "CI": None,
    }
    return [binary, "-m", "fixture-model"], env


HARNESSES = {
    # name: (protocol of the upstream, launch, what its ready prompt shows)
    "claude": ("anthropic-messages", claude_launch, r"❯"),
    "codex": ("openai-responses", codex_launch, r"›"),
    "gemini": ("gemini", gemini_launch, r"Type your message"),
}


@pytest.mark.parametrize("name", sorted(HARNESSES))
async def test_real_tui_reaches_prompt_takes_input_and_answers(name: str, tmp_path: Path) -> None:
    binary = require_binary(name)
    protocol, launch, prompt = HARNESSES[name]
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    async with UpstreamServer(protocol, script=[Reply(text=ANSWER)], api_key=None) as up:
        argv, env = launch(binary, up, home, work)
        env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), **env}
        view = TerminalView(argv, env=env, cwd=work)
        marker = view.terminal.session.env[SESSION_MARKER]
        app = HarnessApp(view)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(view, prompt)
            await pilot.press(*TYPED)
            await until(view, re.escape(TYPED))
            await pilot.press("enter")
            await until(view, re.escape(ANSWER))
            assert up.requests, "the TUI never called the upstream"
            await asyncio.wait_for(view.close(), 30)
            assert marked_processes(marker) == []
        assert marked_processes(marker) == []
