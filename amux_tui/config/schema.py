"""JSON schema export; `providers.schema.json` at the repo root is this output (a test keeps it in sync)."""

from __future__ import annotations

import json

from .models import AmuxConfig

def schema_json() -> str:
    schema = AmuxConfig.model_json_schema(by_alias=True)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"
