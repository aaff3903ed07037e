"""The registry: configured providers, presets from the environment, dynamic LiteLLM prefixes."""

import json
import subprocess
import sys

import pytest

from amux_tui.config import AmuxConfig, ConfigError
from amux_tui.providers.registry import ProviderRegistry, SelectionError

SECRET = "sk-registry-0123456789abcdef"


def registry_of(providers: dict, env: dict | None = None, **top) -> ProviderRegistry:
    return ProviderRegistry.from_config(AmuxConfig.model_validate({"providers": providers, **top}), env or {})


def test_presets_appear_when_their_key_variable_is_set():
    registry = registry_of({}, {"OPENROUTER_API_KEY": SECRET, "GOOGLE_API_KEY": SECRET})
    assert registry.names() == ["gemini", "openrouter"]
    gemini = registry.get("gemini")
    assert gemini.source == "env" and gemini.key_env == "GOOGLE_API_KEY" and gemini.api_key == SECRET
    assert registry_of({}, {}).names() == []


def test_local_presets_are_left_to_detection():
    assert "ollama" not in registry_of({}, {"OLLAMA_HOST": "127.0.0.1:1"})


def test_env_interpolation_of_key_and_base():
    registry = registry_of({
        "gw": {"type": "litellm", "api_base": "${GW_URL}/v1", "api_key": "${GW_KEY}"},
        "lost": {"type": "openai", "api_key": "${NOT_SET}"},
        "literal": {"type": "openai", "api_key": SECRET},
    }, {"GW_URL": "http://gateway.internal:4000", "GW_KEY": SECRET})
    gw = registry.get("gw")
    assert gw.api_base == "http://gateway.internal:4000/v1" and gw.api_key == SECRET and gw.key_env == "GW_KEY"
    lost = registry.get("lost")
    assert lost.api_key is None and lost.key_problem == "NOT_SET is not set" and lost.key_env == "NOT_SET"
    assert registry.get("literal").key_env is None and registry.get("literal").api_key == SECRET


def test_ollama_host_moves_both_the_preset_and_a_configured_ollama():
    registry = registry_of({"mine": {"type": "ollama"}}, {"OLLAMA_HOST": "0.0.0.0:11500"})
    assert registry.get("mine").api_base == "http://127.0.0.1:11500/v1"
    assert registry.provider("ollama", {"OLLAMA_HOST": "box:9"}).api_base == "http://box:9/v1"


def test_an_unknown_type_is_a_config_error_with_did_you_mean():
    with pytest.raises(ConfigError) as caught:
        registry_of({"x": {"type": "opnai"}})
    [problem] = caught.value.problems
    assert problem.json_path == "providers.x.type"
    assert "'openai'" in problem.fix


def test_an_unknown_default_provider_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        registry_of({"a": {"type": "openai"}}, default_provider="b")
    assert caught.value.problems[0].json_path == "default_provider"


def test_a_litellm_type_is_accepted_without_importing_litellm():
    code = (
        "import sys, json\n"
        "from amux_tui.config import AmuxConfig\n"
        "from amux_tui.providers.registry import ProviderRegistry\n"
        "c = AmuxConfig.model_validate({'providers': {'t': {'type': 'together_ai', 'models': ['m']}}})\n"
        "r = ProviderRegistry.from_config(c, {})\n"
        "p, m = r.select(None, 'fireworks_ai/llama', env={})\n"
        "print(json.dumps([r.get('t').via_litellm, r.get('t').litellm_model('m'), p.name, m, 'litellm' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == [True, "together_ai/m", "fireworks_ai", "llama", False]


def test_select_by_prefix():
    registry = registry_of({"work": {"type": "openrouter", "default_model": "x/y"}}, default_provider="work")
    assert registry.select(None, None, env={})[0].name == "work"
    provider, model = registry.select(None, "openrouter/anthropic/claude-sonnet-4", env={})
    assert (provider.name, model) == ("openrouter", "anthropic/claude-sonnet-4")
    provider, model = registry.select(None, "work/a/b", env={})
    assert (provider.name, model) == ("work", "a/b")
    provider, model = registry.select(None, "groq/llama-3.3-70b", env={})
    assert (provider.name, provider.source, model) == ("groq", "dynamic", "llama-3.3-70b")


def test_an_org_model_name_goes_to_the_default_provider():
    """vLLM / OpenRouter style "org/model" names are model names, not unknown providers."""
    registry = registry_of({"gpu": {"type": "vllm", "api_base": "http://10.0.0.5:8000/v1"}}, default_provider="gpu")
    provider, model = registry.select(None, "Qwen/Qwen3-Coder-30B", env={})
    assert (provider.name, model) == ("gpu", "Qwen/Qwen3-Coder-30B")


def test_a_near_miss_of_a_known_prefix_says_did_you_mean():
    registry = registry_of({"work": {"type": "openrouter"}}, default_provider="work")
    with pytest.raises(SelectionError, match="did you mean 'openrouter'"):
        registry.select(None, "opnrouter/anthropic/claude", env={})


def test_unknown_provider_name():
    with pytest.raises(SelectionError, match="unknown provider 'nonesuch'"):
        registry_of({}).provider("nonesuch")


def test_litellm_only_provider_passes_the_model_through():
    provider, model = registry_of({}).select(None, "vertex_ai/gemini-2.5-pro", env={})
    assert provider.via_litellm and provider.litellm_model(model) == "vertex_ai/gemini-2.5-pro"


def test_the_key_is_never_in_public_output_or_repr():
    provider = registry_of({"o": {"type": "openai", "api_key": SECRET}}).get("o")
    assert SECRET not in json.dumps(provider.to_public_dict())
    assert SECRET not in repr(provider)
    assert provider.to_public_dict()["key"] == provider.masked_key != "none"


def test_cloud_sdk_credentials_make_a_preset_appear_but_are_not_passed_as_a_key():
    """LiteLLM reads AWS/Google credentials itself; an access key id is not an API key."""
    registry = registry_of({}, {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "VERTEXAI_PROJECT": "p"})
    assert registry.names() == ["bedrock", "vertex_ai"]
    assert all(p.api_key is None and p.key_problem is None and p.via_litellm for p in registry)
    configured = registry_of({"b": {"type": "bedrock", "params": {"aws_region_name": "eu-west-1"}}}).get("b")
    assert configured.api_key is None and configured.key_problem is None
