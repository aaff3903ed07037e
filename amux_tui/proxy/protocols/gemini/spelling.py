"""Gemini field names in either spelling: the API reads proto JSON, which accepts the proto's
snake_case names (``inline_data``, ``mime_type``, ``parameters_json_schema``,
``thinking_config.include_thoughts``) as well as their lowerCamelCase JSON names, and
google-genai sends a mix of both. `camel_case_keys` rewrites a request to camelCase once, so
the decoder reads one spelling.

What is data, not a message, keeps its keys: function-call ``args``, a function's
``response``, JSON Schemas (``parametersJsonSchema``...), ``labels``; in an OpenAPI
``Schema`` (``parameters``, ``responseSchema``) only the keywords are renamed, never the
names under ``properties`` and ``defs``.
"""

from __future__ import annotations

from typing import Any

_VERBATIM = frozenset(
    {"args", "response", "parametersJsonSchema", "responseJsonSchema", "labels", "partMetadata"}
)
_SCHEMAS = frozenset({"parameters", "responseSchema"})
_SCHEMA_DATA = frozenset({"enum", "example", "default", "required", "propertyOrdering"})
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"properties", "defs"})
"""Name -> Schema: the names are data (``file_path``, ``pet_info``), the schemas are renamed."""
_MAX_DEPTH = 64


def camel(key: str) -> str:
    """``thinking_budget`` -> ``thinkingBudget``; a camelCase key is returned as is."""
    if "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def camel_case_keys(value: Any, depth: int = 0) -> Any:
    """``value`` (a request body or any message in it) with every field name in camelCase. When a
    body has both spellings of a field, the camelCase one wins. What needs no change is returned
    as is: most bodies are all camelCase, and then only the walk is paid."""
    if type(value) is list:
        if depth > _MAX_DEPTH:
            return value
        changed = [(i, new) for i, item in enumerate(value)
                   if (type(item) is dict or type(item) is list) and (new := camel_case_keys(item, depth + 1)) is not item]
        if not changed:
            return value
        out_list = list(value)
        for i, new in changed:
            out_list[i] = new
        return out_list
    if type(value) is not dict or depth > _MAX_DEPTH:
        return value
    snake = False
    changed_values: dict[Any, Any] = {}
    for key, item in value.items():
        if "_" in key:
            snake = True
        elif (type(item) is dict or type(item) is list) and key not in _VERBATIM:
            new = _schema(item, depth + 1) if key in _SCHEMAS else camel_case_keys(item, depth + 1)
            if new is not item:
                changed_values[key] = new
    if not snake:
        return {**value, **changed_values} if changed_values else value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = camel(key)
        if name != key and name in value:
            continue  # both spellings: the camelCase one wins
        if key in changed_values:
            out[name] = changed_values[key]
        elif name in _VERBATIM or not (type(item) is dict or type(item) is list):
            out[name] = item
        else:
            out[name] = _schema(item, depth + 1) if name in _SCHEMAS else camel_case_keys(item, depth + 1)
    return out


def _schema(value: Any, depth: int) -> Any:
    """An OpenAPI ``Schema``: keywords renamed, property names and values kept."""
    if depth > _MAX_DEPTH or not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = camel(key) if isinstance(key, str) else key
        if name in out and name != key:
            continue
        if name in _SCHEMA_MAPS and isinstance(item, dict):
            out[name] = {prop: _schema(sub, depth + 1) for prop, sub in item.items()}
        elif name in _SCHEMA_LISTS and isinstance(item, list):
            out[name] = [_schema(sub, depth + 1) for sub in item]
        elif name in ("items", "not", "additionalProperties"):
            out[name] = _schema(item, depth + 1)
        elif name in _SCHEMA_DATA:
            out[name] = item
        else:
            out[name] = item if not isinstance(item, (dict, list)) else camel_case_keys(item, depth + 1)
    return out
