"""Loading providers.json: every field, lookup order, and errors that name the path and the fix."""

import json

import pytest

from amux_tui.config import API_FORMATS, ConfigError, find_config_path, load_config, parse_config

FULL = {
    "$schema": "./providers.schema.json",
    "version": 1,
    "default_provider": "openrouter",
    "providers": {
        "openrouter": {
            "type": "openrouter", "api_base": "https://openrouter.ai/api/v1/", "api_key": "${OPENROUTER_API_KEY}",
            "api_format": "openai-chat", "models": ["anthropic/claude-sonnet-4"], "default_model": "anthropic/claude-sonnet-4",
            "small_model": "anthropic/claude-haiku-4", "params": {"rpm": 60, "extra_headers": {"X-Title": "amux"}},
        },
        "bedrock": {"type": "bedrock", "params": {"aws_region_name": "eu-west-1"}},
        "multi": {"type": "litellm", "api_base": "http://127.0.0.1:4000/v1", "api_format": ["openai-responses", "openai-chat"]},
    },
}


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return {p.json_path: f"{p.message} | {p.fix}" for p in caught.value.problems}


def test_every_field_is_read():
    config = parse_config(json.dumps(FULL))
    assert config.default_provider == "openrouter"
    openrouter = config.providers["openrouter"]
    assert openrouter.api_base == "https://openrouter.ai/api/v1"  # trailing slash dropped
    assert openrouter.api_key == "${OPENROUTER_API_KEY}"  # interpolated later, per provider
    assert openrouter.api_formats() == ("openai-chat",)
    assert openrouter.params == {"rpm": 60, "extra_headers": {"X-Title": "amux"}}
    assert config.providers["multi"].api_formats() == ("openai-responses", "openai-chat")
    assert config.providers["bedrock"].api_formats() == ()


def test_unknown_api_format_lists_the_valid_ones():
    found = problems('{"providers": {"x": {"type": "openai", "api_format": "a2a"}}}')
    assert list(found) == ["providers.x.api_format"]
    assert all(name in found["providers.x.api_format"] for name in API_FORMATS)


def test_one_bad_format_in_a_list_is_reported_once_at_its_index():
    found = problems('{"providers": {"x": {"type": "openai", "api_format": ["openai-chat", "a2a"]}}}')
    assert list(found) == ["providers.x.api_format.1"]


@pytest.mark.parametrize(("text", "path", "words"), [
    ('{"providers": {"openrouter": {"type": "openrouter", "api_base": "openrouter.ai"}}}',
     "providers.openrouter.api_base", "http"),
    ('{"providers": {"x": {"typ": "openai"}}}', "providers.x.typ", "did you mean 'type'"),
    ('{"providers": {"x": {"api_key": "k"}}}', "providers.x.type", 'add "type"'),
    ('{"providers": {"x": {"type": "openai", "models": "gpt-4o"}}}', "providers.x.models", "list of model names"),
    ('{"providers": {"x": {"type": "openai", "models": [1]}}}', "providers.x.models.0", "list of model names"),
    ('{"providers": {"x": {"type": "openai", "params": [1]}}}', "providers.x.params", "LiteLLM"),
    ('{"providers": {"x": 3}}', "providers.x", "JSON object"),
    ('{"providers": {"my provider": {"type": "openai"}}}', "providers.my provider", "rename it"),
    ('{"providers": {"a/b": {"type": "openai"}}}', "providers.a/b", "rename it"),
    ('{"providers": []}', "providers", "object of provider name"),
    ('{"version": 2}', "version", "use 1"),
    ('{"version": "1"}', "version", "found a JSON string"),
    ('{"version": true}', "version", "found a JSON boolean"),
    ('{"defualt_provider": "x"}', "defualt_provider", "did you mean 'default_provider'"),
    ('{"version": 1,}', "", "not valid JSON"),
    ('"hello"', "", "wrap it"),
    ('[' * 50_000, "", "does not look like a providers.json"),
    ('{"version": 1' + "0" * 5000 + '}', "", "does not look like a providers.json"),
])
def test_problem_paths_and_fixes(text, path, words):
    found = problems(text)
    assert path in found, found
    assert words in found[path]


def test_every_problem_is_listed_at_once():
    found = problems('{"providers": {"a": {"type": "openai", "api_format": "x"}, "b": {"type": "openai", "api_base": "ftp://x"}}}')
    assert set(found) == {"providers.a.api_format", "providers.b.api_base"}


def test_control_characters_from_the_file_are_escaped_in_messages():
    with pytest.raises(ConfigError) as caught:
        parse_config('{"providers": {"\\u001b[2J": {"type": "openai"}}}')
    assert "\x1b" not in caught.value.render()
    assert "\\x1b[2J" in caught.value.render()


def test_render_names_the_file(tmp_path):
    path = tmp_path / "providers.json"
    path.write_text('{"providers": {"x": {"type": "openai", "api_format": "a2a"}}}')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = caught.value.render()
    assert text.splitlines()[0] == f"error: invalid amux config {path}"
    assert "providers.x.api_format: unknown api_format 'a2a'" in text
    assert "fix: use one of:" in text


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AMUX_CONFIG", raising=False)
    assert find_config_path(None) == (tmp_path / "xdg" / "amux" / "providers.json", False)
    monkeypatch.setenv("AMUX_CONFIG", str(tmp_path / "env.json"))
    assert find_config_path(None) == (tmp_path / "env.json", True)
    assert find_config_path(tmp_path / "flag.json") == (tmp_path / "flag.json", True)


def test_absent_default_file_is_an_empty_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("AMUX_CONFIG", raising=False)
    loaded = load_config()
    assert loaded.path is None and loaded.config.providers == {}


@pytest.mark.parametrize("make", ["missing", "directory", "binary"])
def test_unreadable_named_files_are_config_errors(tmp_path, make):
    path = tmp_path / "providers.json"
    if make == "directory":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"\x00\xff\xfe{")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.source == str(path)
    assert caught.value.problems[0].fix


def test_an_empty_type_says_it_must_not_be_empty_and_what_to_write():
    with pytest.raises(ConfigError) as caught:
        parse_config('{"version": 1, "providers": {"gw": {"type": ""}}}', source="x.json")
    [problem] = caught.value.problems
    assert (problem.json_path, problem.message) == ("providers.gw.type", "must not be empty")
    assert "openrouter" in problem.fix  # not pydantic's "String should have at least 1 character"
