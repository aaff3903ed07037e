"""Turning pydantic's validation errors into `ConfigProblem`s a person can act on: a JSON path into
their file, what is wrong in plain words, and how to fix it."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from .errors import ConfigProblem
from .formats import API_FORMATS
from .models import AmuxConfig, ProviderConfig

_FIXES = {
    "api_base": "use the endpoint's base URL, e.g. https://api.example.com/v1",
    "api_key": 'use the key or "${ENV_VAR}"',
    "api_format": f"use one of: {', '.join(API_FORMATS)} (or a list of them)",
    "providers": 'make it an object of provider name -> {"type": ...}',
    "version": "use 1",
    "params": "make it a JSON object; it is passed to LiteLLM as keyword arguments",
    "models": 'make it a list of model names, e.g. ["gpt-4o", "gpt-4o-mini"]',
    "type": 'use a preset such as "anthropic", "openai", "openrouter", "ollama" or a LiteLLM provider prefix',
    "default_provider": "use the name of one of the providers",
    "default_model": "use a model name (a string)",
    "small_model": "use a model name (a string)",
    "$schema": 'use a link to providers.schema.json (a string), or remove it',
}


def problems_from_validation(exc: ValidationError) -> list[ConfigProblem]:
    """One problem per place in the file, in document order."""
    problems: dict[str, ConfigProblem] = {}
    for error in exc.errors():
        problem = _problem_from(error)
        if problem is not None:
            # A union field fails once per member: the first problem at a path is the one that helps.
            problems.setdefault(problem.json_path, problem)
    return list(problems.values())


def printable(text: str) -> str:
    """Keys and values come from the file: escape what would garble or drive a terminal."""
    if text.isprintable():
        return text
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {list: "array", dict: "object", str: "string", int: "number", float: "number",
            type(None): "null"}.get(type(value), "value")


def _problem_from(error: Any) -> ConfigProblem | None:
    raw_loc = [str(part) for part in error["loc"]]
    # pydantic names a union member in the path ("list[str]"); a key of the file's own can look like one,
    # and the key an unknown-field error is about (the last part) is always the file's.
    members = raw_loc[:-1] if error["type"] == "extra_forbidden" else raw_loc
    branch = next((part for part in members if _is_union_member(part)), None)
    value = error.get("input")
    # A union reports every member; keep the one matching what was written (a list, or a single value).
    if branch and branch.startswith("literal[") and isinstance(value, list):
        return None
    if branch and branch.startswith("list[") and error["type"] == "list_type":
        return None
    # Union members show up as "str"/"int" in the path; a field of that name is always the last part.
    loc = [part for index, part in enumerate(raw_loc)
           if part != branch and (part not in {"str", "int"} or index == len(raw_loc) - 1)]
    is_key = bool(loc) and loc[-1] == "[key]"
    if is_key:
        loc = loc[:-1]
    path = ".".join(printable(part) for part in loc)
    field = _field_name(loc)
    kind = error["type"]
    if is_key and len(loc) == 2 and loc[0] == "providers":
        return ConfigProblem(path, f"provider name '{printable(loc[1])}' is not usable",
                             "rename it: 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit")
    if kind == "extra_forbidden":
        known = ProviderConfig.model_fields if len(loc) >= 3 and loc[0] == "providers" else AmuxConfig.model_fields
        names = [info.alias or name for name, info in known.items()]
        close = difflib.get_close_matches(loc[-1], names, n=1) if loc else []
        hint = f"did you mean {close[0]!r}?" if close else f"remove it; known fields: {', '.join(sorted(names))}"
        return ConfigProblem(path, f"unknown field '{printable(loc[-1])}'", hint)
    if kind == "literal_error" and "api_format" in loc:
        message = (f"unknown api_format '{printable(value)}'" if isinstance(value, str)
                   else f"api_format must name a format, not be a JSON {json_type(value)}")
        return ConfigProblem(path, message, f"use one of: {', '.join(API_FORMATS)}")
    if kind == "missing":
        return ConfigProblem(path, "required field is missing", f'add "{field}" (see providers.schema.json)')
    if len(loc) == 2 and loc[0] == "providers" and kind in ("model_type", "dict_type"):
        return ConfigProblem(path, f"a provider must be a JSON object, not a JSON {json_type(value)}",
                             'write it as {"type": "openai", ...}')
    if kind == "string_too_short" and value == "":
        return ConfigProblem(path, "must not be empty", _FIXES.get(field, f"see the {field} entry in providers.schema.json"))
    message = error["msg"].removeprefix("Value error, ")
    if kind.endswith("_type") or kind in ("int_from_float", "int_parsing"):
        message += f" (found a JSON {json_type(value)})"
    return ConfigProblem(path, message, _FIXES.get(field, f"see the {field or 'file'} entry in providers.schema.json"))


def _is_union_member(part: str) -> bool:
    return part.startswith(("list[", "literal[")) and part.endswith("]") or part.startswith("function-")


def _field_name(loc: list[str]) -> str:
    """The field a path is about: ``providers.x.models.0`` is about ``models``."""
    if not loc:
        return ""
    if loc[0] == "providers":
        return loc[2] if len(loc) >= 3 else "providers"
    return loc[0]
