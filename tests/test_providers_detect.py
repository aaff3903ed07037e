"""Detecting local servers (Ollama, LM Studio, vLLM, llama.cpp) and load_registry's lookup order."""

import asyncio
import json

import pytest
from provider_servers import FakeModel, provider_server, unused_port  # noqa: F401 - fixture

from amux_tui.config import AmuxConfig, ConfigError
from amux_tui.providers.detect import detect_local_providers, load_registry
from amux_tui.providers.registry import ProviderRegistry


def nothing_local() -> dict[str, str]:
    """An environment in which every local server's address is a port nobody listens on."""
    return {"OLLAMA_HOST": f"127.0.0.1:{unused_port()}",
            "LM_STUDIO_API_BASE": f"http://127.0.0.1:{unused_port()}/v1",
            "HOSTED_VLLM_API_BASE": f"http://127.0.0.1:{unused_port()}/v1",
            "LLAMACPP_API_BASE": f"http://127.0.0.1:{unused_port()}/v1"}


async def test_answering_servers_are_detected_with_their_models(provider_server):
    ollama = await provider_server("ollama", models=[FakeModel("llama3.2:latest")])
    lmstudio = await provider_server("lmstudio", models=[FakeModel("qwen2.5-7b-instruct")])
    env = {**nothing_local(), "OLLAMA_HOST": f"127.0.0.1:{ollama.port}", "LM_STUDIO_API_BASE": lmstudio.url}
    found = await asyncio.wait_for(detect_local_providers(ProviderRegistry([]), env=env, timeout=1.0), 10)
    by_name = {p.name: p for p in found}
    assert set(by_name) == {"ollama", "lmstudio"}
    assert by_name["ollama"].api_base == f"http://127.0.0.1:{ollama.port}/v1"
    assert by_name["ollama"].models == ("llama3.2:latest",)
    assert by_name["lmstudio"].models == ("qwen2.5-7b-instruct",)
    assert all(p.source == "detected" and p.local and p.api_formats == ("openai-chat",) for p in found)


async def test_a_server_that_is_not_the_api_is_not_detected(provider_server):
    imposter = await provider_server("llamacpp", behaviour="malformed")  # e.g. a web app on :8080
    not_ollama = await provider_server("openai")  # answers /v1/models but has no /api/version
    env = {**nothing_local(), "LLAMACPP_API_BASE": imposter.url, "OLLAMA_HOST": not_ollama.origin}
    assert await detect_local_providers(ProviderRegistry([]), env=env, timeout=1.0) == []


async def test_probes_run_concurrently_within_the_timeout(provider_server):
    slow = [await provider_server(kind, behaviour="slow", delay=30) for kind in ("ollama", "lmstudio", "vllm")]
    env = {**nothing_local(), "OLLAMA_HOST": slow[0].origin, "LM_STUDIO_API_BASE": slow[1].url,
           "HOSTED_VLLM_API_BASE": slow[2].url}
    found = await asyncio.wait_for(detect_local_providers(ProviderRegistry([]), env=env, timeout=0.3), 2.5)
    assert found == []


async def test_configured_types_are_not_probed_again(provider_server):
    ollama = await provider_server("ollama")
    env = {**nothing_local(), "OLLAMA_HOST": ollama.origin}
    config = AmuxConfig.model_validate({"providers": {"home-gpu": {"type": "ollama", "api_base": ollama.url}}})
    registry = ProviderRegistry.from_config(config, env)
    assert await detect_local_providers(registry, env=env, timeout=1.0) == []
    assert ollama.requests == []


async def test_load_registry_adds_detected_and_key_presets(provider_server, tmp_path, monkeypatch):
    ollama = await provider_server("ollama")
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"providers": {"work": {"type": "openrouter", "api_key": "${WORK_KEY}"}}}))
    env = {**nothing_local(), "OLLAMA_HOST": ollama.origin, "ANTHROPIC_API_KEY": "sk-ant-xxxxxxxxxxxxxxxx"}
    registry = await load_registry(config, env=env)
    assert registry.names() == ["work", "anthropic", "ollama"]
    assert [p.source for p in registry] == ["config", "env", "detected"]
    assert registry.get("work").key_problem == "WORK_KEY is not set"
    without = await load_registry(config, detect=False, env=env)
    assert "ollama" not in without


async def test_load_registry_lookup_order(tmp_path, monkeypatch):
    named = tmp_path / "named.json"
    named.write_text('{"providers": {"from-flag": {"type": "openai"}}}')
    from_env = tmp_path / "env.json"
    from_env.write_text('{"providers": {"from-env": {"type": "openai"}}}')
    xdg = tmp_path / "xdg"
    (xdg / "amux").mkdir(parents=True)
    (xdg / "amux" / "providers.json").write_text('{"providers": {"from-xdg": {"type": "openai"}}}')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.setenv("AMUX_CONFIG", str(from_env))
    env = nothing_local()
    assert "from-flag" in await load_registry(named, detect=False, env=env)
    assert "from-env" in await load_registry(None, detect=False, env=env)
    monkeypatch.delenv("AMUX_CONFIG")
    assert "from-xdg" in await load_registry(None, detect=False, env=env)
    (xdg / "amux" / "providers.json").unlink()
    assert len(await load_registry(None, detect=False, env=env)) == 0


async def test_load_registry_raises_config_error_for_a_missing_named_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        await load_registry(tmp_path / "absent.json", detect=False, env={})
    assert "absent.json" in caught.value.source
