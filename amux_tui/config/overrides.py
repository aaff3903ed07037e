"""`--provider-arg key=value`: command-line additions to a provider's LiteLLM ``params``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .errors import UsageError
from .params import is_text_param, param_type_problems


STRING_ONLY = ("extra_headers.",)


def parse_provider_args(items: Iterable[str]) -> dict[str, Any]:
    """Parse ``key=value`` pairs: values are JSON when they parse as JSON, else strings (header values
    under ``extra_headers`` always stay strings); dotted keys nest
    (``extra_headers.X-Team=ml`` → ``{"extra_headers": {"X-Team": "ml"}}``)."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key or any(not part for part in key.split(".")):
            raise UsageError(f"--provider-arg {item!r}: write it as KEY=VALUE, e.g. --provider-arg num_retries=3 "
                             "or --provider-arg extra_headers.X-Team=ml")
        value: Any = raw
        # HTTP header values are text (X-Team-Id=42 stays "42"), and so are known text parameters
        if not key.startswith(STRING_ONLY) and not is_text_param(key):
            try:
                value = json.loads(raw)
            except ValueError:
                pass
        node = result
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise UsageError(f"--provider-arg {item!r}: {part!r} is already set to a value, so it cannot "
                                 f"hold {leaf!r}; use one or the other")
            node = child
        node[leaf] = value
    for key, message in param_type_problems(result):
        raise UsageError(f"--provider-arg {key}: {message}"
                         + (" (e.g. --provider-arg extra_headers.X-Team=ml)" if "header" in message else ""))
    return result


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` wins; nested dicts merge key by key. Neither input is modified."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
