"""providers.schema.json at the repo root is generated from the pydantic models; keep it in sync."""

import json
from pathlib import Path

from amux_tui.config import schema_json

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_matches_models():
    committed = (ROOT / "providers.schema.json").read_text(encoding="utf-8")
    assert committed == schema_json(), "providers.schema.json is stale: run `amux schema > providers.schema.json`"


def test_schema_accepts_dollar_schema_key():
    schema = json.loads(schema_json())
    assert "$schema" in schema["properties"]
    provider = schema["$defs"]["ProviderConfig"]
    assert provider["additionalProperties"] is False
    assert set(provider["properties"]) >= {"type", "api_base", "api_key", "api_format", "models", "default_model", "params"}
