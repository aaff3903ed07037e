"""Hardening (issue 13, item 11): ``kill -9`` of amux leaves no session process running.

``amux launch`` and the dashboard end everything a session started when they exit, but SIGKILL runs
no clean-up: the harness, its children, setsid'd and TERM/HUP-ignoring ones all stayed. Now the
harness gets SIGTERM from the kernel when amux dies (PR_SET_PDEATHSIG) and a watchdog process
(`amux_tui.watchdog`) ends the rest and puts the terminal back (main screen, mouse tracking off).
Real processes throughout: amux launch, a PTY session in a child process, kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import secrets
import signal
import sys
import time
from pathlib import Path

from provider_servers import isolated_env
from upstreams import UpstreamServer

REPO = Path(__file__).resolve().parent.parent


def family(tag: str) -> str:
    """A session that starts: a plain child, a TERM/HUP-ignoring one, a setsid'd one ignoring both."""
    return (f"(trap '' TERM HUP; exec sleep 4272.{tag}) & "
            f"setsid sh -c \"trap '' TERM HUP; exec sleep 4271.{tag}\" & "
            f"exec sleep 4273.{tag}")


def running(tag: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
                state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if f".{tag}".encode() in cmdline and cmdline.startswith(b"sleep") and state != "Z":
                found.append(int(name))
    return found


async def wait_until(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return predicate()


async def test_kill_9_of_amux_launch_leaves_no_session_process(tmp_path):
    tag = str(secrets.randbelow(10**8))
    async with UpstreamServer("openai-chat") as up:
        config = tmp_path / "config" / "amux" / "providers.json"
        config.parent.mkdir(parents=True)
        config.write_text(json.dumps({"version": 1, "providers": {"fx": {
            "type": "openai", "api_base": up.base_url, "api_key": up.api_key, "api_format": "openai-chat"}}}))
        env = isolated_env(tmp_path, AMUX_STATE_DIR=str(tmp_path / "state"))
        errors = tmp_path / "stderr.txt"
        with errors.open("wb") as stderr:  # not a pipe: processes left running would hold it open
            amux = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "amux_tui.cli", "launch", "shell", "--provider", "fx", "--model",
                "fixture-model", "--", "sh", "-c", family(tag), env=env, cwd=REPO, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
        try:
            started = await wait_until(lambda: len(running(tag)) == 3 or amux.returncode is not None)
            assert started and amux.returncode is None, errors.read_text()
            amux.kill()
            await amux.wait()
            assert await wait_until(lambda: not running(tag)), f"left running: {running(tag)}"
        finally:
            for pid in running(tag):
                os.kill(pid, signal.SIGKILL)


CHILD = """
import asyncio, sys
from amux_tui.terminal.pty_session import PtySession

async def main():
    session = PtySession(["sh", "-c", sys.argv[1]])
    session.start()
    sys.stdout.write("\\x1b[?1049h\\x1b[?1003h\\x1b[?1006h")  # the dashboard's alternate screen and mouse
    sys.stdout.flush()
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_kill_9_of_a_pty_owner_ends_its_session_and_restores_the_terminal(tmp_path):
    """What the dashboard does (a `PtySession` per harness, in a terminal it switched to the alternate
    screen with mouse tracking), killed with SIGKILL."""
    tag = str(secrets.randbelow(10**8))
    master, slave = pty.openpty()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, family(tag), stdin=slave, stdout=slave, stderr=slave, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)
    os.close(slave)
    os.set_blocking(master, False)
    seen = bytearray()

    def drain() -> None:
        try:
            while chunk := os.read(master, 65536):
                seen.extend(chunk)
        except (BlockingIOError, OSError):
            pass

    try:
        assert await wait_until(lambda: len(running(tag)) == 3), running(tag)
        child.kill()
        await child.wait()
        assert await wait_until(lambda: not running(tag)), f"left running: {running(tag)}"
        assert await wait_until(lambda: (drain(), b"\x1b[?1049l" in seen)[1], timeout=10), bytes(seen)
        assert b"\x1b[?1003l" in seen and b"\x1b[?1006l" in seen
    finally:
        for pid in running(tag):
            os.kill(pid, signal.SIGKILL)
        os.close(master)
