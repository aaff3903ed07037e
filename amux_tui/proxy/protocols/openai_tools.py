"""What the two OpenAI APIs (Chat Completions and Responses) share when a client declares
and chooses tools: the function declaration, and ``tool_choice`` as a mode or one named tool."""

from __future__ import annotations

from collections.abc import Callable

from . import ir
from .body_fields import json_object, opt_bool, opt_str, require_str
from .errors import invalid
from .report import TranslationReport


def decode_tool_choice(
    choice: object, chosen_name: Callable[[dict], str | None], alternative: str, report: TranslationReport
) -> ir.ToolChoice | None:
    """``tool_choice`` as both OpenAI APIs spell it: a mode, or an object naming one tool
    (``chosen_name`` reads the name the way its API writes it, None if it names none)."""
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise invalid(f"tool_choice: must be auto, none, required or {alternative}")
        return ir.ToolChoice(choice)  # type: ignore[arg-type]
    if isinstance(choice, dict):
        name = chosen_name(choice)
        if name is None:
            report.note(f"tool_choice type '{choice.get('type')}'")
            return None
        return ir.ToolChoice("tool", name)
    if choice is not None:
        raise invalid("tool_choice: must be a string or an object")
    return None


def function_tool(fn: dict, where: str) -> ir.Tool:
    """A function tool as both OpenAI APIs declare it (Chat nests it under ``function``)."""
    params = fn.get("parameters")
    return ir.Tool(
        require_str(fn.get("name"), f"{where}.name"),
        opt_str(fn, "description", f"{where}."),
        None if params is None else json_object(params, f"{where}.parameters"),
        opt_bool(fn, "strict", f"{where}."),
    )
