"""`amux launch` and `amux harnesses` as a user runs them (subprocesses), with the `shell` harness
running real commands: exit codes, the session's environment, signals, strays, the terminal."""

import asyncio
import json
import os
import select
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

from harness_bins import require_binary
from upstreams import UpstreamServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-upstream-Secret-abcdefghijklmnop"


def make_env(tmp_path: Path, config: dict | None = None, **extra: str) -> dict[str, str]:
    config_path = tmp_path / "providers.json"
    config_path.write_text(json.dumps(config or {"providers": {}}))
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "AMUX_CONFIG": str(config_path), "SHELL": "/bin/sh", "PYTHONPATH": str(ROOT), "AMUX_QUIET": "1",
    }
    env.update(extra)
    return env


def upstream_config(upstream: UpstreamServer, fmt: str = "openai-chat") -> dict:
    return {"default_provider": "up", "providers": {"up": {
        "type": "vllm", "api_base": upstream.base_url, "api_key": KEY, "api_format": fmt,
        "models": ["fixture-model"], "default_model": "fixture-model"}}}


async def amux(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", *args, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


def read_pty_until(child, marker: bytes | None, timeout: float = 60.0) -> bytes:
    """Read a PtyProcess until ``marker`` shows up (None: until it closes), never longer than ``timeout``."""
    output = b""
    deadline = time.monotonic() + timeout
    while (marker is None or marker not in output) and time.monotonic() < deadline:
        ready, _, _ = select.select([child.fd], [], [], 0.2)
        if ready:
            try:
                output += os.read(child.fd, 65536)
            except OSError:
                break
    return output


def marked_processes(mark: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"TEST_MARK={mark}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
                    if state != "Z":
                        found.add(int(entry.name))
            except OSError:
                continue
    return found


async def test_shell_runs_with_the_endpoint_in_its_environment_and_returns_its_exit_code(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream))
        script = 'printf "%s|%s|%s" "$OPENAI_BASE_URL" "$AMUX_MODEL" "$OPENAI_API_KEY" > seen; exit 7'
        code, out, err = await amux("launch", "shell", "--", "sh", "-c", script, env=env, cwd=tmp_path)
    assert code == 7, err
    base, model, key = (tmp_path / "seen").read_text().split("|")
    assert base == upstream.base_url and model == "fixture-model" and key == KEY


async def test_options_after_the_harness_name_are_amuxs_own(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY, models=("fixture-model", "other-model")) as upstream:
        config = upstream_config(upstream)
        config["providers"]["other"] = dict(config["providers"]["up"], default_model="other-model")
        env = make_env(tmp_path, config)
        code, out, err = await amux("launch", "shell", "--provider", "other", "--dry-run", env=env, cwd=tmp_path)
    assert code == 0, err
    plan = json.loads(out)
    assert plan["provider"]["name"] == "other" and plan["model"] == "other-model"


async def test_dry_run_prints_the_plan_with_secrets_masked(tmp_path):
    claude = require_binary("claude")  # a dry run stops where the launch would: a missing binary is exit 1
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream), AMUX_HARNESS_BIN=str(Path(claude).parent))
        code, out, err = await amux("launch", "claude", "--with-proxy-if-needed", "--dry-run", env=env, cwd=tmp_path)
    assert code == 0, err
    assert KEY not in out
    plan = json.loads(out)
    assert plan["route"] == "proxy" and plan["proxy_needed"] is True
    assert plan["env"]["ANTHROPIC_MODEL"] == "fixture-model"
    assert not (tmp_path / "state" / "amux" / "sessions").exists()


async def test_proxy_needed_without_flag_exits_2_and_says_why(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream))
        code, out, err = await amux("launch", "claude", env=env, cwd=tmp_path)
    assert code == 2
    assert "anthropic-messages" in err and "--with-proxy-if-needed" in err


