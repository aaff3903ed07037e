"""`${ENV_VAR}` interpolation, done when a provider is resolved (not at load time), so an
unset variable only matters for the provider that uses it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingEnvVar(LookupError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"environment variable {name} is not set")


def interpolate(value: str, env: Mapping[str, str] | None = None) -> str:
    """Replace every ``${NAME}`` with its value; raise MissingEnvVar for an unset one."""
    env = os.environ if env is None else env

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise MissingEnvVar(name)
        return env[name]

    return _VAR.sub(substitute, value)


def referenced_vars(value: str) -> list[str]:
    return _VAR.findall(value)


def interpolate_tree(value: Any, env: Mapping[str, str] | None = None) -> Any:
    """Interpolate every string inside nested dicts and lists (for ``params``)."""
    if isinstance(value, str):
        return interpolate(value, env)
    if isinstance(value, dict):
        return {key: interpolate_tree(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate_tree(item, env) for item in value]
    return value
