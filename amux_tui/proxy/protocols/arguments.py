"""Tool-call arguments: JSON text in the IR, an object for Anthropic and Gemini."""

from __future__ import annotations

import json

from .report import TranslationReport


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def arguments_object(arguments: str, name: str, report: TranslationReport) -> dict:
    """The arguments as an object; invalid JSON (a model's slip) becomes ``{}``, noted."""
    try:
        value = json.loads(arguments, parse_constant=_reject_constant) if arguments.strip() else {}
    except (ValueError, RecursionError):
        report.note(f"tool '{name}' arguments were not valid JSON; sent as {{}}")
        return {}
    return value if isinstance(value, dict) else {"value": value}
