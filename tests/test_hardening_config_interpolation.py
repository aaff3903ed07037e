"""Hardening (issue 13, item 10): an ``api_base`` made by ``${VAR}`` is validated after interpolation.

A CR/LF inside the variable used to become a header of its own upstream (``X-Injected: yes``), and
``file:///etc/passwd`` was accepted. Now either is the usual config error (file, JSON path, fix) and
exit code 2, before anything is sent; a well-formed variable still works."""

from __future__ import annotations

import json

import pytest

from provider_servers import isolated_env, run_amux


def write_config(home, api_base: str) -> str:
    path = home / "config" / "amux" / "providers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "providers": {"fx": {
        "type": "openai", "api_base": api_base, "api_format": "openai-chat", "api_key": "sk-test-123456789"}}}))
    return str(path)


@pytest.mark.parametrize("value,problem", [
    ("http://127.0.0.1:9/v1\r\nX-Injected: yes", "control characters"),
    ("file:///etc/passwd", "must start with http:// or https://"),
    ("http:///v1", "must name a host"),
])
@pytest.mark.parametrize("command", [["providers"], ["proxy", "--provider", "fx", "--model", "m"]])
async def test_an_interpolated_api_base_is_checked_like_a_literal_one(tmp_path, value, problem, command):
    path = write_config(tmp_path, "${FX_BASE}")
    run = await run_amux(*command, env=isolated_env(tmp_path, FX_BASE=value, AMUX_STATE_DIR=str(tmp_path / "s")),
                         timeout=30)
    assert run.code == 2, (run.stdout, run.stderr)
    assert path in run.stderr and "providers.fx.api_base" in run.stderr and problem in run.stderr
    assert "fix: set FX_BASE to the endpoint's base URL" in run.stderr
    assert run.stdout == ""


async def test_a_literal_api_base_with_a_control_character_is_refused(tmp_path):
    path = write_config(tmp_path, "http://127.0.0.1:9/v1\r\nX-Injected: yes")
    run = await run_amux("providers", env=isolated_env(tmp_path), timeout=30)
    assert run.code == 2 and path in run.stderr and "control characters" in run.stderr


async def test_a_well_formed_variable_still_works(tmp_path):
    write_config(tmp_path, "${FX_BASE}/v1")
    run = await run_amux("providers", "--json", env=isolated_env(tmp_path, FX_BASE="http://127.0.0.1:9"), timeout=30)
    assert run.code == 0, run.stderr
    fx = next(entry for entry in run.json()["providers"] if entry["name"] == "fx")
    assert fx["api_base"] == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize("value,problem", [
    ("http://127.0.0.1:abc/v1", "port"),
    ("http://127.0.0.1:99999/v1", "port"),
    ("http://[::1/v1", "not a URL"),
    ("http://:8080/v1", "must name a host"),
])
@pytest.mark.parametrize("command", [["providers"], ["launch", "shell", "--provider", "fx", "--model", "m", "--dry-run"]])
async def test_an_api_base_with_a_bad_port_or_host_is_a_config_error_not_a_traceback(tmp_path, value, problem, command):
    path = write_config(tmp_path, value)
    run = await run_amux(*command, env=isolated_env(tmp_path, AMUX_STATE_DIR=str(tmp_path / "s")), timeout=30)
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and path in run.stderr and "providers.fx.api_base" in run.stderr
    assert problem in run.stderr, run.stderr
