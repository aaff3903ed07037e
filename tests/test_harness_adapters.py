"""Each adapter's env / args / files for an endpoint and for a native provider: secrets stay in the
environment, files stay in amux's own directories, native launches never replace the user's config."""

import json
from pathlib import Path

import pytest

from amux_tui.config.formats import API_FORMATS
from amux_tui.harnesses.base import Endpoint, FileSeed, NativeTarget
from amux_tui.harnesses.endpoints import proxy_urls
from amux_tui.harnesses.gemini import compression_threshold
from amux_tui.harnesses.locations import write_seed
from amux_tui.harnesses.registry import ADAPTERS, get_adapter
from amux_tui.harnesses.errors import LaunchError
from amux_tui.providers.resolved import ResolvedProvider

TOKEN = "amux-abc123-Sup3rSecretTokenValue0123456789"
HOME_VARS = {"CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "QWEN_HOME", "HOME"}


def endpoint(api_format="anthropic-messages", **overrides):
    fields = dict(base_url=proxy_urls("http://127.0.0.1:4321")[api_format], api_format=api_format, token=TOKEN, model="qwen3:8b",
                  small_model="qwen3:1.7b", context_window=32768, max_output_tokens=8192, reasoning_effort="high",
                  supports_tools=True, via_proxy=True, all_formats=proxy_urls("http://127.0.0.1:4321"))
    fields.update(overrides)
    return Endpoint(**fields)


def setup_for(name, tmp_path, **overrides):
    adapter = ADAPTERS[name]
    ep = endpoint(adapter.protocols[0], **overrides)
    return adapter.endpoint_setup(ep, home=tmp_path / "home", session_dir=tmp_path / "session", cwd=tmp_path / "work")


@pytest.mark.parametrize("name", list(ADAPTERS))
def test_token_travels_only_in_the_environment(name, tmp_path):
    setup = setup_for(name, tmp_path)
    assert not any(TOKEN in arg for arg in setup.args), "a secret in argv is visible in ps"
    for seed in setup.files:
        text = seed.content if isinstance(seed.content, str) else json.dumps(seed.content)
        assert TOKEN not in text
    holders = {var for var, value in setup.env.items() if TOKEN in value}
    assert holders, "the harness never gets its token"
    assert holders <= setup.secret_env, f"{holders - setup.secret_env} hold the token but are not marked secret"


@pytest.mark.parametrize("name", list(ADAPTERS))
def test_files_stay_in_amux_directories(name, tmp_path):
    setup = setup_for(name, tmp_path)
    for seed in setup.files:
        assert seed.path.is_relative_to(tmp_path / "home") or seed.path.is_relative_to(tmp_path / "session")


@pytest.mark.parametrize("name,ptype", [(name, ptype) for name, a in ADAPTERS.items() for ptype in sorted(a.native_providers)])
def test_native_launch_keeps_the_users_config_dir(name, ptype, tmp_path):
    provider = ResolvedProvider(name=ptype, type=ptype, api_base=None, api_formats=(), api_key="user-key-0123456789abc")
    setup = ADAPTERS[name].native_setup(NativeTarget(provider, "some-model", {}, tmp_path / "session"))
    assert not HOME_VARS & set(setup.env)
    # The user's own credentials and settings stay; only CI (which turns Gemini's TUI off) may go.
    assert set(setup.unset_env) <= {"CI"}
    assert all(seed.path.is_relative_to(tmp_path / "session") for seed in setup.files)
    holders = {var for var, value in setup.env.items() if "user-key-0123456789abc" in value}
    assert holders <= setup.secret_env


def test_native_key_is_not_repeated_when_already_inherited(tmp_path):
    provider = ResolvedProvider(name="anthropic", type="anthropic", api_base="https://api.anthropic.com",
                                api_formats=("anthropic-messages",), api_key="sk-ant-same")
    target = NativeTarget(provider, "claude-sonnet-4-5", {"ANTHROPIC_API_KEY": "sk-ant-same"}, tmp_path)
    setup = ADAPTERS["claude"].native_setup(target)
    assert "ANTHROPIC_API_KEY" not in setup.env
    assert setup.args == ["--model", "claude-sonnet-4-5"]


def test_claude_proxied_uses_bearer_token_aliases_and_context_window(tmp_path):
    setup = setup_for("claude", tmp_path)
    env = setup.env
    assert env["ANTHROPIC_AUTH_TOKEN"] == TOKEN and "ANTHROPIC_API_KEY" not in env
    assert "ANTHROPIC_API_KEY" in setup.unset_env
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:4321"
    assert env["ANTHROPIC_MODEL"] == env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == env["ANTHROPIC_DEFAULT_OPUS_MODEL"] == "qwen3:8b"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == env["ANTHROPIC_SMALL_FAST_MODEL"] == "qwen3:1.7b"
    assert env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] == "32768"
    assert env["CLAUDE_CODE_EFFORT_LEVEL"] == "high"
    assert env["CLAUDE_CONFIG_DIR"] == str(tmp_path / "home")
    (seed,) = setup.files
    assert seed.mode == "merge-json" and seed.path == tmp_path / "home" / ".claude.json"
    assert "hasTrustDialogAccepted" not in seed.content["projects"][str(tmp_path / "work")]  # see test_harness_trust
    assert ADAPTERS["claude"].alias_map("big", "small") == {"sonnet": "big", "opus": "big", "haiku": "small"}