async def test_a_mistyped_harness_gets_each_suggestion_once(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        code, out, err = await amux("launch", "claud", env=make_env(tmp_path, upstream_config(upstream)), cwd=tmp_path)
    assert code == 2
    assert "did you mean 'claude'?" in err and err.count("'claude'") == 1


async def test_resume_on_a_harness_that_cannot_resume(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream))
        code, out, err = await amux("launch", "shell", "--resume", env=env, cwd=tmp_path)
    assert code == 2 and "cannot resume" in err and "claude" in err


async def test_shell_through_the_proxy_reaches_the_upstream(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream))
        probe = ("import json, os, urllib.request as u; r = u.Request(os.environ['OPENAI_BASE_URL'] + "
                 "'/chat/completions', json.dumps({'model': 'x', 'messages': [{'role': 'user', 'content': 'hi'}]})"
                 ".encode(), {'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY'], 'Content-Type': "
                 "'application/json'}); print(json.load(u.urlopen(r))['choices'][0]['message']['content'])")
        code, out, err = await amux("launch", "shell", "--with-proxy", "--", sys.executable, "-c", probe,
                                    env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.strip() == "ok"
    assert upstream.requests[-1].headers["authorization"] == f"Bearer {KEY}"


async def _launch_and_signal(tmp_path, script: str, sig: int) -> tuple[int, float, str]:
    mark = uuid.uuid4().hex
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream), TEST_MARK=mark)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "amux_tui.cli", "launch", "shell", "--", "sh", "-c", script, env=env, cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)
        try:
            for _ in range(200):
                if len(marked_processes(mark)) >= 4:  # amux, sh, the sleep, the escaped sleep
                    break
                await asyncio.sleep(0.05)
            assert len(marked_processes(mark)) >= 4
            started = time.monotonic()
            process.send_signal(sig)
            _, err = await asyncio.wait_for(process.communicate(), 30)
            elapsed = time.monotonic() - started
        finally:
            if process.returncode is None:
                process.kill()
        for _ in range(40):
            if not marked_processes(mark):
                break
            await asyncio.sleep(0.05)
        assert not marked_processes(mark), "processes left behind"
    return process.returncode, elapsed, err.decode()


async def test_sigterm_ends_the_harness_group_and_escaped_descendants(tmp_path):
    # `setsid` puts one sleep in a session of its own, as Codex's app-server daemon does.
    code, elapsed, err = await _launch_and_signal(tmp_path, "setsid sleep 300 & sleep 300", signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, err


async def test_a_signal_the_moment_the_harness_starts_still_ends_the_whole_session(tmp_path):
    # The harness signals amux as its very first act, while amux is still setting up the session: amux
    # must not die by the signal's default action and leave the session running (a rare CI flake of
    # the test above, where the test's SIGTERM came that early).
    mark = uuid.uuid4().hex
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream), TEST_MARK=mark)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "amux_tui.cli", "launch", "shell", "--", "sh", "-c",
            "kill -TERM $PPID; setsid sleep 300 & sleep 300", env=env, cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)
        try:
            _, err = await asyncio.wait_for(process.communicate(), 30)
            for _ in range(40):
                if not marked_processes(mark):
                    break
                await asyncio.sleep(0.05)
            left = marked_processes(mark)
        finally:
            if process.returncode is None:
                process.kill()
            for pid in marked_processes(mark):
                os.kill(pid, signal.SIGKILL)
    assert process.returncode == 128 + signal.SIGTERM, err.decode()
    assert not left, "processes left behind"


async def test_sigint_is_forwarded_first(tmp_path):
    code, elapsed, err = await _launch_and_signal(
        tmp_path, "trap 'exit 5' INT; setsid sleep 300 & sleep 300 & wait", signal.SIGINT)
    assert code == 128 + signal.SIGINT, err


async def test_a_harness_ignoring_signals_is_killed(tmp_path):
    code, elapsed, err = await _launch_and_signal(
        tmp_path, "trap '' INT TERM; setsid sleep 300 & sleep 300 & wait; sleep 300", signal.SIGINT)
    assert code == 128 + signal.SIGINT, err


