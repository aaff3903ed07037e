"""The watchdog (issue 13, item 11) never ends a process group that is not amux's: when a watched
session's first process is gone and its pid now names another process (pid reuse), that process's
group and session are not the session's. Real processes: the watchdog module and a setsid'd sleeper."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from amux_tui import processes

REPO = Path(__file__).resolve().parent.parent


def test_a_reused_pid_names_a_group_the_watchdog_leaves_alone():
    # The situation after reuse: amux recorded pid P started at S; P now names a process started later.
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        info = processes.read_process(stranger.pid)
        assert info is not None and info.pgid == info.sid == stranger.pid
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        watchdog = subprocess.Popen([sys.executable, "-m", "amux_tui.watchdog", "-"], stdin=subprocess.PIPE, env=env)
        assert watchdog.stdin is not None
        watchdog.stdin.write(f"watch {stranger.pid} {info.start_time - 1} -\n".encode())
        watchdog.stdin.close()  # amux "died": the pipe ends without 'bye'
        assert watchdog.wait(timeout=30) == 0
        assert stranger.poll() is None, "the watchdog ended a process that only reused a watched pid"
    finally:
        stranger.kill()
        stranger.wait()


def test_the_watchdog_leaves_with_amux_after_a_normal_exit():
    # A process that runs a PTY session to its end and exits normally, as the dashboard does.
    script = (
        "import asyncio, sys\n"
        "from amux_tui import watchdog\n"
        "from amux_tui.terminal.pty_session import PtySession\n"
        "async def main():\n"
        "    session = PtySession(['sh', '-c', 'exit 0'])\n"
        "    session.start()\n"
        "    await asyncio.wait_for(session.wait(), 15)\n"
        "    await session.close()\n"
        "    print(watchdog.own_pid(), flush=True)\n"
        "asyncio.run(main())\n")
    run = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(REPO)},
                         capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr
    pid = int(run.stdout.split()[-1])
    deadline = time.monotonic() + 10  # amux waits 2 s for it; a loaded machine may need longer
    while (info := processes.read_process(pid)) is not None and not info.zombie and time.monotonic() < deadline:
        time.sleep(0.05)
    assert info is None or info.zombie, "the watchdog outlived a normal exit"
