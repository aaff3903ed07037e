"""Fresh identifiers in each protocol's customary shape (``msg_…``, ``call_…``)."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


def unix_now() -> int:
    return int(time.time())