def test_harness_becomes_foreground_and_the_terminal_is_restored(tmp_path):
    """In a real PTY: the harness owns the terminal while it runs; its mode changes are undone."""
    ptyprocess = pytest.importorskip("ptyprocess")
    env = make_env(tmp_path, {"default_provider": "v", "providers": {"v": {
        "type": "vllm", "api_base": "http://127.0.0.1:9/v1", "api_format": "openai-chat", "default_model": "m"}}})
    env["AMUX_CACHE_DIR"] = str(tmp_path / "cache")
    # Preflight would find nothing at port 9: seed the cache as a previous successful probe would.
    from amux_tui.harnesses import preflight_cache
    from amux_tui.providers.resolved import ResolvedProvider

    prov = ResolvedProvider("v", "vllm", "http://127.0.0.1:9/v1", ("openai-chat",))
    preflight_cache.store(preflight_cache.cache_key(prov, "m"), {"model_found": True},
                          path=tmp_path / "cache" / preflight_cache.CACHE_FILE)
    check = "import os; print('FG', os.tcgetpgrp(0) == os.getpgrp(), os.getpgrp() == os.getppid())"
    inner = (f"{sys.executable} -m amux_tui.cli launch shell -- sh -c "
             f"\"{sys.executable} -c \\\"{check}\\\"; stty raw -echo; exit 3\"; echo RC=$?; stty -a")
    child = ptyprocess.PtyProcess.spawn(["sh", "-c", inner], env=env, cwd=str(tmp_path), dimensions=(40, 200))
    output = read_pty_until(child, None)
    child.close(force=True)
    text = output.decode(errors="replace")
    assert "FG True True" in text, text
    assert "RC=3" in text
    modes = text.split("RC=3", 1)[1]
    assert " echo " in modes and " icanon " in modes, modes


async def test_harnesses_lists_every_harness_with_install_commands(tmp_path):
    env = make_env(tmp_path, AMUX_HARNESS_BIN=str(tmp_path / "empty"))
    env["PATH"] = "/usr/bin:/bin"
    code, out, err = await amux("harnesses", "--json", env=env, cwd=tmp_path)
    assert code == 0, err
    rows = {row["name"]: row for row in json.loads(out)}
    assert set(rows) == {"claude", "codex", "gemini", "opencode", "qwen", "aider", "shell"}
    assert rows["claude"]["installed"] is False and rows["claude"]["install"] == "npm install -g @anthropic-ai/claude-code"
    assert rows["shell"]["installed"] is True
    assert rows["codex"]["capabilities"]["can_resume"] is True and rows["codex"]["protocols"] == ["openai-responses"]


async def test_harnesses_matrix(tmp_path):
    code, out, err = await amux("harnesses", "--matrix", "--json", env=make_env(tmp_path), cwd=tmp_path)
    assert code == 0, err
    assert json.loads(out)["claude"]["anthropic"] == "native"
    code, out, err = await amux("harnesses", "--matrix", env=make_env(tmp_path), cwd=tmp_path)
    assert "ollama" in out and "proxy" in out


