"""Anthropic Messages SSE: upstream events -> IR events, and IR events -> client SSE.

Client grammar (what Claude Code needs, ``event:`` lines included): message_start
(with usage) · content_block_start / content_block_delta (text_delta, thinking_delta,
signature_delta, input_json_delta) / content_block_stop per block · message_delta
(stop_reason, usage) · message_stop. Errors: ``event: error``.
"""

from __future__ import annotations

from typing import assert_never

from .. import ir
from ..errors import error_body, status_for_type
from ..ids import new_id
from ..lenient import as_dict, as_int, as_str, parse_event
from ..report import TranslationReport
from ..sse import SSEEvent
from ..wirejson import dumps, dumps_str
from .request import ANTHROPIC
from .response import STOP_FROM_ANTHROPIC, STOP_TO_ANTHROPIC, thinking_block, usage_from_anthropic, usage_to_anthropic


class AnthropicStreamDecoder:
    """Reads an Anthropic Messages event stream."""

    def __init__(self, report: TranslationReport) -> None:
        self._report = report
        self._usage = ir.Usage()
        self._tools: set[int] = set()  # block indexes that are tool calls
        self.finished = False  # a stop reason arrived (message_stop may still be missing)

    @staticmethod
    def skippable(event: SSEEvent) -> bool:
        """Carries no usage, stop or end (passthrough need not parse it)."""
        return event.event == "content_block_delta"

    def decode(self, event: SSEEvent, out: list[ir.StreamEvent]) -> None:
        obj = parse_event(event.data, self._report)
        if not isinstance(obj, dict):
            return
        kind = obj.get("type", event.event)
        if not isinstance(kind, str):
            return
        if kind == "content_block_delta":
            self._delta(obj, out)
        elif kind == "content_block_start":
            self._block_start(obj, out)
        elif kind == "content_block_stop":
            index = as_int(obj.get("index"))
            out.append(ir.ToolCallEnd(index) if index in self._tools else ir.BlockEnd())
        elif kind == "message_start":
            message = as_dict(obj.get("message"))
            usage_from_anthropic(message.get("usage"), self._usage)
            out.append(ir.UsageUpdate(self._usage))  # before Start: the client's opening event carries it
            out.append(ir.Start(as_str(message.get("id")), as_str(message.get("model"))))
        elif kind == "message_delta":
            usage_from_anthropic(obj.get("usage"), self._usage)
            out.append(ir.UsageUpdate(self._usage))
            delta = as_dict(obj.get("delta"))
            if delta.get("stop_reason"):
                self.finished = True
                reason = STOP_FROM_ANTHROPIC.get(as_str(delta["stop_reason"]) or "", "end_turn")
                out.append(ir.Finish(reason, as_str(delta.get("stop_sequence"))))
        elif kind == "message_stop":
            out.append(ir.End())
        elif kind == "error":
            err = as_dict(obj.get("error"))
            etype = as_str(err.get("type")) or "api_error"
            out.append(ir.StreamError(status_for_type(etype), as_str(err.get("message")) or "upstream error", etype))

    def _delta(self, obj: dict, out: list[ir.StreamEvent]) -> None:
        delta = obj.get("delta")
        if not isinstance(delta, dict):
            return
        dtype = delta.get("type")
        if dtype == "text_delta":
            text = delta.get("text")
            if isinstance(text, str) and text:
                out.append(ir.TextDelta(text))
        elif dtype == "input_json_delta":
            fragment = delta.get("partial_json")
            index = as_int(obj.get("index"))
            if isinstance(fragment, str) and fragment and index is not None:
                out.append(ir.ToolArgsDelta(index, fragment))
        elif dtype == "thinking_delta":
            text = delta.get("thinking")
            if isinstance(text, str) and text:
                out.append(ir.ThinkingDelta(text))
        elif dtype == "signature_delta":
            sig = delta.get("signature")
            if isinstance(sig, str) and sig:
                out.append(ir.ThinkingSignature(sig, ANTHROPIC))

    def _block_start(self, obj: dict, out: list[ir.StreamEvent]) -> None:
        block = obj.get("content_block")
        if not isinstance(block, dict):
            return
        kind = block.get("type")
        index = obj.get("index")
        if kind == "tool_use" and isinstance(index, int):
            self._tools.add(index)
            call_id = as_str(block.get("id")) or new_id("toolu_")
            out.append(ir.ToolCallStart(index, call_id, as_str(block.get("name")) or ""))
        elif kind == "text":
            if block.get("text"):
                out.append(ir.TextDelta(str(block["text"])))
        elif kind == "thinking":
            if block.get("thinking"):
                out.append(ir.ThinkingDelta(str(block["thinking"])))
        elif kind == "redacted_thinking":
            if isinstance(block.get("data"), str):
                out.append(ir.ThinkingSignature(block["data"], ANTHROPIC, redacted=True))
        else:
            self._report.note(f"response block type '{kind}'")



