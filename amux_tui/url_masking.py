"""Credentials inside URLs, masked for showing (no imports beyond ``re``: the UI's first paint and
every room may use it)."""

from __future__ import annotations

import re

# Up to the authority's *last* '@' (greedy, never past '/', '?' or '#'): a password may hold a raw '@',
# and aiohttp and `config.urls` take the host from after the last one.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#'\"]*@")
_SECRET_QUERY = re.compile(r"(?i)([?&][^=&#\s'\"]*(?:key|token|secret|passw|pwd|sig|auth|credential|session)"
                           r"[^=&#\s'\"]*=)[^&#\s'\"]*")


def mask_url(text: str, marker: str = "****") -> str:
    """A URL (or any text with URLs in it) safe to show: user-info and secret-looking query values
    (``key``, ``token``, ``sig``, ``password``...) replaced by ``marker``."""
    if "@" in text:
        text = _USERINFO.sub(rf"\1{marker}@", text)
    if "=" in text:
        text = _SECRET_QUERY.sub(rf"\1{marker}", text)
    return text


def without_userinfo(url: str) -> str:
    """``url`` without its ``user:password@``."""
    return _USERINFO.sub(r"\1", url, count=1)
