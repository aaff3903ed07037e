"""Finding and loading `providers.json`, with errors that name the file, the JSON path and the fix."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ConfigError, ConfigProblem
from .formats import API_FORMATS
from .models import AmuxConfig, ProviderConfig

CONFIG_ENV = "AMUX_CONFIG"
CONFIG_FILENAME = "providers.json"


def default_config_path() -> Path:
    """`$XDG_CONFIG_HOME/amux/providers.json` (normally `~/.config/amux/providers.json`)."""
    from platformdirs import user_config_path

    return user_config_path("amux", appauthor=False) / CONFIG_FILENAME


@dataclass(frozen=True)
class LoadedConfig:
    """A parsed config and where it came from (``path`` is None when no file exists)."""

    config: AmuxConfig
    path: Path | None


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """Return the config path by lookup order and whether the user named it.

    Order: ``--config PATH``, ``$AMUX_CONFIG``, the XDG config dir. A named file must exist;
    the default one may be absent.
    """
    if explicit:
        return Path(explicit).expanduser(), True
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser(), True
    return default_config_path(), False


def load_config(explicit: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """Load the config by lookup order; no file at the default place means an empty config."""
    path, named = find_config_path(explicit)
    if not path.exists():
        if named:
            raise ConfigError(path, [ConfigProblem("", "file not found", f"create it, or fix the path (amux schema shows the format)")])
        return LoadedConfig(AmuxConfig(), None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [ConfigProblem("", f"cannot read: {exc}", "check the file's permissions and that it is UTF-8 text")]) from None
    return LoadedConfig(parse_config(text, source=path), path)


def parse_config(text: str, *, source: Path | str = "<string>") -> AmuxConfig:
    """Parse and validate config text; raise ConfigError listing every problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(source, [ConfigProblem(
            "", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            "fix the JSON syntax there (a trailing comma or a missing quote is the usual cause)",
        )]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigProblem("", f"the top level is a JSON {_json_type(data)}, not an object",
                                                 'wrap it as {"version": 1, "providers": {...}}')])
    try:
        return AmuxConfig.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, ConfigProblem] = {}
        for error in exc.errors():
            problem = _problem_from(error)
            # A union field fails once per member: the first problem at a path is the one that helps.
            problems.setdefault(problem.json_path, problem)
        raise ConfigError(source, list(problems.values())) from None


def _problem_from(error: Any) -> ConfigProblem:
    loc = [str(part) for part in error["loc"]]
    # pydantic reports union members as extra loc parts ("str", "list[...]"): drop them from the path.
    loc = [part for part in loc if not part.startswith(("list[", "literal[", "function-")) and part not in {"str", "int"}]
    path = ".".join(loc)
    kind = error["type"]
    field = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        known = ProviderConfig.model_fields if len(loc) >= 3 and loc[0] == "providers" else AmuxConfig.model_fields
        names = [info.alias or name for name, info in known.items()]
        close = difflib.get_close_matches(field, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"remove it; known fields: {', '.join(sorted(names))}"
        return ConfigProblem(path, f"unknown field {field!r}", hint)
    if kind == "literal_error" and "api_format" in loc:
        return ConfigProblem(path, f"unknown api_format {error.get('input')!r}",
                             f"use one of: {', '.join(API_FORMATS)}")
    if kind == "missing":
        return ConfigProblem(path, "required field is missing", f"add \"{field}\" (see providers.schema.json)")
    message = error["msg"].removeprefix("Value error, ")
    return ConfigProblem(path, message, _fix_for(field, kind))


def _fix_for(field: str, kind: str) -> str:
    fixes = {
        "api_base": "use the endpoint's base URL, e.g. https://api.example.com/v1",
        "api_key": 'use the key or "${ENV_VAR}"',
        "providers": 'make it an object of provider name -> {"type": ...}',
        "version": "use 1",
        "params": "make it a JSON object; it is passed to LiteLLM as keyword arguments",
        "models": "make it a list of model names",
    }
    return fixes.get(field, f"see the {field or 'file'} entry in providers.schema.json")


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}.get(type(value), "value")
