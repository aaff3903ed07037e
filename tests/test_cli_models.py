"""`amux models PROVIDER [--json]` as a child process against local provider servers."""

import json

from provider_servers import FakeModel, isolated_env, provider_server, run_amux, unused_port  # noqa: F401

SECRET = "sk-models-cli-0123456789abcdef"


def write_config(path, providers):
    path.write_text(json.dumps({"providers": providers}))
    return path


async def test_json_live_list_with_context_windows(provider_server, tmp_path):
    server = await provider_server("gemini", api_key=SECRET, page_size=1,
                                   models=[FakeModel("gemini-2.5-pro", 1_048_576), FakeModel("gemini-2.5-flash", 1_048_576)])
    config = write_config(tmp_path / "p.json", {"g": {"type": "gemini", "api_base": server.url, "api_key": "${GKEY}"}})
    run = await run_amux("models", "g", "--json", "--config", str(config), env=isolated_env(tmp_path, GKEY=SECRET))
    assert run.code == 0, run.stderr
    assert run.json() == {"provider": "g", "source": "live", "error": None, "models": [
        {"id": "gemini-2.5-pro", "context_window": 1_048_576, "owned_by": "google"},
        {"id": "gemini-2.5-flash", "context_window": 1_048_576, "owned_by": "google"}]}


async def test_text_table(provider_server, tmp_path):
    server = await provider_server("openrouter", models=[FakeModel("anthropic/claude-sonnet-4", 200_000, "anthropic"),
                                                         FakeModel("x/y", None, "x")])
    config = write_config(tmp_path / "p.json", {"or": {"type": "openrouter", "api_base": server.url, "api_key": "k"}})
    run = await run_amux("models", "or", "--config", str(config), env=isolated_env(tmp_path))
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        "MODEL                      CONTEXT  OWNED BY",
        "anthropic/claude-sonnet-4  200,000  anthropic",
        "x/y                        -        x",
    ]


async def test_unreachable_falls_back_to_configured_models_with_a_note(tmp_path):
    config = write_config(tmp_path / "p.json", {"gone": {
        "type": "anthropic", "api_base": f"http://127.0.0.1:{unused_port()}", "api_key": "k", "models": ["claude-x"]}})
    run = await run_amux("models", "gone", "--json", "--config", str(config), env=isolated_env(tmp_path))
    assert run.code == 0
    document = run.json()
    assert document["source"] == "config" and document["error"]
    assert [m["id"] for m in document["models"]] == ["claude-x"]
    text = await run_amux("models", "gone", "--config", str(config), env=isolated_env(tmp_path))
    assert "claude-x" in text.stdout and "note: gone: live list unavailable" in text.stderr


async def test_no_live_list_and_nothing_configured_exits_1(provider_server, tmp_path):
    server = await provider_server("openai", behaviour="unauthorized")
    config = write_config(tmp_path / "p.json", {"o": {"type": "openai", "api_base": server.url, "api_key": SECRET}})
    run = await run_amux("models", "o", "--config", str(config), env=isolated_env(tmp_path))
    assert run.code == 1
    assert "HTTP 401" in run.stderr and SECRET not in run.stderr


async def test_provider_args_reach_the_request(provider_server, tmp_path):
    server = await provider_server("openai")
    config = write_config(tmp_path / "p.json", {"gw": {"type": "litellm", "api_base": server.url}})
    run = await run_amux("models", "gw", "--config", str(config), "--provider-arg", "extra_headers.X-Team=ml",
                         env=isolated_env(tmp_path))
    assert run.code == 0, run.stderr
    assert server.requests[0].headers["X-Team"] == "ml"


async def test_a_litellm_provider_that_is_not_configured_passes_through(tmp_path):
    run = await run_amux("models", "together_ai", "--json", env=isolated_env(tmp_path))
    assert run.code == 1  # nothing to list: LiteLLM-only and no configured models
    document = run.json()
    assert document["provider"] == "together_ai" and document["source"] == "config"
    assert "LiteLLM" in document["error"]


async def test_a_preset_that_is_not_configured_uses_its_variables(provider_server, tmp_path):
    ollama = await provider_server("ollama", models=[FakeModel("qwen3:8b", 40960)])
    run = await run_amux("models", "ollama", "--json", env=isolated_env(tmp_path, OLLAMA_HOST=ollama.origin))
    assert run.code == 0, run.stderr
    assert run.json()["models"] == [{"id": "qwen3:8b", "context_window": 40960, "owned_by": None}]


async def test_unknown_provider_exits_2_with_did_you_mean(tmp_path):
    config = write_config(tmp_path / "p.json", {"openrouter": {"type": "openrouter"}})
    run = await run_amux("models", "opnrouter", "--config", str(config), env=isolated_env(tmp_path), timeout=120)
    assert run.code == 2
    assert "did you mean 'openrouter'" in run.stderr
    assert "Traceback" not in run.stderr


async def test_missing_key_names_the_variable_instead_of_a_network_error(tmp_path):
    env = isolated_env(tmp_path)  # no ANTHROPIC_API_KEY
    run = await run_amux("models", "anthropic", env=env)
    assert run.code == 1
    assert "ANTHROPIC_API_KEY is not set" in run.stderr and "the live model list needs it" in run.stderr
    assert "cannot connect" not in run.stderr
    document = (await run_amux("models", "anthropic", "--json", env=env)).json()
    assert document["source"] == "config" and "export ANTHROPIC_API_KEY=" in document["error"]


async def test_provider_arg_mistakes_are_usage_errors_with_the_expected_type(tmp_path):
    env = isolated_env(tmp_path, ANTHROPIC_API_KEY="sk-ant-0123456789")
    run = await run_amux("models", "anthropic", "--provider-arg", "=1", env=env)
    assert run.code == 2
    assert "config" not in run.stderr and "--provider-arg '=1': write it as KEY=VALUE" in run.stderr
    run = await run_amux("models", "anthropic", "--provider-arg", "extra_headers=notanobject", env=env)
    assert run.code == 2
    assert "extra_headers must be an object of header names to string values" in run.stderr
