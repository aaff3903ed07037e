"""OllamaManager against the Ollama fixture server, and its start/stop path with a fake `ollama` binary
(Ollama itself is not installed on test machines; the fake's `serve` runs the same fixture server)."""

import asyncio
import os

import pytest
from provider_servers import FakeModel, provider_server, unused_port, write_fake_ollama  # noqa: F401 - fixture

from amux_tui.providers.ollama import OllamaError, OllamaManager


def manager_for(base_url: str, **options) -> OllamaManager:
    return OllamaManager(base_url=base_url, env={"PATH": "/nonexistent"}, **options)


async def test_status_of_an_answering_server_without_binary(provider_server):
    server = await provider_server("ollama")
    async with manager_for(server.origin) as manager:
        status = await manager.status()
    assert status.running and status.version == "0.6.2"
    assert status.binary is None and not status.owned
    assert status.to_public_dict()["installed"] is False


async def test_nothing_answers():
    async with manager_for(f"http://127.0.0.1:{unused_port()}") as manager:
        status = await manager.status()
        assert not status.running and status.version is None
        with pytest.raises(OllamaError, match="no Ollama answers"):
            await manager.list_models()


async def test_list_models(provider_server):
    server = await provider_server("ollama", models=[FakeModel("llama3.2:latest", size=2_000_000_000),
                                                     FakeModel("qwen3:8b")])
    async with manager_for(server.origin) as manager:
        models = await manager.list_models()
    assert [m.name for m in models] == ["llama3.2:latest", "qwen3:8b"]
    assert models[0].size == 2_000_000_000
    assert models[0].parameter_size == "3.2B" and models[0].quantization == "Q4_K_M"


async def test_pull_streams_progress_then_the_model_is_listed(provider_server):
    server = await provider_server("ollama", models=[], pullable={"tiny:latest": [4000, 1000]})
    async with manager_for(server.origin) as manager:
        events = [event async for event in manager.pull("tiny")]
        names = [m.name for m in await manager.list_models()]
    assert events[0].status == "pulling manifest"
    assert events[-1].done
    downloads = [e for e in events if e.total]
    assert {e.total for e in downloads} == {4000, 1000}
    assert [e.fraction for e in downloads if e.total == 4000] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert names == ["tiny:latest"]


async def test_pull_of_an_unknown_model_raises_the_servers_error(provider_server):
    server = await provider_server("ollama")
    async with manager_for(server.origin) as manager:
        seen = []
        with pytest.raises(OllamaError, match="file does not exist"):
            async for event in manager.pull("no-such-model"):
                seen.append(event.status)
    assert seen == ["pulling manifest"]


@pytest.mark.parametrize("behaviour", ["server_error", "malformed"])
async def test_pull_failures_are_ollama_errors(provider_server, behaviour):
    server = await provider_server("ollama", behaviour=behaviour)
    async with manager_for(server.origin) as manager:
        with pytest.raises(OllamaError):
            async for _ in manager.pull("tiny"):
                pass


async def test_delete(provider_server):
    server = await provider_server("ollama", models=[FakeModel("old:latest"), FakeModel("keep:latest")])
    async with manager_for(server.origin) as manager:
        await manager.delete("old")
        assert [m.name for m in await manager.list_models()] == ["keep:latest"]
        with pytest.raises(OllamaError, match="not found"):
            await manager.delete("old")


async def test_start_never_touches_a_server_it_did_not_start(provider_server, tmp_path):
    server = await provider_server("ollama")
    binary = write_fake_ollama(tmp_path)
    manager = OllamaManager(base_url=server.origin, binary=str(binary), env={})
    assert await manager.start() is False
    assert not manager.owns_server
    await manager.aclose()
    async with manager_for(server.origin) as again:
        assert await again.is_running()


async def test_start_without_the_binary_says_so():
    manager = manager_for(f"http://127.0.0.1:{unused_port()}")
    with pytest.raises(OllamaError, match="not installed"):
        await manager.start()
    await manager.aclose()


async def test_start_serves_and_stop_kills_the_whole_group(tmp_path):
    write_fake_ollama(tmp_path)
    pidfile = tmp_path / "runner.pid"
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "FAKE_OLLAMA_PIDFILE": str(pidfile)}
    port = unused_port()
    manager = OllamaManager(base_url=f"http://127.0.0.1:{port}", env=env)
    assert manager.find_binary() == str(tmp_path / "ollama")
    try:
        assert await asyncio.wait_for(manager.start(wait=20), 30) is True
        assert manager.owns_server
        status = await manager.status()
        assert status.running and status.owned
        runner_pid = int(pidfile.read_text())
    finally:
        await asyncio.wait_for(manager.aclose(), 15)
    assert not await manager_for(f"http://127.0.0.1:{port}").is_running()
    await asyncio.sleep(0.2)
    assert not _alive(runner_pid), "the server's own child outlived stop()"


async def test_a_crashing_server_reports_its_output(tmp_path):
    binary = write_fake_ollama(tmp_path, mode="crash")
    manager = OllamaManager(base_url=f"http://127.0.0.1:{unused_port()}", binary=str(binary), env=dict(os.environ))
    with pytest.raises(OllamaError, match="address already in use"):
        await asyncio.wait_for(manager.start(wait=20), 30)
    await manager.aclose()


async def test_a_server_that_never_answers_is_stopped_after_the_wait(tmp_path):
    binary = write_fake_ollama(tmp_path, mode="hang")
    manager = OllamaManager(base_url=f"http://127.0.0.1:{unused_port()}", binary=str(binary), env=dict(os.environ))
    with pytest.raises(OllamaError, match="did not answer"):
        await asyncio.wait_for(manager.start(wait=1.0), 20)
    assert not manager.owns_server
    await manager.aclose()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still has a pid; it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
