"""Every config example in docs/amux-provider-config.md loads, and the documented --json shapes
match what the commands produce."""

import json
import re
from pathlib import Path

import pytest

from amux_tui.config import parse_config
from amux_tui.providers.health import HealthResult
from amux_tui.providers.models import ModelInfo
from amux_tui.providers.ollama import OllamaModel, OllamaStatus
from amux_tui.providers.registry import ProviderRegistry
from amux_tui.providers.resolved import ResolvedProvider

DOC = Path(__file__).resolve().parent.parent / "docs" / "amux-provider-config.md"
BLOCKS = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)]
CONFIGS = [block for block in BLOCKS if isinstance(block.get("providers"), dict)]
ENV = {name: "value-0123456789abcdef" for name in (
    "OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "HOME",
    "LITELLM_PROXY_API_KEY", "AZURE_API_KEY")}


def test_the_doc_has_examples():
    assert len(CONFIGS) >= 8


@pytest.mark.parametrize("example", CONFIGS, ids=lambda c: ",".join(c["providers"]) or "empty")
def test_config_examples_load_and_resolve(example):
    config = parse_config(json.dumps(example), source="doc example")
    registry = ProviderRegistry.from_config(config, ENV)
    for name in example["providers"]:
        assert registry.get(name).key_problem is None


def test_documented_providers_json_shape():
    [document] = [block for block in BLOCKS if isinstance(block.get("providers"), list)]
    [entry] = document["providers"]
    produced = set(ResolvedProvider(name="x", type="openai", api_base=None, api_formats=()).to_public_dict())
    assert set(entry) == produced | {"default", "health"}
    assert set(entry["health"]) == set(HealthResult("x", "ok", 1.0, "").to_public_dict())


def test_documented_models_json_shape():
    [document] = [block for block in BLOCKS if "source" in block]
    assert set(document) == {"provider", "source", "error", "models"}
    assert set(document["models"][0]) == set(ModelInfo("m").to_public_dict())


def test_documented_ollama_shapes():
    text = DOC.read_text(encoding="utf-8")
    status_keys = set(OllamaStatus("u", None, False, None, False).to_public_dict())
    assert '{"base_url", "binary", "installed", "running", "version", "owned"}' in text
    assert status_keys == {"base_url", "binary", "installed", "running", "version", "owned"}
    model_keys = set(OllamaModel("m").to_public_dict())
    for key in model_keys:
        assert f'"{key}"' in text.split("`list [--json]`")[1].split("* `serve`")[0]
