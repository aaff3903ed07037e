"""PtySession with real PTYs: environment, size, input, exit status, and no survivors."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amux_tui.terminal.pty_session import PtySession

FIXTURES = Path(__file__).parent / "fixtures" / "terminal"


class Output:
    """Collects a session's output and waits (bounded) for a pattern in it."""

    def __init__(self, session: PtySession) -> None:
        self.data = bytearray()
        self.changed = asyncio.Event()
        session.on_output = self.add

    def add(self, data: bytes) -> None:
        self.data += data
        self.changed.set()

    @property
    def text(self) -> str:
        return self.data.decode(errors="replace")

    async def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        async def poll() -> re.Match[str]:
            while True:
                match = re.search(pattern, self.text)
                if match:
                    return match
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(poll(), timeout)


def gone(pid: int) -> bool:
    """No process and no zombie with this pid."""
    return not os.path.exists(f"/proc/{pid}")


async def wait_gone(pids: list[int], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not all(gone(pid) for pid in pids):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


async def test_environment_cwd_and_process_group(tmp_path: Path) -> None:
    session = PtySession(
        python(str(FIXTURES / "report_env.py")),
        env={"AMUX_TEST_VALUE": "hello", "AMUX_TEST_UNSET": None},
        cwd=tmp_path, columns=100, lines=30,
    )
    out = Output(session)
    session.start()
    try:
        await out.wait_for(r"SIZE \d+x\d+")
        assert "ENV TERM=xterm-256color" in out.text
        assert "ENV COLORTERM=truecolor" in out.text
        assert "ENV TERM_PROGRAM=amux" in out.text
        assert "ENV AMUX_TEST_VALUE=hello" in out.text
        assert "ENV AMUX_TEST_UNSET=<unset>" in out.text
        assert f"CWD {tmp_path}" in out.text
        assert "PGID True SID True" in out.text
        assert "SIZE 100x30" in out.text
        session.resize(132, 40)
        await out.wait_for(r"SIZE 132x40")
    finally:
        await session.close()


@pytest.mark.parametrize(("code", "expected"), [("0", 0), ("3", 3)])
async def test_exit_status(code: str, expected: int) -> None:
    session = PtySession(python("-c", f"print('bye'); raise SystemExit({code})"))
    out = Output(session)
    exits: list[int] = []
    session.on_exit = exits.append
    session.start()
    assert await asyncio.wait_for(session.wait(), 15) == expected
    assert exits == [expected]
    assert "bye" in out.text  # output written just before exit is not lost
    assert not session.running
    assert await session.close() == expected


async def test_killed_by_signal_reports_negative_signal() -> None:
    session = PtySession(python("-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))
    session.start()
    assert await asyncio.wait_for(session.wait(), 15) == -9
    await session.close()


async def test_large_input_arrives_complete_and_in_order() -> None:
    size = 300_000
    session = PtySession(python(str(FIXTURES / "count_input.py"), str(size)))
    out = Output(session)
    session.start()
    try:
        await out.wait_for("READY")
        payload = bytes((n * 7 + n // 251) % 256 for n in range(size))
        for start in range(0, size, 50_000):
            session.write(payload[start:start + 50_000])
        match = await out.wait_for(r"GOT (\d+) ([0-9a-f]{64})", timeout=30)
        assert int(match.group(1)) == size
        assert match.group(2) == hashlib.sha256(payload).hexdigest()
    finally:
        await session.close()


async def test_close_ends_the_whole_tree_without_zombies() -> None:
    session = PtySession(python(str(FIXTURES / "spawn_tree.py"), "wait"))
    out = Output(session)
    session.start()
    match = await out.wait_for(r"PIDS (\d+) (\d+) (\d+) (\d+)")
    pids = [int(pid) for pid in match.groups()]
    assert not any(gone(pid) for pid in pids)
    code = await asyncio.wait_for(session.close(grace=0.3), 20)
    assert code is not None and code < 0  # ended by a signal
    assert all(gone(pid) for pid in [session.pid, *pids])


async def test_leftovers_end_when_the_program_exits_by_itself() -> None:
    session = PtySession(python(str(FIXTURES / "spawn_tree.py"), "exit"))
    out = Output(session)
    session.start()
    match = await out.wait_for(r"PIDS (\d+) (\d+) (\d+) (\d+)")
    pids = [int(pid) for pid in match.groups()]
    assert await asyncio.wait_for(session.wait(), 15) == 0
    await wait_gone([session.pid, *pids], timeout=15)
    await session.close()


async def test_close_twice_and_write_after_exit_are_harmless() -> None:
    session = PtySession(python("-c", "pass"))
    session.start()
    await asyncio.wait_for(session.wait(), 15)
    session.write(b"ignored")
    first, second = await asyncio.gather(session.close(), session.close())
    assert first == second == 0
    session.write("still ignored")


async def test_missing_command_is_a_clear_error() -> None:
    session = PtySession(["amux-no-such-command-xyz"])
    with pytest.raises(FileNotFoundError, match="amux-no-such-command-xyz"):
        session.start()


def test_sessions_left_open_are_killed_when_python_exits(tmp_path: Path) -> None:
    """If an app ends without close(), the atexit net still ends the session's group."""
    script = (
        "import asyncio, sys\n"
        "from amux_tui.terminal import PtySession\n"
        "KEEP = []\n"
        "async def main():\n"
        "    # Ignores SIGHUP, so closing the PTY at exit would not end it: only the net does.\n"
        "    session = PtySession(['sh', '-c', 'trap \"\" HUP; exec sleep 300'])\n"
        "    session.start()\n"
        "    KEEP.append(session)\n"
        "    await asyncio.sleep(0.3)\n"
        "    print(session.pid, flush=True)\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    pid = int(done.stdout.split()[0])
    for _ in range(100):
        if gone(pid) or _is_zombie(pid):
            break
        time.sleep(0.05)
    assert gone(pid) or _is_zombie(pid)  # a zombie here is init's to reap, not running


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
