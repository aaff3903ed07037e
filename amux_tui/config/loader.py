"""Finding and loading `providers.json`, with errors that name the file, the JSON path and the fix."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .errors import ConfigError, ConfigProblem
from .models import AmuxConfig
from .problems import json_type, problems_from_validation

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
            raise ConfigError(path, [ConfigProblem("", "file not found",
                                                   "create it, or fix the path (amux schema shows the format)")])
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
    except (ValueError, RecursionError) as exc:  # absurd nesting depth, a number with thousands of digits
        raise ConfigError(source, [ConfigProblem(
            "", f"not usable JSON: {type(exc).__name__}: {str(exc)[:120]}",
            "this does not look like a providers.json: start from the examples in docs/amux-provider-config.md",
        )]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigProblem("", f"the top level is a JSON {json_type(data)}, not an object",
                                                 'wrap it as {"version": 1, "providers": {...}}')])
    try:
        return AmuxConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from_validation(exc)) from None