class AnthropicStreamEncoder:
    """Writes the Anthropic Messages event stream for a client."""

    def __init__(self, model: str, report: TranslationReport, include_usage: bool = True) -> None:
        self._model = model
        self._report = report
        self._started = False
        self._next_index = 0
        self._open: str | None = None  # "text" | "thinking" | "tool"
        self._open_key: int | str | None = None
        self._delta_prefix = ""
        self._usage = ir.Usage()
        self._stop: ir.StopReason = "end_turn"
        self._stop_sequence: str | None = None
        self.terminated = False

    def encode(self, ev: ir.StreamEvent, out: list[bytes]) -> None:
        if not self._started and not isinstance(ev, (ir.UsageUpdate, ir.StreamError)):
            self._start(ev.id if isinstance(ev, ir.Start) else None, out)
        match ev:
            case ir.TextDelta(text=text) | ir.RefusalDelta(text=text):  # Anthropic's refusal: text + stop_reason
                if self._open != "text":
                    self._open_block("text", {"type": "text", "text": ""}, out)
                out.append(f'{self._delta_prefix}"text_delta","text":{dumps_str(text)}}}}}\n\n'.encode())
            case ir.ThinkingDelta(text=text):
                if self._open != "thinking":
                    self._open_block("thinking", {"type": "thinking", "thinking": "", "signature": ""}, out)
                out.append(f'{self._delta_prefix}"thinking_delta","thinking":{dumps_str(text)}}}}}\n\n'.encode())
            case ir.ThinkingSignature():
                self._signature(ev, out)
            case ir.ToolCallStart(key=key, id=call_id, name=name):
                block = {"type": "tool_use", "id": call_id, "name": self._report.client_tool(name).name, "input": {}}
                self._open_block("tool", block, out)
                self._open_key = key
            case ir.ToolArgsDelta(key=key, fragment=fragment):
                if self._open == "tool" and self._open_key == key:
                    out.append(f'{self._delta_prefix}"input_json_delta","partial_json":{dumps_str(fragment)}}}}}\n\n'.encode())
                else:
                    self._report.note("tool-call arguments arrived after their block closed")
            case ir.ToolCallEnd(key=key):
                if self._open == "tool" and self._open_key == key:
                    self._close(out)
            case ir.BlockEnd():
                if self._open in ("text", "thinking"):
                    self._close(out)
            case ir.UsageUpdate(usage=usage):
                self._usage = usage
            case ir.Finish(reason=reason, stop_sequence=stop_sequence):
                self._stop, self._stop_sequence = reason, stop_sequence
            case ir.End():
                self._close(out)
                delta = {"stop_reason": STOP_TO_ANTHROPIC[self._stop], "stop_sequence": self._stop_sequence}
                out.append(_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage_to_anthropic(self._usage)}))
                out.append(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
                self.terminated = True
            case ir.StreamError(status=status, message=message, error_type=error_type):
                out.append(self.error(status, message, error_type))
            case ir.Start():
                pass
            case _:
                assert_never(ev)

    def error(self, status: int, message: str, error_type: str | None = None) -> bytes:
        self.terminated = True
        return _event("error", error_body(ANTHROPIC, status, message, error_type))

    def _start(self, upstream_id: str | None, out: list[bytes]) -> None:
        self._started = True
        message = {
            "id": upstream_id if upstream_id and upstream_id.startswith("msg_") else new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage_to_anthropic(self._usage),
        }
        out.append(_event("message_start", {"type": "message_start", "message": message}))

    def _open_block(self, kind: str, block: dict, out: list[bytes]) -> None:
        self._close(out)
        index = self._next_index
        self._next_index += 1
        self._open = kind
        self._open_key = None
        self._delta_prefix = f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":{index},"delta":{{"type":'
        out.append(_event("content_block_start", {"type": "content_block_start", "index": index, "content_block": block}))

    def _close(self, out: list[bytes]) -> None:
        if self._open is not None:
            index = self._next_index - 1
            out.append(f'event: content_block_stop\ndata: {{"type":"content_block_stop","index":{index}}}\n\n'.encode())
            self._open = None

    def _signature(self, ev: ir.ThinkingSignature, out: list[bytes]) -> None:
        block = thinking_block(ir.Thinking("", ev.signature, ev.origin, ev.redacted))
        if block["type"] == "redacted_thinking":
            self._open_block("redacted", block, out)
        else:
            if self._open != "thinking":
                self._open_block("thinking", {"type": "thinking", "thinking": "", "signature": ""}, out)
            out.append(f'{self._delta_prefix}"signature_delta","signature":{dumps_str(block["signature"])}}}}}\n\n'.encode())
        self._close(out)


def _event(name: str, payload: dict) -> bytes:
    return f"event: {name}\ndata: {dumps(payload)}\n\n".encode()
