"""JSON in wire form: compact, UTF-8 kept as is, encoder built once (``json.dumps``
with keyword arguments builds a new encoder on every call), and a ``loads`` that goes
straight to the C scanner for the common case of a payload starting at offset 0."""

from __future__ import annotations

import json
from json.scanner import make_scanner

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""Compact JSON text; raises ValueError for NaN/Infinity, which no API accepts."""

dumps_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""A JSON string literal for ``str`` only: the hot path of every text delta."""

_scan = make_scanner(json.JSONDecoder())


def loads(text: str) -> object:
    """``json.loads`` for SSE payloads; raises ValueError like it. Trailing text after a
    complete value is ignored (stream payloads are one value each)."""
    try:
        return _scan(text, 0)[0]
    except StopIteration:
        return json.loads(text)  # leading whitespace, or the proper error message
