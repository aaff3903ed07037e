"""kill -9 of the dashboard (a real `amux` process in a real PTY) with a session running: the next
dashboard start marks the session `lost` and ends what it left running; nothing stays behind."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import wait_until  # noqa: E402
from test_ui_signals import COLUMNS, ROWS, marked_processes, open_shell_session, spawn_dashboard  # noqa: E402
from upstreams import UpstreamServer  # noqa: E402

from amux_tui.records.store import SessionStore  # noqa: E402
from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402


async def test_kill_9_of_the_dashboard_leaves_a_lost_record_and_no_process_after_the_next_start(tmp_path):
    mark = uuid.uuid4().hex
    async with UpstreamServer("openai-chat", api_key=None, models=["m"]) as upstream:
        config, env, child, terminal = spawn_dashboard(tmp_path, upstream, mark, AMUX_STATE_DIR=str(tmp_path / "state"))
        store = SessionStore(tmp_path / "state" / "sessions.db")
        try:
            await open_shell_session(child, terminal)
            # A job that outlives its shell (it ignores the hang-up the shell gets when the PTY closes).
            child.write(b"nohup sleep 300 >/dev/null 2>&1 &\r")
            await terminal.wait_for(lambda: any(argv.startswith("sleep 300") for argv in marked_processes(mark).values()),
                                    "the background sleep")
            await terminal.wait_for(lambda: [r.pgid for r in store.running()] not in ([], [None]), "the record")
            os.kill(child.pid, signal.SIGKILL)
            await asyncio.wait_for(terminal.closed.wait(), 30)
            # The watchdog (issue 13) may already be ending the job; whether it or the next start does,
            # the dead dashboard could not write the session's end: the record still says running.
            [record] = store.running()

            app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False))
            async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
                await wait_until(pilot, lambda: app.earlier_sessions, what="the records")
                assert [(r.id, r.state) for r in app.earlier_sessions] == [(record.id, "lost")]
            for _ in range(100):
                if not marked_processes(mark):
                    break
                await asyncio.sleep(0.05)
            assert not marked_processes(mark), "left behind after the restart"
            assert store.get(record.id).state == "lost"
        finally:
            if child.isalive():
                child.terminate(force=True)
            for pid in marked_processes(mark):
                os.kill(pid, signal.SIGKILL)
