"""`amux providers add/remove` as child processes: the same validation, atomic write and .bak as the
dashboard's form, and a one-line setup that `amux providers` then lists."""

import json
import os

from provider_servers import isolated_env, run_amux


async def test_add_then_list_then_remove(tmp_path):
    env = isolated_env(tmp_path, ROUTER_KEY="sk-or-0123456789abcdef")
    add = await run_amux("providers", "add", "router", "--type", "openrouter", "--key-env", "ROUTER_KEY",
                         "--model", "openai/gpt-4o-mini", "--default", env=env)
    assert add.code == 0, add.stderr
    assert ".bak" not in add.stdout  # a new file: nothing to keep
    path = tmp_path / "config" / "amux" / "providers.json"
    written = json.loads(path.read_text())
    assert written["default_provider"] == "router"
    assert written["providers"]["router"] == {"type": "openrouter", "api_key": "${ROUTER_KEY}",
                                              "models": ["openai/gpt-4o-mini"], "default_model": "openai/gpt-4o-mini"}
    assert os.stat(path).st_mode & 0o777 == 0o600
    listed = await run_amux("providers", "--json", env=env)
    assert listed.code == 0, listed.stderr
    assert listed.json()["default_provider"] == "router"

    second = await run_amux("providers", "add", "box", "--type", "vllm", "--api-base", "http://127.0.0.1:8000/v1",
                            "--api-format", "openai-chat", env=env)
    assert second.code == 0, second.stderr
    assert "previous file kept as providers.json.bak" in second.stdout
    assert (path.parent / "providers.json.bak").exists()

    removed = await run_amux("providers", "remove", "router", env=env)
    assert removed.code == 0, removed.stderr
    written = json.loads(path.read_text())
    assert list(written["providers"]) == ["box"] and "default_provider" not in written
    missing = await run_amux("providers", "remove", "router", env=env)
    assert missing.code == 2 and "no provider named 'router'" in missing.stderr and "box" in missing.stderr
    assert "invalid" not in missing.stderr  # the file is fine: the name is the mistake


async def test_invalid_provider_is_refused_and_nothing_written(tmp_path):
    env = isolated_env(tmp_path)
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"version": 1, "providers": {"local": {"type": "ollama"}}}))
    before = config.read_text()
    cases = [
        (["--type", "opnrouter"], ["providers.router.type", "did you mean 'openrouter'?"]),  # no LiteLLM noise
        (["--type", "opnai"], ["did you mean 'openai'?"]),  # not "'openai' or 'openai_like' or 'topaz'"
        (["--type", "sagemakr"], ["did you mean 'sagemaker'"]),  # LiteLLM's names when no preset is close
        (["--type", "openai", "--api-format", "openai-chatt"], ["unknown api_format 'openai-chatt'", "openai-chat"]),
        (["--type", "openai", "--api-base", "api.example.com"], ["api_base", "http://"]),
        (["--type", "openai", "--key-env", "MY KEY"], ["api_key", "${ENV_VAR}"]),
    ]
    for extra, expected in cases:
        run = await run_amux("providers", "add", "router", *extra, "--config", str(config), env=env)
        assert run.code == 2, (extra, run.stderr)
        for text in expected:
            assert text in run.stderr, (extra, run.stderr)
        assert "not written" in run.stderr
        assert config.read_text() == before
    assert not (tmp_path / "providers.json.bak").exists()


async def test_existing_name_needs_replace(tmp_path):
    env = isolated_env(tmp_path)
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"version": 1, "providers": {"local": {"type": "ollama"}}}))
    run = await run_amux("providers", "add", "local", "--type", "lmstudio", "--config", str(config), env=env)
    assert run.code == 2 and "--replace" in run.stderr
    assert json.loads(config.read_text())["providers"]["local"] == {"type": "ollama"}
    run = await run_amux("providers", "add", "local", "--type", "lmstudio", "--replace", "--config", str(config), env=env)
    assert run.code == 0, run.stderr
    assert json.loads(config.read_text())["providers"]["local"] == {"type": "lmstudio"}