def test_ctrl_z_suspends_amux_with_the_harness_and_fg_resumes_both(tmp_path):
    """Job control: Ctrl-Z stops the harness (it owns the terminal); amux then stops too, so a shell
    would get its prompt back; continuing amux hands the terminal back and continues the harness."""
    ptyprocess = pytest.importorskip("ptyprocess")
    env = make_env(tmp_path, {"default_provider": "v", "providers": {"v": {
        "type": "vllm", "api_base": "http://127.0.0.1:9/v1", "api_format": "openai-chat", "default_model": "m"}}})
    env["AMUX_CACHE_DIR"] = str(tmp_path / "cache")
    from amux_tui.harnesses import preflight_cache
    from amux_tui.providers.resolved import ResolvedProvider

    prov = ResolvedProvider("v", "vllm", "http://127.0.0.1:9/v1", ("openai-chat",))
    preflight_cache.store(preflight_cache.cache_key(prov, "m"), {"model_found": True},
                          path=tmp_path / "cache" / preflight_cache.CACHE_FILE)
    child = ptyprocess.PtyProcess.spawn(
        [sys.executable, "-m", "amux_tui.cli", "launch", "shell", "--", "sh", "-c",
         "echo started; read line; echo got-$line"], env=env, cwd=str(tmp_path), dimensions=(24, 80))

    def state(pid: int) -> str:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]

    def wait_for(predicate, timeout=20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    try:
        assert b"started" in read_pty_until(child, b"started")
        time.sleep(0.5)  # amux hands over the terminal right after the spawn, the echo may come first
        child.write(b"\x1a")  # Ctrl-Z
        assert wait_for(lambda: state(child.pid) == "T"), "amux did not stop with its harness"
        os.kill(child.pid, signal.SIGCONT)  # what a shell's `fg` does
        assert wait_for(lambda: state(child.pid) != "T")
        child.write(b"resumed\r")
        assert b"got-resumed" in read_pty_until(child, b"got-resumed")
        assert wait_for(lambda: not child.isalive())
        assert child.exitstatus == 0
    finally:
        child.close(force=True)


SPAWN_ORDER_HOOK = '''
import os, sys

class _RecordSpawnOrder:
    """When amux first imports aiohttp, write down the harnesses (child processes) already running."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith("aiohttp."):  # a real import (the preflight only looks for "aiohttp")
            sys.meta_path.remove(self)
            children = []
            for tid in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{tid}/children") as listing:
                    children += listing.read().split()
            commands = []
            for pid in children:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    commands.append(cmdline.read().decode(errors="replace"))
            with open(os.environ["SPAWN_ORDER_FILE"], "w") as record:
                record.write("\\n".join(commands) or "no children")
        return None

if os.environ.get("SPAWN_ORDER_FILE"):
    sys.meta_path.insert(0, _RecordSpawnOrder())
'''


async def test_proxied_launch_spawns_the_harness_before_importing_aiohttp(tmp_path):
    """The proxy's port and token are known before aiohttp is imported; the harness starts, then the
    proxy starts serving. Deterministic: the harness cannot exit before the proxy answers it."""
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SPAWN_ORDER_HOOK)
    record = tmp_path / "spawn-order.txt"
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream), SPAWN_ORDER_FILE=str(record))
        env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), env["PYTHONPATH"]])
        probe = ("import json, os, urllib.request as u; r = u.Request(os.environ['OPENAI_BASE_URL'] + "
                 "'/chat/completions', json.dumps({'model': 'x', 'messages': [{'role': 'user', 'content': 'hi'}]})"
                 ".encode(), {'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY'], 'Content-Type': "
                 "'application/json'}); print(json.load(u.urlopen(r))['choices'][0]['message']['content'])")
        code, out, err = await amux("launch", "shell", "--with-proxy", "--", sys.executable, "-c", probe,
                                    env=env, cwd=tmp_path)
    assert code == 0, err
    assert out.strip() == "ok"  # asked before the proxy served: it waited in the backlog and was answered
    assert "chat/completions" in record.read_text()


BREAK_AIOHTTP_HOOK = '''
import sys

class _BreakAiohttp:
    """aiohttp is found (the preflight passes) but cannot be imported: the proxy fails after the spawn."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith("aiohttp."):
            raise ImportError(f"{name} is broken on purpose")
        return None

sys.meta_path.insert(0, _BreakAiohttp())
'''


async def test_proxy_failing_after_the_spawn_ends_the_harness_with_a_clear_error(tmp_path):
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(BREAK_AIOHTTP_HOOK)
    mark = uuid.uuid4().hex
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream_config(upstream), TEST_MARK=mark)
        env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), env["PYTHONPATH"]])
        # The harness would sleep far longer than the launch may take: only amux ending it lets the launch return.
        code, out, err = await amux("launch", "shell", "--with-proxy", "--", "sleep", "600", env=env, cwd=tmp_path,
                                    timeout=60)
    assert code == 1, err
    assert "proxy could not start serving, so the harness was stopped" in err and "broken on purpose" in err
    assert "Traceback" not in err
    assert marked_processes(mark) == set()
