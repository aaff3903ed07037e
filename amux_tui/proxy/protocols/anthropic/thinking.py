"""Anthropic's rules for extended thinking, applied when a request is translated to it.

Thinking needs a budget of at least 1024 tokens below ``max_tokens``; it excludes
``temperature``/``top_k`` and a forced tool; and a tool-use turn being continued must
start with its signed thinking, which a client of another protocol may not have
echoed. Where a rule cannot be met, thinking is switched off for that request and the
report says why.
"""

from __future__ import annotations

from .. import ir
from ..options import TranslateOptions
from ..reasoning import budget_of
from ..report import TranslationReport

ANTHROPIC: ir.Protocol = "anthropic-messages"


def encode_thinking(req: ir.Request, body: dict, report: TranslationReport, options: TranslateOptions) -> None:
    reasoning = req.reasoning
    if reasoning is None or not reasoning.enabled or reasoning.effort == "none" or options.reasoning is False:
        return
    if body.get("tool_choice", {}).get("type") in ("any", "tool"):
        report.note("thinking: anthropic cannot think while a tool is forced; thinking off")
        return
    if _last_tool_turn_lacks_thinking(req):
        report.note("thinking: the client did not echo the reasoning of its tool call; thinking off")
        return
    budget = max(budget_of(reasoning), 1024)
    if body["max_tokens"] <= budget:
        wanted = budget + 4096
        asked = body["max_tokens"]
        body["max_tokens"] = min(wanted, options.max_tokens_cap) if options.max_tokens_cap else wanted
        budget = min(budget, body["max_tokens"] - 1)
        if body["max_tokens"] != asked:
            report.note(f"max_tokens raised from {asked} to {body['max_tokens']} (anthropic's thinking budget "
                        "counts against it)")
    if budget < 1024:
        report.note("thinking: max_tokens leaves no room for anthropic's minimum budget; thinking off")
        return
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    for key in ("temperature", "top_k"):
        if body.pop(key, None) is not None:
            report.note(f"{key} (anthropic rejects it while thinking)")
    if body.get("top_p", 1.0) < 0.95:
        body["top_p"] = 0.95
        report.note("top_p raised to 0.95 (anthropic's minimum while thinking)")


def _last_tool_turn_lacks_thinking(req: ir.Request) -> bool:
    """Anthropic rejects a thinking request whose pending tool-use turn has no thinking."""
    for message in reversed(req.messages):
        if message.role == "assistant":
            has_call = any(isinstance(p, ir.ToolCall) for p in message.parts)
            has_thinking = any(isinstance(p, ir.Thinking) and p.origin == ANTHROPIC and p.signature for p in message.parts)
            return has_call and not has_thinking
    return False
