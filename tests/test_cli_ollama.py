"""`amux ollama status|list|serve|pull` as child processes, against the Ollama fixture server and a fake
`ollama` binary (Ollama is not installed on test machines; the fake serves the same fixture)."""

import asyncio
import io
import os
import signal
import sys

from provider_servers import (  # noqa: F401 - fixture
    REPO_ROOT, FakeModel, isolated_env, provider_server, run_amux, unused_port, write_fake_ollama,
)

from amux_tui.providers.ollama import OllamaManager, PullProgress
from amux_tui.providers.ollama_command import PullPrinter


async def test_status_running_and_not(provider_server, tmp_path):
    server = await provider_server("ollama")
    run = await run_amux("ollama", "status", "--json", env=isolated_env(tmp_path, OLLAMA_HOST=server.origin))
    assert run.code == 0, run.stderr
    assert run.json() == {"base_url": server.origin, "binary": None, "installed": False, "running": True,
                          "version": "0.6.2", "owned": False}
    down = await run_amux("ollama", "status", env=isolated_env(tmp_path))
    assert down.code == 1
    assert "not installed" in down.stdout and "not answering" in down.stdout


async def test_list_json_and_text(provider_server, tmp_path):
    server = await provider_server("ollama", models=[FakeModel("llama3.2:latest", size=2_019_393_189)])
    env = isolated_env(tmp_path, OLLAMA_HOST=server.origin)
    run = await run_amux("ollama", "list", "--json", env=env)
    assert run.code == 0, run.stderr
    [model] = run.json()["models"]
    assert set(model) == {"name", "size", "modified_at", "digest", "family", "parameter_size", "quantization"}
    assert model["name"] == "llama3.2:latest" and model["size"] == 2_019_393_189
    text = await run_amux("ollama", "list", env=env)
    assert text.stdout.splitlines()[1].split() == ["llama3.2:latest", "2.0", "GB", "3.2B", "Q4_K_M", "2025-03-01"]


async def test_pull_prints_plain_lines_when_not_a_terminal(provider_server, tmp_path):
    server = await provider_server("ollama", models=[], pullable={"tiny:latest": [4000]})
    run = await run_amux("ollama", "pull", "tiny", env=isolated_env(tmp_path, OLLAMA_HOST=server.origin))
    assert run.code == 0, run.stderr
    assert "\r" not in run.stdout
    lines = run.stdout.splitlines()
    assert lines[0] == "pulling manifest" and lines[-1] == "success"
    assert [line.split("]")[1].split()[0] for line in lines if "[" in line] == ["0%", "25%", "50%", "75%", "100%"]
    assert [m.id for m in server.models] == ["tiny:latest"]


async def test_pull_failure_exits_1_with_the_servers_reason(provider_server, tmp_path):
    server = await provider_server("ollama")
    run = await run_amux("ollama", "pull", "no-such-model", env=isolated_env(tmp_path, OLLAMA_HOST=server.origin))
    assert run.code == 1
    assert "file does not exist" in run.stderr and "Traceback" not in run.stderr


async def test_pull_without_a_server_starts_one_and_stops_it_after(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_fake_ollama(bin_dir)
    port = unused_port()
    env = isolated_env(tmp_path, OLLAMA_HOST=f"127.0.0.1:{port}", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    run = await run_amux("ollama", "pull", "tiny", env=env)
    assert run.code == 0, run.stderr
    assert "starting ollama serve" in run.stderr and run.stdout.splitlines()[-1] == "success"
    async with OllamaManager(base_url=f"http://127.0.0.1:{port}", env={}) as manager:
        assert not await manager.is_running()


async def test_serve_runs_until_interrupted_then_stops_its_server(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_fake_ollama(bin_dir)
    port = unused_port()
    env = isolated_env(tmp_path, OLLAMA_HOST=f"127.0.0.1:{port}", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", "ollama", "serve", env=env, cwd=REPO_ROOT,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 30)
        assert b"running at" in first
        async with OllamaManager(base_url=f"http://127.0.0.1:{port}", env={}) as manager:
            assert await manager.is_running()
            process.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(process.wait(), 20) == 0
            assert not await manager.is_running()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_serve_leaves_a_foreign_server_alone(provider_server, tmp_path):
    server = await provider_server("ollama")
    run = await run_amux("ollama", "serve", env=isolated_env(tmp_path, OLLAMA_HOST=server.origin))
    assert run.code == 0 and "not started by amux" in run.stdout


def test_pull_printer_redraws_in_place_on_a_terminal():
    out = io.StringIO()
    printer = PullPrinter(out, tty=True)
    for event in [PullProgress("pulling manifest"), PullProgress("pulling abc", "sha256:abc", 100, 0),
                  PullProgress("pulling abc", "sha256:abc", 100, 50), PullProgress("pulling abc", "sha256:abc", 100, 100),
                  PullProgress("success")]:
        printer.show(event)
    printer.finish()
    text = out.getvalue()
    assert text.count("\r\x1b[2K") == 3
    assert "[###############---------------]  50%" in text
    assert text.endswith("100 B/100 B\nsuccess\n")
