"""`amux doctor` as a user runs it: real subprocess, temp HOME, temp configs."""

import asyncio
import json
import os
import subprocess
import sys

import pytest
from provider_servers import provider_server  # noqa: F401 - fixture


def run_doctor(tmp_path, *args, config_text=None, extra_env=None):
    env = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "xdg"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               OLLAMA_HOST="127.0.0.1:9", PATH=os.environ.get("PATH", ""))
    env.pop("AMUX_CONFIG", None)
    env.update(extra_env or {})
    argv = [sys.executable, "-m", "amux_tui.cli", "doctor", *args]
    if config_text is not None:
        config = tmp_path / "providers.json"
        config.write_text(config_text)
        argv += ["--config", str(config)]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def test_invalid_config_exits_2_and_names_path_and_fix(tmp_path):
    text = '{"providers": {"openrouter": {"type": "openrouter", "api_base": "ftp://x"}}}'
    result = run_doctor(tmp_path, config_text=text)
    assert result.returncode == 2
    assert "providers.openrouter.api_base" in result.stdout
    assert "fix:" in result.stdout
    assert (tmp_path / "providers.json").read_text() == text


def test_missing_key_fails_with_the_variable_to_export(tmp_path):
    text = '{"providers": {"or": {"type": "openrouter", "api_key": "${AMUX_TEST_UNSET_KEY}"}}}'
    result = run_doctor(tmp_path, config_text=text)
    assert result.returncode == 1
    assert "or: AMUX_TEST_UNSET_KEY is not set" in result.stdout
    assert "export AMUX_TEST_UNSET_KEY=" in result.stdout


async def test_json_output_is_stable_and_masks_keys(tmp_path, provider_server):
    secret = "sk-test-0123456789abcdefghij"
    server = await provider_server("openai", api_key=secret)
    text = json.dumps({"providers": {"or": {"type": "openrouter", "api_base": server.url, "api_key": "${OR_KEY}"}}})
    result = await asyncio.to_thread(run_doctor, tmp_path, "--json", config_text=text, extra_env={"OR_KEY": secret})
    assert secret not in result.stdout
    report = json.loads(result.stdout)
    assert set(report) == {"checks", "ok"}
    areas = {check["area"] for check in report["checks"]}
    assert {"python", "config", "providers", "harness", "proxy"} <= areas
    for check in report["checks"]:
        assert set(check) == {"area", "status", "summary", "fix"}
        assert check["status"] in {"ok", "warn", "fail"}
    provider = next(c for c in report["checks"] if c["area"] == "providers")
    assert provider["status"] == "ok" and "sk-t" in provider["summary"]


@pytest.mark.parametrize("variable", ["AMUX_CONFIG"])
def test_config_from_environment_variable(tmp_path, variable):
    config = tmp_path / "elsewhere.json"
    config.write_text('{"version": 1, "providers": {}}')
    result = run_doctor(tmp_path, extra_env={variable: str(config)})
    assert str(config) in result.stdout


def test_an_unreachable_provider_fails_and_exits_1(tmp_path):
    text = '{"providers": {"down": {"type": "vllm", "api_base": "http://127.0.0.1:1/v1"}}}'
    result = run_doctor(tmp_path, config_text=text)
    assert result.returncode == 1, result.stdout
    line = next(line for line in result.stdout.splitlines() if "down (vllm" in line)
    assert line.startswith("[FAIL]") and "unreachable" in line


def test_shell_counts_as_a_harness_and_missing_agents_are_warnings(tmp_path):
    text = '{"providers": {}}'
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    result = run_doctor(tmp_path, config_text=text, extra_env={"PATH": f"{empty_bin}:/usr/bin:/bin",
                                                               "AMUX_HARNESS_BIN": str(empty_bin)})
    harness_lines = [line for line in result.stdout.splitlines() if " harness " in line]
    assert any(line.startswith("[ok  ]") and "shell" in line for line in harness_lines), result.stdout
    assert not any(line.startswith("[FAIL]") for line in harness_lines), result.stdout
    assert "[warn] harness   no agent CLI is installed (only shell can be launched)" in result.stdout
    assert "npm install" in result.stdout
