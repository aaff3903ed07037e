"""Types of the provider ``params`` whose meaning amux or LiteLLM fixes, so a wrong value is refused with
the expected type (in providers.json or ``--provider-arg``) instead of being ignored or failing later
inside LiteLLM. Unknown keys pass untouched: LiteLLM accepts many more."""

from __future__ import annotations

from typing import Any

_NUMBER = "a number"
_INTEGER = "an integer"
_STRING = "a string"
_BOOLEAN = "true or false"
_HEADERS = "an object of header names to string values"

KNOWN_PARAM_TYPES: dict[str, str] = {
    "extra_headers": _HEADERS, "headers": _HEADERS,
    "num_retries": _INTEGER, "max_retries": _INTEGER, "rpm": _INTEGER, "tpm": _INTEGER, "max_tokens": _INTEGER,
    "timeout": _NUMBER, "stream_timeout": _NUMBER, "temperature": _NUMBER, "top_p": _NUMBER,
    "api_version": _STRING, "organization": _STRING, "aws_region_name": _STRING, "vertex_project": _STRING,
    "vertex_location": _STRING, "aws_bedrock_runtime_endpoint": _STRING,
    "drop_params": _BOOLEAN,
}


def is_text_param(key: str) -> bool:
    """A parameter whose value is always text (``--provider-arg api_version=2024`` stays "2024")."""
    return KNOWN_PARAM_TYPES.get(key) == _STRING


def _fits(expected: str, value: Any) -> bool:
    if isinstance(value, str) and "${" in value:
        return True  # an environment reference: its value is only known at launch
    if expected == _HEADERS:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if expected == _INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == _NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == _STRING:
        return isinstance(value, str)
    return isinstance(value, bool)


def param_type_problems(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, message) for each known parameter whose value has the wrong type."""
    problems = []
    for key, expected in KNOWN_PARAM_TYPES.items():
        if key not in params or _fits(expected, params[key]):
            continue
        value = params[key]
        if expected == _HEADERS and isinstance(value, dict):
            # An object already: name the header whose value is not text.
            header, bad = next((h, v) for h, v in value.items() if not isinstance(v, str))
            problems.append((key, f"{key}.{header} must be a string, not {_shown(bad)}"))
        else:
            problems.append((key, f"{key} must be {expected}, not {_shown(value)}"))
    return problems


def _shown(value: Any) -> str:
    from .problems import json_type

    text = repr(value) if not isinstance(value, (dict, list)) else f"a JSON {json_type(value)}"
    return text if len(text) <= 40 else text[:37] + "..."
