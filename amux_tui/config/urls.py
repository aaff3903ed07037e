"""What makes an ``api_base`` usable, checked on the file's literal values (`models`) and again once
``${VAR}`` references are interpolated (`providers.registry`). No pydantic here: the registry imports it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def api_base_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an api_base (``"must start with http:// or https://"``...), or None."""
    if not value.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    if CONTROL_CHARACTERS.search(value):
        return "must not contain control characters (CR, LF, tab...)"
    if not value.split("://", 1)[1].split("/", 1)[0].rpartition("@")[2]:
        return "must name a host"
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return "is not a URL: it must not contain spaces"
    # A bad port or bracket passed the checks above and was a traceback later (httpx, aiohttp).
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError when the port is not a number in 0-65535
    except ValueError:
        return "is not a URL: its port must be a number from 1 to 65535 (and an IPv6 host in [brackets])"
    if not parts.hostname:
        return "must name a host"
    return None
