"""`amux providers [--json] [--check]` as a child process, against local provider servers, with a
temporary HOME / XDG_CONFIG_HOME so the real user's config and keys are never read."""

import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provider_servers import REPO_ROOT, FakeModel, isolated_env, provider_server, run_amux  # noqa: F401 - fixture

SECRET = "sk-cli-secret-0123456789abcdef"
PUBLIC_KEYS = {"name", "type", "api_base", "api_format", "via_litellm", "key", "key_env", "key_problem", "models",
               "default_model", "small_model", "params", "local", "source", "notes", "default", "health"}


def write_config(path, providers, **top):
    path.write_text(json.dumps({"version": 1, **top, "providers": providers}))
    return path


async def test_json_lists_configured_env_and_detected_providers_without_secrets(provider_server, tmp_path):
    ollama = await provider_server("ollama", models=[FakeModel("llama3.2:latest")])
    config = write_config(tmp_path / "providers.json", {
        "work": {"type": "openrouter", "api_key": "${WORK_KEY}", "models": ["a/b"], "params": {"num_retries": 2}},
        "bedrock": {"type": "bedrock", "params": {"aws_region_name": "eu-west-1"}},
    }, default_provider="work")
    env = isolated_env(tmp_path, WORK_KEY=SECRET, ANTHROPIC_API_KEY=SECRET + "-ant", OLLAMA_HOST=ollama.origin)
    run = await run_amux("providers", "--json", "--config", str(config), env=env)
    assert run.code == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    document = run.json()
    assert set(document) == {"config", "default_provider", "providers"}
    assert document["config"] == str(config) and document["default_provider"] == "work"
    entries = {entry["name"]: entry for entry in document["providers"]}
    assert list(entries) == ["work", "bedrock", "anthropic", "ollama"]
    assert all(set(entry) == PUBLIC_KEYS for entry in entries.values())
    work = entries["work"]
    assert work["default"] is True and work["key_env"] == "WORK_KEY" and work["key"].startswith("sk-c")
    assert work["api_format"] == ["openai-chat"] and work["params"] == ["num_retries"] and work["health"] is None
    assert entries["bedrock"]["via_litellm"] is True and entries["bedrock"]["api_format"] == []
    assert entries["anthropic"]["source"] == "env"
    assert entries["ollama"]["source"] == "detected" and entries["ollama"]["models"] == ["llama3.2:latest"]


async def test_check_reports_health_latency_and_fails_when_a_provider_fails(provider_server, tmp_path):
    good = await provider_server("openai", api_key=SECRET)
    wrong_key = await provider_server("anthropic", api_key="another-key-entirely")
    slow = await provider_server("gemini", behaviour="slow", delay=30)
    config = write_config(tmp_path / "p.json", {
        "good": {"type": "openai", "api_base": good.url, "api_key": "${KEY}"},
        "wrong": {"type": "anthropic", "api_base": wrong_key.url, "api_key": "${KEY}"},
        "slow": {"type": "gemini", "api_base": slow.url, "api_key": "${KEY}"},
        "cloud": {"type": "vertex_ai", "params": {"vertex_project": "p", "vertex_location": "us-central1"}},
    })
    run = await run_amux("providers", "--check", "--json", "--config", str(config), env=isolated_env(tmp_path, KEY=SECRET))
    assert run.code == 1, run.stderr
    assert SECRET not in run.stdout + run.stderr
    health = {entry["name"]: entry["health"] for entry in run.json()["providers"]}
    assert {name: h["status"] for name, h in health.items()} == {
        "good": "ok", "wrong": "auth_failed", "slow": "unreachable", "cloud": "unknown"}
    assert health["good"]["latency_ms"] > 0 and health["wrong"]["latency_ms"] > 0
    assert health["slow"]["latency_ms"] is None and health["cloud"]["latency_ms"] is None
    assert all(set(h) == {"status", "latency_ms", "detail"} for h in health.values())


async def test_check_text_table_is_aligned_and_exit_0_when_all_ok(provider_server, tmp_path):
    one = await provider_server("openai")
    two = await provider_server("anthropic", api_key=SECRET)
    config = write_config(tmp_path / "p.json", {
        "local-openai": {"type": "openai", "api_base": one.url, "api_key": "unused"},
        "claude": {"type": "anthropic", "api_base": two.url, "api_key": SECRET},
    }, default_provider="claude")
    run = await run_amux("providers", "--check", "--config", str(config), env=isolated_env(tmp_path))
    assert run.code == 0, run.stderr
    assert SECRET not in run.stdout
    lines = run.stdout.splitlines()
    header, rows = lines[0], lines[1:3]
    for column in ("TYPE", "API FORMAT", "HEALTH", "LATENCY"):
        assert all(row[header.index(column) - 2:header.index(column)] == "  " for row in rows), column
    assert rows[0].startswith("local-openai ") and rows[1].startswith("claude* ")
    assert all(" ok " in row and " ms " in row for row in rows)
    assert "config: " + str(config) in run.stdout


