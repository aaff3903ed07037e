"""Forgiving reads of an upstream's JSON: a field of the wrong type counts as absent.

Client bodies are checked strictly (``body_fields``); upstream answers are read
leniently, because a provider's oddity should cost one field, not the whole answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .wirejson import dumps, loads

if TYPE_CHECKING:
    from .report import TranslationReport


def parse_event(data: str, report: TranslationReport) -> object:
    """An upstream stream event's JSON, or None (noted) when it does not parse: one bad
    event costs that event, not the stream."""
    try:
        return loads(data)
    except ValueError:
        report.note("unparseable upstream event")
        return None


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def as_json_text(value: object) -> str:
    """Tool arguments an upstream sent as an object, as JSON text ("{}" if unencodable)."""
    try:
        return dumps(value)
    except (ValueError, TypeError, RecursionError):
        return "{}"
