"""What `amux launch` uses when the user names no provider or no model, said out loud; and a
`--dry-run` that exits with the code the real launch would. `amux` runs as a child process against
real local servers (tests/upstreams.py, tests/provider_servers.py), in a fresh HOME."""

import json
import os

import pytest

from amux_tui.config.loader import load_config
from amux_tui.providers.defaults import first_sensible_model, pick_model, pick_provider
from amux_tui.providers.registry import ProviderRegistry, SelectionError
from provider_servers import FakeModel, ProviderServer, isolated_env, run_amux
from upstreams import UpstreamServer, refused_port

KEY = "sk-defaults-Secret-0123456789abcdef"


def config_env(tmp_path, config: dict, **extra: str) -> dict[str, str]:
    path = tmp_path / "providers.json"
    path.write_text(json.dumps(config))
    return isolated_env(tmp_path / "home", AMUX_CONFIG=str(path), XDG_STATE_HOME=str(tmp_path / "state"),
                        XDG_CACHE_HOME=str(tmp_path / "cache"), AMUX_QUIET="1", **extra)


def vllm(base: str, **extra) -> dict:
    return {"type": "vllm", "api_base": base, "api_key": KEY, **extra}


def test_first_sensible_model_skips_what_cannot_chat():
    assert first_sensible_model(["nomic-embed-text", "whisper-1", "tts-1", "qwen3:8b"]) == "qwen3:8b"
    assert first_sensible_model(["text-embedding-3-small"]) is None


async def test_no_provider_picks_the_first_healthy_one_and_names_the_ones_it_skipped(tmp_path):
    dead = f"http://127.0.0.1:{refused_port()}/v1"
    async with UpstreamServer("openai-chat", api_key=KEY, models=("live-model",)) as up:
        env = config_env(tmp_path, {"providers": {"down": vllm(dead, default_model="x"),
                                                  "up": vllm(up.base_url)}})
        run = await run_amux("launch", "shell", "--dry-run", env=env)
    assert run.code == 0, run.stderr
    plan = run.json()
    assert plan["provider"]["name"] == "up" and plan["model"] == "live-model"
    said = " ".join(plan["notes"])
    assert "using up (the first healthy provider" in said and "skipped down: unreachable" in said
    assert "using live-model (the first chat model up lists)" in said


async def test_a_detected_ollama_is_used_with_its_first_chat_model(tmp_path):
    async with ProviderServer("ollama", models=[FakeModel("nomic-embed-text:latest", 2048),
                                                FakeModel("qwen3:8b", 32768)]) as ollama:
        env = isolated_env(tmp_path / "home", OLLAMA_HOST=ollama.origin, XDG_STATE_HOME=str(tmp_path / "state"),
                           XDG_CACHE_HOME=str(tmp_path / "cache"))
        run = await run_amux("launch", "claude", "--with-proxy-if-needed", "--dry-run", env=env)
        explicit = await run_amux("launch", "qwen", "--provider", "ollama", "--dry-run", env=env)
    plan = json.loads(run.stdout)
    assert plan["provider"]["name"] == "ollama" and plan["model"] == "qwen3:8b"
    assert plan["route"] == "proxy" and plan["upstream"] == ollama.origin + "/v1"
    assert any("a local server answering at" in note for note in plan["notes"])
    assert json.loads(explicit.stdout)["model"] == "qwen3:8b"


async def test_an_unhealthy_provider_is_never_picked_silently(tmp_path):
    async with ProviderServer("openai", api_key="other-key") as rejecting:
        env = config_env(tmp_path, {"providers": {"gw": vllm(rejecting.url)}})
        run = await run_amux("launch", "shell", "--dry-run", env=env)
    assert run.code == 1 and not run.stdout
    assert "no provider answers well enough" in run.stderr and "gw: auth_failed" in run.stderr


async def test_the_configured_default_provider_wins_without_probing(tmp_path):
    dead = f"http://127.0.0.1:{refused_port()}/v1"
    async with UpstreamServer("openai-chat", api_key=KEY) as up:
        env = config_env(tmp_path, {"default_provider": "down", "providers": {
            "up": vllm(up.base_url), "down": vllm(dead, default_model="m")}})
        registry = ProviderRegistry.from_config(load_config(env["AMUX_CONFIG"]), env)
        pick = await pick_provider(registry, env=env, detect=False)
    assert pick.provider.name == "down" and "default_provider" in pick.why and not up.requests


async def test_no_model_to_pick_lists_what_the_provider_offers():
    async with UpstreamServer("openai-chat", api_key=KEY, models=("text-embedding-3-large", "whisper-1")) as up:
        with pytest.raises(SelectionError) as raised:
            await pick_model(up.provider(default_model=None, models=()))
    assert "text-embedding-3-large, whisper-1" in str(raised.value) and "--model" in str(raised.value)


