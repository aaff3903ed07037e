"""`amux` (the dashboard) as a real process in a real pseudo-terminal: a session launched with the
keys a person would press, then SIGTERM to amux. It must exit, end every process of the session
(the shell and what it started in the background), and put the terminal back: leave the
alternate screen, stop mouse reporting, show the cursor."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path

import ptyprocess
import pyte

sys.path.insert(0, str(Path(__file__).resolve().parent))

from upstreams import UpstreamServer  # noqa: E402

ROWS, COLUMNS = 30, 120
F2, CTRL_L = b"\x1bOQ", b"\x0c"
RESTORES = {
    "leaves the alternate screen": b"\x1b[?1049l",
    "stops mouse reporting": b"\x1b[?1000l",
    "shows the cursor": b"\x1b[?25h",
}


def marked_processes(mark: str) -> dict[int, str]:
    """Processes whose environment holds TEST_MARK=mark (amux and everything it started): pid -> argv."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"TEST_MARK={mark}".encode() in (entry / "environ").read_bytes():
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                pass
    return found


class Terminal:
    """The PTY's output, read without blocking the event loop (the upstream server runs in it), and
    the screen it draws (pyte), for waiting on what a person would see."""

    def __init__(self, child: ptyprocess.PtyProcess):
        self.child = child
        self.output = bytearray()
        self.closed = asyncio.Event()
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self._stream = pyte.ByteStream(self.screen)
        asyncio.get_running_loop().add_reader(child.fd, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.child.fd, 65536)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.child.fd)
            self.closed.set()
            return
        self.output += data
        self._stream.feed(data)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, predicate, what: str, timeout: float = 30.0) -> None:
        async def poll() -> None:
            while not predicate():
                await asyncio.sleep(0.05)

        try:
            await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.text}") from None


def spawn_dashboard(tmp_path: Path, upstream: UpstreamServer, mark: str, **state_env: str):
    """A real `amux` dashboard in a real PTY, its one provider the fixture ``upstream``; every process of
    its sessions carries ``TEST_MARK=mark``. Returns (config path, environment, child, terminal)."""
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"version": 1, "default_provider": "local", "providers": {
        "local": {"type": "vllm", "api_base": upstream.base_url, "models": ["m"], "default_model": "m"}}}))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "TERM": "xterm-256color", "SHELL": "/bin/sh", "TEST_MARK": mark, **state_env}
    child = ptyprocess.PtyProcess.spawn([sys.executable, "-m", "amux_tui.cli", "--config", str(config)],
                                        env=env, cwd=str(tmp_path), dimensions=(ROWS, COLUMNS))
    return config, env, child, Terminal(child)


async def open_shell_session(child: ptyprocess.PtyProcess, terminal: Terminal) -> None:
    """On a `spawn_dashboard` dashboard: F2 opens the launch dialog (the shell, direct), ctrl+l starts
    it; returns at the shell's prompt in its tab."""
    await terminal.wait_for(lambda: "local *" in terminal.text, "the providers table")
    child.write(F2)
    await terminal.wait_for(lambda: "runs direct" in terminal.text, "the launch dialog's route")
    child.write(CTRL_L)
    await terminal.wait_for(lambda: "1:shell" in terminal.text and any(
        line.strip() in ("$", "#") for line in terminal.screen.display), "the shell's prompt")


async def test_sigterm_ends_every_session_process_and_restores_the_terminal(tmp_path):
    mark = uuid.uuid4().hex
    async with UpstreamServer("openai-chat", api_key=None, models=["m"]) as upstream:
        _, _, child, terminal = spawn_dashboard(tmp_path, upstream, mark, XDG_STATE_HOME=str(tmp_path / "state"))
        try:
            await open_shell_session(child, terminal)
            child.write(b"sleep 300 &\r")
            await terminal.wait_for(lambda: any(argv.startswith("sleep 300") for argv in marked_processes(mark).values()),
                                    "the background sleep")
            session_processes = {pid for pid in marked_processes(mark) if pid != child.pid}
            assert len(session_processes) >= 2  # the shell and its sleep

            terminal.output.clear()
            os.kill(child.pid, signal.SIGTERM)
            await asyncio.wait_for(terminal.closed.wait(), 30)
            for _ in range(100):
                if child.isalive() or marked_processes(mark):
                    await asyncio.sleep(0.05)
            assert not child.isalive() and child.exitstatus == 0, (child.exitstatus, child.signalstatus)
            assert not marked_processes(mark), "left behind after SIGTERM"
            after = bytes(terminal.output)
            missing = [what for what, sequence in RESTORES.items() if sequence not in after]
            assert not missing, f"on SIGTERM amux did not: {missing}; it wrote {after[-400:]!r}"
        finally:
            if child.isalive():
                child.terminate(force=True)
            for pid in marked_processes(mark):
                os.kill(pid, signal.SIGKILL)
