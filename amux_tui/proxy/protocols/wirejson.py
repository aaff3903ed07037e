"""JSON in wire form: compact, UTF-8 kept as is, encoder built once (``json.dumps``
with keyword arguments builds a new encoder on every call)."""

from __future__ import annotations

import json

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""Compact JSON text; raises ValueError for NaN/Infinity, which no API accepts."""

dumps_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""A JSON string literal for ``str`` only: the hot path of every text delta."""

loads = json.loads
