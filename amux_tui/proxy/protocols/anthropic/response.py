"""Anthropic Messages non-streamed responses <-> IR, and the shared stop/usage maps."""

from __future__ import annotations

from .. import ir, signatures
from ..arguments import arguments_object
from ..errors import UpstreamError
from ..ids import new_id
from ..lenient import as_dict, as_int, as_json_text, as_str
from ..report import TranslationReport
from .request import ANTHROPIC

STOP_FROM_ANTHROPIC: dict[str, ir.StopReason] = {
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "pause_turn": "pause_turn",
    "refusal": "refusal",
    "model_context_window_exceeded": "max_tokens",
}
STOP_TO_ANTHROPIC: dict[str, str] = {
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "pause_turn": "pause_turn",
    "refusal": "refusal",
    "content_filter": "refusal",
}


def usage_from_anthropic(raw: object, into: ir.Usage | None = None) -> ir.Usage:
    """Anthropic counts cache reads/writes apart from ``input_tokens``; the IR does not."""
    usage = into if into is not None else ir.Usage()
    if not isinstance(raw, dict):
        return usage
    fresh = as_int(raw.get("input_tokens"))
    read = as_int(raw.get("cache_read_input_tokens"))
    write = as_int(raw.get("cache_creation_input_tokens"))
    if fresh is not None or read is not None or write is not None:
        usage.cached_tokens = read if read is not None else usage.cached_tokens
        usage.cache_write_tokens = write if write is not None else usage.cache_write_tokens
        base = fresh if fresh is not None else usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens
        usage.input_tokens = max(base, 0) + usage.cached_tokens + usage.cache_write_tokens
    output = as_int(raw.get("output_tokens"))
    if output is not None:
        usage.output_tokens = output
    return usage


def usage_to_anthropic(usage: ir.Usage) -> dict:
    fresh = max(usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens, 0)
    return {
        "input_tokens": fresh,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
    }




def decode_response(body: dict, report: TranslationReport) -> ir.Response:
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise UpstreamError("anthropic response without a content list")
    resp = ir.Response(
        id=body.get("id") if isinstance(body.get("id"), str) else None,
        model=body.get("model") if isinstance(body.get("model"), str) else None,
        usage=usage_from_anthropic(body.get("usage")),
        stop_reason=STOP_FROM_ANTHROPIC.get(as_str(body.get("stop_reason")) or "", "end_turn"),
        stop_sequence=body.get("stop_sequence") if isinstance(body.get("stop_sequence"), str) else None,
    )
    for block in body["content"]:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            resp.parts.append(ir.Text(block["text"]))
        elif kind == "thinking":
            sig = block.get("signature") if isinstance(block.get("signature"), str) else None
            text = block.get("thinking") if isinstance(block.get("thinking"), str) else ""
            resp.parts.append(ir.Thinking(text, sig or None, ANTHROPIC))
        elif kind == "redacted_thinking" and isinstance(block.get("data"), str):
            resp.parts.append(ir.Thinking("", block["data"], ANTHROPIC, redacted=True))
        elif kind == "tool_use":
            args = as_dict(block.get("input"))
            call_id = block.get("id") if isinstance(block.get("id"), str) else new_id("toolu_")
            resp.parts.append(ir.ToolCall(call_id, as_str(block.get("name")) or "", as_json_text(args)))
        else:
            report.note(f"response block type '{kind}'")
    return resp


def encode_response(resp: ir.Response, model: str, report: TranslationReport) -> dict:
    content: list[dict] = []
    for part in resp.parts:
        match part:
            case ir.Text(text=text):
                content.append({"type": "text", "text": text})
            case ir.Thinking():
                content.append(thinking_block(part))
            case ir.ToolCall():
                name = report.client_tool(part.name).name
                content.append({"type": "tool_use", "id": part.id, "name": name, "input": arguments_object(part.arguments, name, report)})
    return {
        "id": resp.id if resp.id and resp.id.startswith("msg_") else new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": STOP_TO_ANTHROPIC[resp.stop_reason],
        "stop_sequence": resp.stop_sequence,
        "usage": usage_to_anthropic(resp.usage),
    }


def thinking_block(part: ir.Thinking) -> dict:
    """A thinking block whose signature carries ``part``'s token home (see signatures.py)."""
    origin = part.origin or "openai-chat"
    if part.redacted and origin == ANTHROPIC:
        return {"type": "redacted_thinking", "data": part.signature or ""}
    token = signatures.for_client(ANTHROPIC, origin, part.signature or "", part.redacted)
    return {"type": "thinking", "thinking": part.text, "signature": token}
