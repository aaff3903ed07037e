"""providers.json written by the dashboard's form and `amux providers add/remove`: validated whole,
atomic, a .bak kept, broken files protected, symlinks followed, concurrent writers merged, a file
holding a literal key made private."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amux_tui.config.errors import ConfigError
from amux_tui.config.models import ProviderConfig
from amux_tui.config.store import BrokenConfigFile, ConfigStore, ProviderExists
from amux_tui.providers.edit import provider_store


def test_new_file_is_created_with_private_permissions(tmp_path):
    path = tmp_path / "amux" / "providers.json"
    store = ConfigStore(path)
    config = store.save_provider("router", ProviderConfig(type="openrouter", api_key="${OPENROUTER_API_KEY}"),
                                 make_default=True).config
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


def test_unknown_type_is_refused_with_did_you_mean_and_nothing_is_written(tmp_path):
    path = tmp_path / "providers.json"
    path.write_text(json.dumps({"version": 1, "providers": {"a": {"type": "ollama"}}}))
    before = path.read_text()
    with pytest.raises(ConfigError) as caught:
        provider_store(path).save_provider("router", ProviderConfig(type="opnrouter"))
    problem = caught.value.problems[0]
    assert problem.json_path == "providers.router.type"
    assert "openrouter" in problem.fix
    assert path.read_text() == before and not provider_store(path).backup_path.exists()


def test_existing_name_is_not_replaced_unless_asked(tmp_path):
    path = tmp_path / "providers.json"
    store = provider_store(path)
    store.save_provider("local", ProviderConfig(type="ollama"))
    with pytest.raises(ProviderExists):
        store.save_provider("local", ProviderConfig(type="lmstudio"), replace_existing=False)
    assert json.loads(path.read_text())["providers"]["local"] == {"type": "ollama"}
    store.save_provider("local", ProviderConfig(type="lmstudio"), replace_existing=True)
    assert json.loads(path.read_text())["providers"]["local"] == {"type": "lmstudio"}


def test_a_symlinked_file_is_written_where_it_lives(tmp_path):
    real = tmp_path / "dotfiles" / "providers.json"
    real.parent.mkdir()
    real.write_text(json.dumps({"version": 1, "providers": {"a": {"type": "ollama"}}}))
    link = tmp_path / "config" / "providers.json"
    link.parent.mkdir()
    link.symlink_to(real)
    result = provider_store(link).save_provider("b", ProviderConfig(type="groq"))
    assert link.is_symlink() and result.path == real
    assert set(json.loads(real.read_text())["providers"]) == {"a", "b"}
    assert (real.parent / "providers.json.bak").exists()


def test_a_literal_key_makes_an_open_file_private_and_says_so(tmp_path):
    path = tmp_path / "providers.json"
    path.write_text(json.dumps({"version": 1, "providers": {"a": {"type": "ollama"}}}))
    path.chmod(0o644)
    referenced = provider_store(path).save_provider("b", ProviderConfig(type="groq", api_key="${GROQ_API_KEY}"))
    assert not referenced.made_private and os.stat(path).st_mode & 0o777 == 0o644
    literal = provider_store(path).save_provider("c", ProviderConfig(type="groq", api_key="gsk-literal-0123456789"))
    assert literal.made_private
    assert os.stat(path).st_mode & 0o777 == 0o600



def test_a_literal_secret_in_params_makes_an_open_file_private_too(tmp_path):
    """aws_secret_access_key, a service-account JSON, an Authorization header: secrets outside api_key."""
    path = tmp_path / "providers.json"
    harmless = {"type": "vertex_ai", "params": {"extra_headers": {"X-Title": "amux"}, "timeout": 30,
                                                 "vertex_credentials": "${HOME}/sa.json"}}
    for secret_params in ({"aws_secret_access_key": "wJalrXUtnFEMI-literal"},
                          {"extra_headers": {"Authorization": "Bearer sk-literal-0123456789"}},
                          {"vertex_credentials": '{"type": "service_account", "private_key": "-----BEGIN"}'}):
        path.write_text(json.dumps({"version": 1, "providers": {"a": harmless}}))
        path.chmod(0o644)
        assert not provider_store(path).save_provider("b", ProviderConfig(type="groq")).made_private
        assert os.stat(path).st_mode & 0o777 == 0o644
        document = json.loads(path.read_text())
        document["providers"]["hand"] = {"type": "bedrock", "params": secret_params}  # written by hand
        path.write_text(json.dumps(document))
        result = provider_store(path).save_provider("c", ProviderConfig(type="groq"))
        assert result.made_private, secret_params
        assert os.stat(path).st_mode & 0o777 == 0o600



def test_a_backup_of_a_file_with_a_literal_key_is_private_even_when_the_key_was_just_taken_out(tmp_path):
    path = tmp_path / "providers.json"
    path.write_text(json.dumps({"version": 1, "providers": {"a": {"type": "groq", "api_key": "gsk-literal-0123"}}}))
    path.chmod(0o644)  # written by hand, key and all
    result = provider_store(path).save_provider("a", ProviderConfig(type="groq", api_key="${GROQ_API_KEY}"))
    assert not result.made_private and os.stat(path).st_mode & 0o777 == 0o644  # no secret left in it
    backup = tmp_path / "providers.json.bak"
    assert "gsk-literal-0123" in backup.read_text()
    assert os.stat(backup).st_mode & 0o777 == 0o600  # the key the person just removed is not left readable


WRITER = """
import sys
from amux_tui.config.models import ProviderConfig
from amux_tui.providers.edit import provider_store
path, writer, saves = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(saves):
    provider_store(path).save_provider(f"w{writer}-{n}", ProviderConfig(type="ollama"))
"""


def test_concurrent_writers_in_separate_processes_keep_every_provider(tmp_path):
    path = tmp_path / "providers.json"
    writers, saves = 4, 40
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w), str(saves)],
                                  cwd=Path(__file__).resolve().parent.parent) for w in range(writers)]
    assert [process.wait(timeout=120) for process in processes] == [0] * writers
    providers = json.loads(path.read_text())["providers"]
    assert len(providers) == writers * saves