async def test_no_config_and_no_keys_says_what_to_do(tmp_path):
    run = await run_amux("providers", env=isolated_env(tmp_path))
    assert run.code == 0
    assert run.stdout == ""
    assert "ANTHROPIC_API_KEY" in run.stderr and "providers.json" in run.stderr


async def test_amux_config_variable_is_used(tmp_path):
    config = write_config(tmp_path / "elsewhere.json", {"viaenv": {"type": "groq", "api_key": "gsk-0123456789abcdef"}})
    run = await run_amux("providers", "--json", env=isolated_env(tmp_path, AMUX_CONFIG=str(config)))
    assert run.code == 0, run.stderr
    assert [entry["name"] for entry in run.json()["providers"]] == ["viaenv"]


BAD_CONFIGS = {
    "syntax": ('{"providers": {"x": {"type": "openai",}}}', "", "not valid JSON"),
    "api_format": ('{"providers": {"or": {"type": "openrouter", "api_format": "a2a"}}}', "providers.or.api_format",
                   "openai-chat"),
    "api_base": ('{"providers": {"openrouter": {"type": "openrouter", "api_base": "openrouter.ai/api"}}}',
                 "providers.openrouter.api_base", "http"),
    "default": ('{"default_provider": "nope", "providers": {"a": {"type": "openai"}}}', "default_provider", "use one of: a"),
    "bytes": (b"\xff\xfe\x00garbage\x80", "", "UTF-8"),
    "top-level": ("[1, 2, 3]", "", "wrap it"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
async def test_bad_config_exits_2_names_file_path_and_fix_and_leaves_the_file_alone(tmp_path, case):
    content, json_path, fix_words = BAD_CONFIGS[case]
    config = tmp_path / "bad.json"
    if isinstance(content, bytes):
        config.write_bytes(content)
    else:
        config.write_text(content)
    before = (config.read_bytes(), os.stat(config).st_mtime_ns)
    run = await run_amux("providers", "--config", str(config), env=isolated_env(tmp_path))
    assert run.code == 2
    assert run.stdout == ""
    assert str(config) in run.stderr
    assert "Traceback" not in run.stderr
    assert (json_path + ":" if json_path else "(file):") in run.stderr
    assert "fix:" in run.stderr and fix_words in run.stderr
    assert (config.read_bytes(), os.stat(config).st_mtime_ns) == before


async def test_missing_named_config_exits_2(tmp_path):
    run = await run_amux("providers", "--config", str(tmp_path / "nope.json"), env=isolated_env(tmp_path))
    assert run.code == 2 and "file not found" in run.stderr


wrong = st.integers() | st.booleans() | st.lists(st.integers(), max_size=2) | st.text(
    alphabet="abc:/ ", max_size=8).filter(lambda s: s not in ("", "1"))
generated_bad = st.one_of(
    st.builds(lambda v: {"version": v}, wrong),
    st.builds(lambda v: {"providers": {"p": {"type": v}}}, wrong.filter(lambda v: not isinstance(v, str))),
    st.builds(lambda v: {"providers": {"p": {"type": "openai", "api_base": v}}}, wrong),
    st.builds(lambda v: {"providers": {"p": {"type": "openai", "api_format": v}}}, wrong),
    st.builds(lambda v: {"providers": {"p": {"type": "openai", "params": v}}}, wrong),
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=generated_bad)
def test_generated_bad_files_through_the_cli(tmp_path, document):
    config = tmp_path / "generated.json"
    config.write_text(json.dumps(document))
    before = config.read_bytes()
    env = isolated_env(tmp_path)
    run = subprocess.run([sys.executable, "-m", "amux_tui.cli", "providers", "--config", str(config)], env=env,
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, (document, run.stdout, run.stderr)
    assert str(config) in run.stderr and "fix:" in run.stderr and "Traceback" not in run.stderr
    assert config.read_bytes() == before


async def test_check_names_a_missing_key_variable(tmp_path):
    config = write_config(tmp_path / "p.json", {"hosted": {"type": "anthropic", "api_key": "${AMUX_TEST_UNSET}"}})
    run = await run_amux("providers", "--check", "--json", "--config", str(config), env=isolated_env(tmp_path))
    assert run.code == 1, run.stderr
    health = run.json()["providers"][0]["health"]
    assert health["status"] == "auth_failed"
    assert health["detail"].startswith("AMUX_TEST_UNSET is not set: the health check needs it")