def test_claude_direct_sends_api_key_and_preapproves_it(tmp_path):
    setup = setup_for("claude", tmp_path, via_proxy=False)
    assert setup.env["ANTHROPIC_API_KEY"] == TOKEN and "ANTHROPIC_AUTH_TOKEN" not in setup.env
    assert "ANTHROPIC_AUTH_TOKEN" in setup.unset_env and "ANTHROPIC_API_KEY" not in setup.unset_env
    assert setup.files[0].content["customApiKeyResponses"]["approved"] == [TOKEN[-20:]]


def test_merge_json_seed_keeps_the_harness_state(tmp_path):
    path = tmp_path / ".claude.json"
    path.write_text(json.dumps({"numStartups": 7, "projects": {"/other": {"hasTrustDialogAccepted": True}},
                                "customApiKeyResponses": {"approved": ["old"]}}))
    write_seed(FileSeed(path, {"hasCompletedOnboarding": True, "projects": {"/work": {"hasTrustDialogAccepted": True}},
                               "customApiKeyResponses": {"approved": ["new"]}}, "merge-json"))
    data = json.loads(path.read_text())
    assert data["numStartups"] == 7 and data["hasCompletedOnboarding"] is True
    assert set(data["projects"]) == {"/other", "/work"}
    assert data["customApiKeyResponses"]["approved"] == ["old", "new"]
    assert path.stat().st_mode & 0o077 == 0


def test_codex_custom_provider_is_given_as_overrides(tmp_path):
    setup = setup_for("codex", tmp_path)
    args = setup.args
    pairs = [args[i + 1] for i, arg in enumerate(args) if arg == "-c"]
    assert 'model_provider="amux"' in pairs
    assert 'model_providers.amux.base_url="http://127.0.0.1:4321/v1"' in pairs
    assert 'model_providers.amux.env_key="AMUX_CODEX_API_KEY"' in pairs
    assert 'model_providers.amux.wire_api="responses"' in pairs
    assert "model_context_window=32768" in pairs and 'model_reasoning_effort="high"' in pairs
    assert args[args.index("-m") + 1] == "qwen3:8b"
    assert setup.env["CODEX_HOME"] == str(tmp_path / "home") and setup.env["AMUX_CODEX_API_KEY"] == TOKEN


def test_gemini_settings_live_in_amuxs_gemini_home(tmp_path):
    setup = setup_for("gemini", tmp_path)
    (seed,) = setup.files
    assert seed.path == tmp_path / "home" / ".gemini" / "settings.json" and seed.mode == "merge-json"
    assert seed.content["security"]["auth"]["selectedType"] == "gemini-api-key"
    assert seed.content["model"]["compressionThreshold"] == compression_threshold(32768)
    assert setup.env["GOOGLE_GEMINI_BASE_URL"] == "http://127.0.0.1:4321"
    assert setup.env["GEMINI_CLI_HOME"] == str(tmp_path / "home")
    assert "GOOGLE_API_KEY" in setup.unset_env
    assert setup.args == ["-m", "qwen3:8b"]


def test_gemini_sessions_drop_ci_which_turns_its_tui_off(tmp_path):
    # With CI set, Gemini CLI's TUI exits at once ("No input provided via stdin") even in a real PTY.
    assert "CI" in setup_for("gemini", tmp_path).unset_env
    native = ADAPTERS["gemini"].native_setup(NativeTarget(
        ResolvedProvider(name="gemini", type="gemini", api_base=None, api_formats=("gemini",), api_key="k"),
        "gemini-2.5-pro", {"CI": "true"}, tmp_path / "session"))
    assert "CI" in native.unset_env


def test_gemini_compression_threshold_scales_with_the_real_window():
    assert compression_threshold(1_048_576) == 0.5
    assert compression_threshold(2_000_000) == 0.5  # never later than its own default
    assert compression_threshold(32768) == pytest.approx(0.5 * 32768 / 1_048_576, abs=1e-4)
    assert compression_threshold(100) == 0.001


@pytest.mark.parametrize("fmt,package,suffix", [("openai-chat", "@ai-sdk/openai-compatible", "/v1"),
                                                ("anthropic-messages", "@ai-sdk/anthropic", "/v1"),
                                                ("openai-responses", "@ai-sdk/openai", "/v1")])
