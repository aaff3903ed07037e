"""providers.json written from the dashboard: validated, atomic, a .bak kept, broken files protected."""

import json
import os

import pytest

from amux_tui.config.errors import ConfigError
from amux_tui.config.models import ProviderConfig
from amux_tui.ui.backend.config_store import BrokenConfigFile, ConfigStore


def test_new_file_is_created_with_private_permissions(tmp_path):
    path = tmp_path / "amux" / "providers.json"
    store = ConfigStore(path)
    config = store.save_provider("router", ProviderConfig(type="openrouter", api_key="${OPENROUTER_API_KEY}"),
                                 make_default=True)
    assert config.default_provider == "router"
    written = json.loads(path.read_text())
    assert written["providers"]["router"] == {"type": "openrouter", "api_key": "${OPENROUTER_API_KEY}"}
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not store.backup_path.exists()


def test_edit_keeps_other_providers_as_written_and_a_backup(tmp_path):
    path = tmp_path / "providers.json"
    original = {"version": 1, "default_provider": "old",
                "providers": {"old": {"type": "ollama", "models": ["a", "b"]},
                              "other": {"type": "groq", "api_key": "${GROQ_API_KEY}", "params": {"num_retries": 3}}}}
    path.write_text(json.dumps(original))
    store = ConfigStore(path)
    store.save_provider("new", ProviderConfig(type="ollama", default_model="b"), replaces="old")
    written = json.loads(path.read_text())
    assert "old" not in written["providers"]
    assert written["default_provider"] == "new"  # a rename follows the default
    assert written["providers"]["other"] == original["providers"]["other"]
    assert json.loads(store.backup_path.read_text()) == original
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_broken_file_is_not_overwritten_without_consent(tmp_path):
    path = tmp_path / "providers.json"
    path.write_text('{"providers": {"x": {"type": "openai",}}}')  # trailing comma
    store = ConfigStore(path)
    assert "not valid JSON" in (store.read().problem or "")
    with pytest.raises(BrokenConfigFile):
        store.save_provider("y", ProviderConfig(type="groq"))
    assert path.read_text() == '{"providers": {"x": {"type": "openai",}}}'
    store.save_provider("y", ProviderConfig(type="groq"), overwrite_broken=True)
    assert json.loads(path.read_text())["providers"] == {"y": {"type": "groq"}}
    assert store.backup_path.read_text() == '{"providers": {"x": {"type": "openai",}}}'


def test_a_result_that_does_not_validate_writes_nothing(tmp_path):
    path = tmp_path / "providers.json"
    path.write_text(json.dumps({"version": 1, "providers": {"a": {"type": "ollama"}}}))
    before = path.read_text()
    with pytest.raises(ConfigError):
        ConfigStore(path).save_provider("bad/name", ProviderConfig(type="ollama"))
    assert path.read_text() == before
    assert not ConfigStore(path).backup_path.exists()
