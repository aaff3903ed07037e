"""Typed reads of a client's JSON body that fail as ``RequestError`` (a 400), never as
``TypeError``/``KeyError``. Each reader names the field it rejects, e.g.
``messages[2].content[0].text: expected a string``. Unknown fields are never looked at.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import invalid


def require_dict(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(f"{where}: expected an object")
    return value


def require_list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise invalid(f"{where}: expected an array")
    return value


def require_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"{where}: expected a string")
    return value


def required(body: dict, key: str) -> Any:
    """A top-level field the request means nothing without (``messages``, ``input``...)."""
    value = body.get(key)
    if value is None:
        raise invalid(f"{key}: field required")
    return value


def opt_dict(body: dict, key: str, where: str) -> dict | None:
    value = body.get(key)
    return None if value is None else require_dict(value, f"{where}{key}")


def opt_list(body: dict, key: str, where: str) -> list | None:
    value = body.get(key)
    return None if value is None else require_list(value, f"{where}{key}")


def opt_str(body: dict, key: str, where: str) -> str | None:
    value = body.get(key)
    return None if value is None else require_str(value, f"{where}{key}")


def opt_bool(body: dict, key: str, where: str) -> bool | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise invalid(f"{where}{key}: expected a boolean")


def opt_int(body: dict, key: str, where: str, minimum: int | None = None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(f"{where}{key}: expected an integer")
    if minimum is not None and value < minimum:
        raise invalid(f"{where}{key}: must be at least {minimum}")
    return value


def opt_num(body: dict, key: str, where: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise invalid(f"{where}{key}: expected a number")
    return value


def str_or_list(body: dict, key: str, where: str) -> list[str]:
    """A field that is either one string or a list of strings (stop sequences)."""
    value = body.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = require_list(value, f"{where}{key}")
    return [require_str(item, f"{where}{key}[{i}]") for i, item in enumerate(items)]


def json_object(value: Any, where: str) -> dict:
    """A free-form object we pass on verbatim (a JSON Schema): a dict with no NaN/Infinity,
    which Python's json module reads but no API accepts."""
    stack = [require_dict(value, where)]
    while stack:
        node = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append(child)
            elif isinstance(child, float) and not math.isfinite(child):
                raise invalid(f"{where}: NaN and Infinity are not JSON")
    return value


def json_text(value: Any, where: str) -> str:
    """``value`` as compact JSON text; NaN and cycles are the client's error."""
    from .wirejson import dumps

    try:
        return dumps(value)
    except (ValueError, TypeError, RecursionError):
        raise invalid(f"{where}: not representable as JSON") from None
