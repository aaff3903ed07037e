"""Preflight against real local servers: missing binary, provider down, key rejected, model
missing (Ollama: pull offered), context window passed on, and the short-lived on-disk cache."""


import pytest

from amux_tui.harnesses import preflight_cache
from amux_tui.harnesses.errors import LaunchError
from amux_tui.harnesses.launch import prepare_launch
from amux_tui.harnesses.preflight import run_preflight
from amux_tui.harnesses.registry import get_adapter
from amux_tui.providers.resolved import ResolvedProvider
from provider_servers import FakeModel, ProviderServer
from upstreams import UpstreamServer, refused_port


@pytest.fixture
def env(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "qwen"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    values = {"PATH": "/usr/bin:/bin", "AMUX_HARNESS_BIN": str(bin_dir), "XDG_CACHE_HOME": str(tmp_path / "cache"),
              "XDG_STATE_HOME": str(tmp_path / "state"), "SHELL": "/bin/sh", "HOME": str(tmp_path)}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


async def test_missing_binary_names_the_install_command(env):
    report = await run_preflight(get_adapter("gemini"), ResolvedProvider("p", "vllm", None, ()), "m", "proxy", env=env)
    problem = report.problems[0]
    assert problem.exit_code == 1 and "gemini" in problem.message
    assert problem.fix == "npm install -g @google/gemini-cli"


async def test_binary_found_in_amux_harness_bin(env):
    report = await run_preflight(get_adapter("qwen"), ResolvedProvider("p", "vllm", None, (), local=True), "m",
                                 "direct", env=env)
    assert report.binary == f"{env['AMUX_HARNESS_BIN']}/qwen"


async def test_provider_that_does_not_answer(env):
    prov = ResolvedProvider("down", "vllm", f"http://127.0.0.1:{refused_port()}/v1", ("openai-chat",), local=True)
    report = await run_preflight(get_adapter("qwen"), prov, "m", "direct", env=env, timeout=2)
    assert report.provider_status == "unreachable"
    assert report.problems and report.problems[0].exit_code == 1
    assert "does not answer" in report.problems[0].message


async def test_key_rejected(env):
    async with UpstreamServer("openai-chat", api_key="right") as upstream:
        prov = upstream.provider("up", type="vllm", api_key="wrong")
        report = await run_preflight(get_adapter("qwen"), prov, "fixture-model", "direct", env=env)
    assert report.provider_status == "auth_failed"
    assert "rejected the key" in report.problems[0].message


async def test_missing_key_stops_direct_and_proxied_launches(env):
    prov = ResolvedProvider("or", "openrouter", "https://openrouter.ai/api/v1", ("openai-chat",),
                            key_env="OPENROUTER_API_KEY", key_problem="OPENROUTER_API_KEY is not set")
    report = await run_preflight(get_adapter("qwen"), prov, "m", "direct", env=env)
    assert "OPENROUTER_API_KEY is not set" in report.problems[0].message
    assert "export OPENROUTER_API_KEY" in report.problems[0].fix


async def test_missing_model_suggests_close_names(env):
    async with UpstreamServer("openai-chat", models=["qwen3-coder", "llama3"]) as upstream:
        report = await run_preflight(get_adapter("qwen"), upstream.provider(type="vllm"), "qwen3-codr", "direct",
                                     env=env)
    assert report.model_found is False
    assert "qwen3-coder" in report.problems[0].fix and report.problems[0].exit_code == 2


async def test_ollama_model_missing_offers_a_pull_and_window_is_read(env):
    async with ProviderServer("ollama", models=[FakeModel("qwen3:8b", 40960)]) as ollama:
        prov = ResolvedProvider("ollama", "ollama", ollama.origin + "/v1", ("openai-chat",), local=True)
        missing = await run_preflight(get_adapter("qwen"), prov, "llama3.2", "direct", env=env)
        present = await run_preflight(get_adapter("qwen"), prov, "qwen3:8b", "direct", env=env)
    assert missing.pullable and "ollama pull llama3.2" in missing.problems[0].fix
    assert not present.problems and present.facts.context_window == 40960


async def test_success_is_cached_and_the_window_reaches_the_harness(env):
    async with ProviderServer("vllm", models=[FakeModel("big-model", 131072)]) as server:
        prov = ResolvedProvider("v", "vllm", server.url, ("openai-chat",), local=True)
        first = await run_preflight(get_adapter("qwen"), prov, "big-model", "direct", env=env)
        seen = len(server.requests)
        second = await run_preflight(get_adapter("qwen"), prov, "big-model", "direct", env=env)
        assert len(server.requests) == seen, "a cached preflight must not touch the network"
        plan = await prepare_launch("qwen", prov, "big-model", env=env)
    assert not first.cached and first.facts.context_window == 131072
    assert second.cached and second.facts.context_window == 131072 and second.facts.source == "cache"
    assert '"contextWindowSize": 131072' in plan.files[0].content


async def test_cache_expires_and_never_stores_the_key(tmp_path):
    path = tmp_path / "preflight.json"
    prov = ResolvedProvider("p", "vllm", "http://x/v1", ("openai-chat",), api_key="sk-very-secret-key-123")
    key = preflight_cache.cache_key(prov, "m")
    preflight_cache.store(key, {"context_window": 5}, path=path, now=1000.0)
    assert preflight_cache.load(key, path=path, now=1000.0 + 60) == {"context_window": 5}
    assert preflight_cache.load(key, path=path, now=1000.0 + preflight_cache.CACHE_TTL + 1) is None
    assert "sk-very-secret" not in path.read_text()
    other = preflight_cache.cache_key(ResolvedProvider("p", "vllm", "http://x/v1", ("openai-chat",), api_key="k2"), "m")
    assert other != key, "another key must not reuse a probe made with a different key"


async def test_native_route_with_own_login_is_not_probed(env):
    prov = ResolvedProvider("anthropic", "anthropic", "https://api.anthropic.com", ("anthropic-messages",),
                            key_problem="ANTHROPIC_API_KEY is not set")
    report = await run_preflight(get_adapter("qwen"), prov, "m", "native", env=env)
    assert not report.problems and report.provider_status == "skipped"


async def test_strict_prepare_raises_the_first_problem(env):
    prov = ResolvedProvider("down", "vllm", f"http://127.0.0.1:{refused_port()}/v1", ("openai-chat",), local=True)
    with pytest.raises(LaunchError, match="does not answer"):
        await prepare_launch("qwen", prov, "m", env=env)
    plan = await prepare_launch("qwen", prov, "m", env=env, strict=False, dry_run=True)
    assert any("does not answer" in note for note in plan.notes)
