"""What the fixture upstreams in `upstreams.py` send: answers in each provider's own wire format.

Pure functions from a scripted `Reply` to JSON (non-streaming) or to a list of SSE events
(streaming), shaped like the real APIs (OpenAI Chat Completions, OpenAI Responses,
Anthropic Messages, Gemini generateContent), plus each provider's error body.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """A function call the upstream makes; ``arguments`` is streamed in a few pieces."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = "call_1"


@dataclass(frozen=True)
class Reply:
    """One scripted answer of a fixture upstream (the n-th model request gets the n-th reply).

    Content is emitted in this order: thinking, text, tool calls. The failure fields make the
    upstream misbehave instead: ``status >= 400`` answers with the provider's error body,
    ``hang`` never answers, ``cut_after`` closes the connection after that many stream events,
    ``stall_after`` stops sending (without closing) after that many stream events.
    """

    text: str = ""
    pieces: tuple[str, ...] | None = None
    """How ``text`` is split into stream deltas; default: word by word."""
    thinking: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int = 11
    cached_tokens: int = 0
    """Of ``input_tokens``, how many the provider read from its prompt cache (each API says it its way)."""
    reasoning_tokens: int = 0
    """Of ``output_tokens``, how many were reasoning (Anthropic has no field for it)."""
    output_tokens: int = 7
    status: int = 200
    error_message: str = ""
    delay: float = 0.0
    """Seconds to wait before each stream event (a slow stream)."""
    first_delay: float = 0.0
    """Seconds to wait before the response headers."""
    hang: bool = False
    cut_after: int | None = None
    stall_after: int | None = None
    raw: bytes | None = None
    """Send exactly these bytes as the body (with ``content_type``) instead of a generated answer."""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def error(cls, status: int, message: str = "scripted failure") -> Reply:
        return cls(status=status, error_message=message)

    @property
    def full_text(self) -> str:
        """``text``, or the pieces joined when only pieces were given."""
        return self.text or "".join(self.pieces or ())

    def text_pieces(self) -> list[str]:
        if self.pieces is not None:
            return list(self.pieces)
        return re.findall(r"\S+\s*|\s+", self.text)


def _arg_pieces(arguments: dict[str, Any]) -> list[str]:
    encoded = json.dumps(arguments)
    third = max(1, len(encoded) // 3)
    return [encoded[i:i + third] for i in range(0, len(encoded), third)]


def _sse(data: Any, event: str | None = None, sep: str = "\n\n") -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}{sep}".encode()


# --- errors -------------------------------------------------------------------------------------

_OPENAI_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "permission_denied",
                 404: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_exceeded"}
_ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                    404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
                    500: "api_error", 529: "overloaded_error"}
_GEMINI_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                  413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
                  504: "DEADLINE_EXCEEDED"}


def error_body(protocol: str, status: int, message: str) -> dict[str, Any]:
    """The error body the real provider sends for ``status``."""
    if protocol == "anthropic-messages":
        return {"type": "error", "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message}}
    if protocol == "gemini":
        return {"error": {"code": status, "message": message, "status": _GEMINI_STATUS.get(status, "UNKNOWN")}}
    return {"error": {"message": message, "type": _OPENAI_TYPES.get(status, "server_error"), "param": None,
                      "code": None}}


# --- OpenAI Chat Completions --------------------------------------------------------------------

def _chat_usage(reply: Reply) -> dict[str, Any]:
    usage: dict[str, Any] = {"prompt_tokens": reply.input_tokens, "completion_tokens": reply.output_tokens,
                             "total_tokens": reply.input_tokens + reply.output_tokens}
    if reply.cached_tokens:
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
    if reply.reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
    return usage


def openai_chat_json(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.full_text or None}
    if reply.thinking:
        message["reasoning_content"] = reply.thinking
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
            for call in reply.tool_calls]
    return {
        "id": "chatcmpl-fixture", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        "usage": _chat_usage(reply),
    }