@pytest.mark.parametrize("problem,args,code", [
    ("unknown model", ["shell", "--model", "no-such-model"], 2),
    ("provider down", ["shell", "--provider", "down"], 1),
    ("missing key", ["shell", "--provider", "nokey"], 2),
    ("missing binary", ["opencode", "--provider", "up"], 1),
    ("unknown provider", ["shell", "--provider", "nope"], 2),
    ("proxy needed", ["claude", "--provider", "up"], 2),
])
async def test_dry_run_exits_with_the_code_of_the_real_launch(tmp_path, problem, args, code):
    dead = f"http://127.0.0.1:{refused_port()}/v1"
    async with UpstreamServer("openai-chat", api_key=KEY) as up:
        env = config_env(tmp_path, {"default_provider": "up", "providers": {
            "up": vllm(up.base_url, default_model="fixture-model"), "down": vllm(dead, default_model="m"),
            "nokey": {"type": "openai", "api_base": up.base_url, "api_format": "openai-chat",
                      "default_model": "fixture-model"}}},
                         AMUX_HARNESS_BIN=os.devnull, PATH="/usr/bin:/bin")
        dry = await run_amux("launch", *args, "--dry-run", env=env)
        real = await run_amux("launch", *args, "--", "true", env=env)
    assert dry.code == real.code == code, (problem, dry.code, dry.stderr, real.code, real.stderr)
    assert dry.stderr.strip().splitlines()[-1] == real.stderr.strip().splitlines()[-1]


async def test_dry_run_shows_the_base_url_of_every_route(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as up:
        env = config_env(tmp_path, {"default_provider": "gw", "providers": {
            "gw": {"type": "openai", "api_base": up.base_url, "api_key": KEY, "api_format": "openai-chat",
                   "default_model": "fixture-model"}}}, AMUX_HARNESS_BIN=os.devnull)
        native = await run_amux("launch", "opencode", "--dry-run", env=env)
        proxied = await run_amux("launch", "opencode", "--with-proxy", "--dry-run", env=env)
        direct = await run_amux("launch", "shell", "--dry-run", env=env)
    # OpenCode's own openai package speaks Responses: a chat-only gateway makes the route direct
    assert json.loads(native.stdout)["route"] == "direct"
    assert json.loads(native.stdout)["endpoint"] == up.base_url
    assert "api_format openai-chat" in json.loads(native.stdout)["reason"]
    assert json.loads(proxied.stdout)["endpoint"] == "http://127.0.0.1:PROXY_PORT/v1"
    assert json.loads(proxied.stdout)["upstream"] == up.base_url
    assert json.loads(direct.stdout)["endpoint"] == up.base_url


async def test_no_provider_prefers_one_the_harness_reaches_without_a_proxy(tmp_path):
    async with UpstreamServer("anthropic-messages", api_key=KEY) as anthropic, \
            UpstreamServer("openai-chat", api_key=KEY) as chat:
        env = config_env(tmp_path, {"providers": {
            "ant": {"type": "anthropic", "api_base": anthropic.base_url, "api_key": KEY},
            "chat": vllm(chat.base_url)}})
        qwen = await run_amux("launch", "qwen", "--dry-run", env=env)
        claude = await run_amux("launch", "claude", "--dry-run", env=env)
    assert json.loads(qwen.stdout)["provider"]["name"] == "chat" and json.loads(qwen.stdout)["route"] == "direct"
    notes = json.loads(qwen.stdout)["notes"]
    assert any("the first healthy provider Qwen Code reaches direct" in note for note in notes)
    assert json.loads(claude.stdout)["provider"]["name"] == "ant" and json.loads(claude.stdout)["route"] == "native"


async def test_no_model_and_a_provider_that_does_not_answer_is_the_providers_problem(tmp_path):
    dead = f"http://127.0.0.1:{refused_port()}/v1"
    env = config_env(tmp_path, {"providers": {"down": vllm(dead)}})
    run = await run_amux("launch", "shell", "--provider", "down", "--dry-run", env=env)
    assert run.code == 1 and "its model list cannot be read" in run.stderr and "--model" in run.stderr


async def test_an_org_slash_model_name_without_provider_still_picks_the_first_healthy_provider(tmp_path):
    dead = f"http://127.0.0.1:{refused_port()}/v1"
    async with UpstreamServer("openai-chat", api_key=KEY, models=("acme-lab/big-model-8b",)) as up:
        env = config_env(tmp_path, {"providers": {"down": vllm(dead), "up": vllm(up.base_url)}})
        run = await run_amux("launch", "shell", "--model", "acme-lab/big-model-8b", "--dry-run", env=env)
    assert run.code == 0, run.stderr
    plan = run.json()
    assert plan["provider"]["name"] == "up" and plan["model"] == "acme-lab/big-model-8b"
    assert any("skipped down: unreachable" in note for note in plan["notes"])