def test_opencode_config_content_per_format(fmt, package, suffix, tmp_path):
    setup = ADAPTERS["opencode"].endpoint_setup(endpoint(fmt), home=tmp_path, session_dir=tmp_path,
                                                cwd=tmp_path)
    config = json.loads(setup.env["OPENCODE_CONFIG_CONTENT"])
    provider = config["provider"]["amux"]
    assert provider["npm"] == package
    assert provider["options"]["baseURL"] == "http://127.0.0.1:4321" + suffix
    assert provider["options"]["apiKey"] == "{env:AMUX_OPENCODE_API_KEY}"
    assert provider["models"]["qwen3:8b"]["limit"] == {"context": 32768, "output": 8192}
    assert config["model"] == "amux/qwen3:8b" and config["small_model"] == "amux/qwen3:1.7b"
    assert not setup.files and setup.env["AMUX_OPENCODE_API_KEY"] == TOKEN


def test_qwen_settings_layer_sets_window_and_disables_self_update(tmp_path):
    setup = setup_for("qwen", tmp_path)
    (seed,) = setup.files
    settings = json.loads(seed.content)
    assert settings["general"]["enableAutoUpdate"] is False
    assert settings["security"]["auth"]["selectedType"] == "openai"
    assert settings["model"]["generationConfig"]["contextWindowSize"] == 32768
    assert setup.env["QWEN_CODE_SYSTEM_SETTINGS_PATH"] == str(seed.path)
    assert setup.env["OPENAI_BASE_URL"] == "http://127.0.0.1:4321/v1" and setup.env["OPENAI_MODEL"] == "qwen3:8b"


def test_aider_gets_model_metadata_for_the_real_window(tmp_path):
    setup = setup_for("aider", tmp_path)
    (seed,) = setup.files
    assert setup.env["AIDER_MODEL_METADATA_FILE"] == str(seed.path)
    entry = json.loads(seed.content)["openai/qwen3:8b"]
    assert entry["max_input_tokens"] == 32768 and entry["max_output_tokens"] == 8192
    assert setup.env["AIDER_MODEL"] == "openai/qwen3:8b" and setup.env["AIDER_WEAK_MODEL"] == "openai/qwen3:1.7b"
    assert setup.env["AIDER_OPENAI_API_BASE"] == "http://127.0.0.1:4321/v1"


def test_aider_native_ollama_uses_litellm_names_and_server_address(tmp_path):
    provider = ResolvedProvider(name="ollama", type="ollama", api_base="http://127.0.0.1:11434/v1",
                                api_formats=("openai-chat",), litellm_prefix="ollama_chat", local=True)
    setup = ADAPTERS["aider"].native_setup(NativeTarget(provider, "qwen3:8b", {}, tmp_path, context_window=40960))
    assert setup.env["AIDER_MODEL"] == "ollama_chat/qwen3:8b"
    assert setup.env["OLLAMA_API_BASE"] == "http://127.0.0.1:11434"
    assert json.loads(setup.files[0].content)["ollama_chat/qwen3:8b"]["max_input_tokens"] == 40960


def test_shell_gets_every_format_the_proxy_serves(tmp_path):
    setup = setup_for("shell", tmp_path)
    env = setup.env
    assert env["OPENAI_BASE_URL"] == "http://127.0.0.1:4321/v1"
    assert env["ANTHROPIC_BASE_URL"] == env["GOOGLE_GEMINI_BASE_URL"] == "http://127.0.0.1:4321"
    assert env["OPENAI_API_KEY"] == env["ANTHROPIC_API_KEY"] == env["GEMINI_API_KEY"] == env["AMUX_API_KEY"] == TOKEN
    assert env["AMUX_MODEL"] == "qwen3:8b" and env["AMUX_API_FORMAT"] == API_FORMATS[0]


def test_shell_runs_the_command_after_dashes_or_the_users_shell():
    shell = ADAPTERS["shell"]
    assert shell.build_argv([], [], ["python", "-V"], {"SHELL": "/bin/zsh"}) == ["python", "-V"]
    assert shell.build_argv([], [], [], {"SHELL": "/bin/zsh"}) == ["/bin/zsh"]
    assert shell.build_argv([], [], [], {}) == ["/bin/sh"]


def test_every_adapter_declares_its_data():
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name and adapter.label and adapter.binary
        assert adapter.install.command and adapter.protocols
        assert set(adapter.protocols) <= set(API_FORMATS)
        if adapter.CAN_RESUME:
            assert adapter.resume_usage and adapter.resume_args(None)
        if adapter.install.manager == "npm":
            assert adapter.install.command == f"npm install -g {adapter.install.package}"


def test_unknown_harness_suggests_a_close_one():
    with pytest.raises(LaunchError) as raised:
        get_adapter("claud")
    assert "'claude'" in str(raised.value)
    assert get_adapter("claude-code").name == "claude"
