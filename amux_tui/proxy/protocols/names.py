"""Tool names that every upstream accepts, and the way back to the client's names.

OpenAI allows ``^[a-zA-Z0-9_-]{1,64}$``; Gemini also allows ``.`` and ``:`` but must
start with a letter or underscore. Codex's namespace tools (``{"type": "namespace",
"name": ns, "tools": [...]}``) become plain functions named ``ns__tool``. A name that
does not fit is sanitised and truncated deterministically, with a hash of the original
so two long names never collide; ``TranslationReport.tool_names`` maps it back.
"""

from __future__ import annotations

import hashlib
import re

from . import ir
from .ir import Protocol
from .report import ClientToolName, TranslationReport

MAX_TOOL_NAME = 64
NAMESPACE_SEPARATOR = "__"

_VALID = {
    "openai": re.compile(r"[a-zA-Z0-9_-]{1,64}"),
    "gemini": re.compile(r"[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}"),
}
_INVALID_CHAR = {"openai": re.compile(r"[^a-zA-Z0-9_-]"), "gemini": re.compile(r"[^a-zA-Z0-9_.:-]")}


def flatten(namespace: str | None, name: str) -> str:
    """The single function name a namespaced tool gets (before fitting)."""
    return f"{namespace}{NAMESPACE_SEPARATOR}{name}" if namespace else name


def fit(name: str, target: Protocol) -> str:
    """``name`` if ``target`` accepts it, else a deterministic stand-in that it does."""
    family = "gemini" if target == "gemini" else "openai"
    if _VALID[family].fullmatch(name):
        return name
    cleaned = _INVALID_CHAR[family].sub("_", name) or "tool"
    if family == "gemini" and not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    if len(cleaned) <= MAX_TOOL_NAME:
        return cleaned
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned[: MAX_TOOL_NAME - 9]}_{digest}"


def fit_request(request: ir.Request, target: Protocol, report: TranslationReport) -> None:
    """Rename every tool and tool call in ``request`` to fit ``target``, in place."""
    renamed: dict[str, str] = {}

    def fitted(name: str) -> str:
        new = renamed.get(name)
        if new is None:
            new = renamed[name] = fit(name, target)
            if new != name:
                report.tool_names[new] = report.tool_names.pop(name, None) or ClientToolName(name)
        return new

    for tool in request.tools:
        tool.name = fitted(tool.name)
    if request.tool_choice is not None and request.tool_choice.name:
        request.tool_choice.name = fitted(request.tool_choice.name)
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, ir.ToolCall):
                part.name = fitted(part.name)
            elif isinstance(part, ir.ToolResult) and part.name:
                part.name = fitted(part.name)