def openai_chat_events(reply: Reply, model: str, *, include_usage: bool) -> list[bytes]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse({"id": "chatcmpl-fixture", "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"reasoning_content": piece}) for piece in re.findall(r"\S+\s*|\s+", reply.thinking)]
    events += [chunk({"content": piece}) for piece in reply.text_pieces()]
    for index, call in enumerate(reply.tool_calls):
        events.append(chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                             "function": {"name": call.name, "arguments": ""}}]}))
        events += [chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
                   for part in _arg_pieces(call.arguments)]
    events.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    if include_usage:
        events.append(_sse({"id": "chatcmpl-fixture", "object": "chat.completion.chunk", "created": created,
                            "model": model, "choices": [],
                            "usage": _chat_usage(reply)}))
    events.append(b"data: [DONE]\n\n")
    return events


# --- Anthropic Messages -------------------------------------------------------------------------

def _anthropic_input(reply: Reply) -> dict[str, int]:
    """Anthropic counts cache reads apart from ``input_tokens``."""
    if not reply.cached_tokens:
        return {"input_tokens": reply.input_tokens}
    return {"input_tokens": reply.input_tokens - reply.cached_tokens, "cache_read_input_tokens": reply.cached_tokens}


def anthropic_json(reply: Reply, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.thinking:
        content.append({"type": "thinking", "thinking": reply.thinking, "signature": "sig-fixture"})
    if reply.full_text:
        content.append({"type": "text", "text": reply.full_text})
    content += [{"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
                for call in reply.tool_calls]
    return {"id": "msg_fixture", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None,
            "usage": {**_anthropic_input(reply), "output_tokens": reply.output_tokens}}


def anthropic_events(reply: Reply, model: str) -> list[bytes]:
    events = [
        _sse({"type": "message_start", "message": {
            "id": "msg_fixture", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {**_anthropic_input(reply), "output_tokens": 1}}}, "message_start"),
        _sse({"type": "ping"}, "ping"),
    ]
    index = 0

    def block(start: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
        nonlocal index
        events.append(_sse({"type": "content_block_start", "index": index, "content_block": start},
                           "content_block_start"))
        events.extend(_sse({"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta")
                      for delta in deltas)
        events.append(_sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        index += 1

    if reply.thinking:
        block({"type": "thinking", "thinking": "", "signature": ""},
              [{"type": "thinking_delta", "thinking": piece} for piece in re.findall(r"\S+\s*|\s+", reply.thinking)]
              + [{"type": "signature_delta", "signature": "sig-fixture"}])
    if reply.full_text:
        block({"type": "text", "text": ""}, [{"type": "text_delta", "text": piece} for piece in reply.text_pieces()])
    for call in reply.tool_calls:
        block({"type": "tool_use", "id": call.id, "name": call.name, "input": {}},
              [{"type": "input_json_delta", "partial_json": part} for part in _arg_pieces(call.arguments)])
    events.append(_sse({"type": "message_delta",
                        "delta": {"stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": reply.output_tokens}}, "message_delta"))
    events.append(_sse({"type": "message_stop"}, "message_stop"))
    return events


# --- OpenAI Responses ---------------------------------------------------------------------------

def _responses_output(reply: Reply) -> list[dict[str, Any]]:
    output: list[dict[str, Any]] = []
    if reply.thinking:
        output.append({"type": "reasoning", "id": "rs_fixture", "encrypted_content": "enc-fixture",
                       "summary": [{"type": "summary_text", "text": reply.thinking}]})
    if reply.full_text:
        output.append({"type": "message", "id": "msg_fixture", "status": "completed", "role": "assistant",
                       "content": [{"type": "output_text", "text": reply.full_text, "annotations": []}]})
    output += [{"type": "function_call", "id": f"fc_{call.id}", "call_id": call.id, "name": call.name,
                "arguments": json.dumps(call.arguments), "status": "completed"} for call in reply.tool_calls]
    return output


def responses_json(reply: Reply, model: str, status: str = "completed") -> dict[str, Any]:
    return {"id": "resp_fixture", "object": "response", "created_at": int(time.time()), "status": status,
            "model": model, "output": _responses_output(reply) if status == "completed" else [],
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens,
                      "total_tokens": reply.input_tokens + reply.output_tokens,
                      "input_tokens_details": {"cached_tokens": reply.cached_tokens},
                      "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens}}}


def responses_events(reply: Reply, model: str) -> list[bytes]:
    events: list[bytes] = []

    def emit(kind: str, **data: Any) -> None:
        events.append(_sse({"type": kind, "sequence_number": len(events), **data}, kind))

    emit("response.created", response=responses_json(reply, model, status="in_progress"))
    emit("response.in_progress", response=responses_json(reply, model, status="in_progress"))
    for output_index, item in enumerate(_responses_output(reply)):
        if item["type"] == "reasoning":
            emit("response.output_item.added", output_index=output_index, item={**item, "summary": []})
            emit("response.reasoning_summary_part.added", item_id=item["id"], output_index=output_index,
                 summary_index=0, part={"type": "summary_text", "text": ""})
            for piece in re.findall(r"\S+\s*|\s+", reply.thinking):
                emit("response.reasoning_summary_text.delta", item_id=item["id"], output_index=output_index,
                     summary_index=0, delta=piece)
            emit("response.reasoning_summary_text.done", item_id=item["id"], output_index=output_index,
                 summary_index=0, text=reply.thinking)
            emit("response.reasoning_summary_part.done", item_id=item["id"], output_index=output_index,
                 summary_index=0, part={"type": "summary_text", "text": reply.thinking})
        elif item["type"] == "message":
            emit("response.output_item.added", output_index=output_index,
                 item={**item, "status": "in_progress", "content": []})
            emit("response.content_part.added", item_id=item["id"], output_index=output_index, content_index=0,
                 part={"type": "output_text", "text": "", "annotations": []})
            for piece in reply.text_pieces():
                emit("response.output_text.delta", item_id=item["id"], output_index=output_index, content_index=0,
                     delta=piece)
            emit("response.output_text.done", item_id=item["id"], output_index=output_index, content_index=0,
                 text=reply.full_text)
            emit("response.content_part.done", item_id=item["id"], output_index=output_index, content_index=0,
                 part=item["content"][0])
        else:
            emit("response.output_item.added", output_index=output_index,
                 item={**item, "arguments": "", "status": "in_progress"})
            for part in _arg_pieces(json.loads(item["arguments"])):
                emit("response.function_call_arguments.delta", item_id=item["id"], output_index=output_index,
                     delta=part)
            emit("response.function_call_arguments.done", item_id=item["id"], output_index=output_index,
                 arguments=item["arguments"])
        emit("response.output_item.done", output_index=output_index, item=item)
    emit("response.completed", response=responses_json(reply, model))
    return events


# --- Gemini generateContent ---------------------------------------------------------------------

def _gemini_usage(reply: Reply) -> dict[str, int]:
    usage = {"promptTokenCount": reply.input_tokens,
             "candidatesTokenCount": reply.output_tokens - reply.reasoning_tokens,
             "totalTokenCount": reply.input_tokens + reply.output_tokens}
    if reply.reasoning_tokens:
        usage["thoughtsTokenCount"] = reply.reasoning_tokens
    if reply.cached_tokens:
        usage["cachedContentTokenCount"] = reply.cached_tokens
    return usage


def _gemini_call(call: ToolCall) -> dict[str, Any]:
    return {"functionCall": {"id": call.id, "name": call.name, "args": call.arguments},
            "thoughtSignature": "c2lnLWZpeHR1cmU="}


def gemini_json(reply: Reply, model: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if reply.thinking:
        parts.append({"text": reply.thinking, "thought": True})
    if reply.full_text:
        parts.append({"text": reply.full_text})
    parts += [_gemini_call(call) for call in reply.tool_calls]
    return {"candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": _gemini_usage(reply), "modelVersion": model}


def gemini_events(reply: Reply, model: str) -> list[bytes]:
    """Gemini's SSE separates events with CRLF CRLF, as the real API does."""

    def chunk(parts: list[dict[str, Any]], finish: bool = False) -> bytes:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        data: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
        if finish:
            candidate["finishReason"] = "STOP"
            data["usageMetadata"] = _gemini_usage(reply)
        return _sse(data, sep="\r\n\r\n")

    events = [chunk([{"text": piece, "thought": True}]) for piece in re.findall(r"\S+\s*|\s+", reply.thinking)]
    events += [chunk([{"text": piece}]) for piece in reply.text_pieces()]
    if reply.tool_calls:
        events.append(chunk([_gemini_call(call) for call in reply.tool_calls]))
    events.append(chunk([{"text": ""}], finish=True))
    return events
