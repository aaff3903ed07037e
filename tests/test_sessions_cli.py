"""`amux launch` records its sessions and `amux sessions` lists them: real `amux` processes running
the shell harness against a local upstream, several at once, and one killed with SIGKILL."""

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from sessions_support import KEY, amux, make_env, sessions_json
from upstreams import UpstreamServer


async def test_two_concurrent_launches_are_both_recorded_and_listed(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream)
        # Both start, then both finish, at the same moment: their writes meet in the database.
        script = "i=0; while [ $i -lt 50 ] && [ ! -e go ]; do sleep 0.05; i=$((i+1)); done; exit 3"
        first = asyncio.create_task(amux("launch", "shell", "--", "sh", "-c", script, env=env, cwd=tmp_path))
        second = asyncio.create_task(amux("launch", "shell", "--", "sh", "-c", script, env=env, cwd=tmp_path))
        deadline = time.monotonic() + 30
        listed: list[dict] = []
        while time.monotonic() < deadline:
            listed = await sessions_json(env, tmp_path)
            if len(listed) == 2 and all(r["state"] == "running" for r in listed):
                break
            await asyncio.sleep(0.1)
        assert [r["state"] for r in listed] == ["running", "running"]
        code, out, _ = await amux("sessions", env=env, cwd=tmp_path)
        assert code == 0 and out.count(" running ") == 2
        (tmp_path / "go").touch()
        assert [(await task)[0] for task in (first, second)] == [3, 3]
    records = await sessions_json(env, tmp_path)
    assert sorted(r["state"] for r in records) == ["exited", "exited"]
    assert {r["exit_code"] for r in records} == {3}
    assert all(r["harness"] == "shell" and r["provider"] == "up" and r["model"] == "fixture-model"
               and r["route"] == "direct" and r["cwd"] == str(tmp_path) and r["ended"] >= r["started"]
               for r in records)
    assert records[0]["started"] >= records[1]["started"]  # ended ones: newest first
    assert "owner_pid" not in records[0]


async def test_a_session_ended_by_a_signal_is_recorded_killed(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream)
        code, _, _ = await amux("launch", "shell", "--", "sh", "-c", "kill -TERM $$", env=env, cwd=tmp_path)
    assert code == 128 + signal.SIGTERM
    [record] = await sessions_json(env, tmp_path)
    assert record["state"] == "killed" and record["exit_code"] == 128 + signal.SIGTERM


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


async def test_kill_9_of_amux_launch_leaves_a_lost_record_and_no_process_on_the_next_start(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "amux_tui.cli", "launch", "shell", "--", "sh", "-c", "echo $$ > pid; exec sleep 300",
            env=env, cwd=tmp_path, stdin=asyncio.subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text().strip():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            harness = int((tmp_path / "pid").read_text())
            [record] = await sessions_json(env, tmp_path)
            assert record["state"] == "running"
            os.kill(process.pid, signal.SIGKILL)
            await process.wait()
            # The harness dies with its amux (PR_SET_PDEATHSIG and the watchdog); only the record is left.
            deadline = time.monotonic() + 20
            while _alive(harness):
                assert time.monotonic() < deadline, "the harness outlived its amux"
                await asyncio.sleep(0.05)
            [record] = await sessions_json(env, tmp_path)  # the next amux start sees it
            assert record["state"] == "lost" and record["ended"] is not None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_sessions_with_nothing_recorded_says_how_to_start_one(tmp_path):
    env = make_env(tmp_path)
    code, out, _ = await amux("sessions", env=env, cwd=tmp_path)
    assert code == 0 and "no sessions recorded yet" in out
    code, out, _ = await amux("sessions", "--json", env=env, cwd=tmp_path)
    assert code == 0 and json.loads(out) == []
    code, _, err = await amux("sessions", "diff", "nope", env=env, cwd=tmp_path)
    assert code == 1 and "no session 'nope'" in err
