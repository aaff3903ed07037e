"""OpenAI Responses SSE: upstream events -> IR events, IR events -> client events.

Client grammar (what Codex and the AI SDK parse; every event has ``sequence_number``):
response.created · response.in_progress · per output item: output_item.added, then
for a message content_part.added / output_text.delta… / output_text.done /
content_part.done, for a function call function_call_arguments.delta… / .done, for
reasoning reasoning_summary_part.added / reasoning_summary_text.delta… / .done /
reasoning_summary_part.done, then output_item.done · response.completed (or
response.incomplete) with every item and the usage. Errors: response.failed.
Codex retries a stream that does not end in response.completed.
"""

from __future__ import annotations

from typing import assert_never

from .. import ir
from ..errors import error_body, status_for_type
from ..ids import new_id, unix_now
from ..lenient import as_dict, as_str, parse_event
from ..report import TranslationReport
from ..sse import SSEEvent
from ..wirejson import dumps, dumps_str
from .request import RESPONSES
from .response import (
    INCOMPLETE_REASON,
    STOP_FROM_INCOMPLETE,
    call_item,
    client_token,
    message_item,
    reasoning_item,
    response_object,
    usage_from_responses,
)


_TEXT_DELTA = 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":'


class ResponsesStreamDecoder:
    """Reads an OpenAI Responses event stream."""

    def __init__(self, report: TranslationReport) -> None:
        self._report = report
        self._streamed_args: set[int] = set()  # output indexes whose arguments came as deltas
        self._summary_parts = 0
        self._refused = False
        self.finished = False

    @staticmethod
    def skippable(event: SSEEvent) -> bool:
        """Carries no usage, stop or end (passthrough need not parse it)."""
        return event.event is not None and event.event.endswith(".delta")

    def decode(self, event: SSEEvent, out: list[ir.StreamEvent]) -> None:
        obj = parse_event(event.data, self._report)
        if not isinstance(obj, dict):
            return
        kind = obj.get("type", event.event)
        if kind == "response.output_text.delta":
            delta = obj.get("delta")
            if isinstance(delta, str) and delta:
                out.append(ir.TextDelta(delta))
        elif kind == "response.refusal.delta":
            delta = obj.get("delta")
            if isinstance(delta, str) and delta:
                self._refused = True
                out.append(ir.RefusalDelta(delta))
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            delta = obj.get("delta")
            if isinstance(delta, str) and delta:
                out.append(ir.ThinkingDelta(delta))
        elif kind == "response.function_call_arguments.delta":
            delta = obj.get("delta")
            index = obj.get("output_index")
            if isinstance(delta, str) and delta and isinstance(index, int):
                self._streamed_args.add(index)
                out.append(ir.ToolArgsDelta(index, delta))
        elif kind == "response.reasoning_summary_part.added":
            self._summary_parts += 1
            if self._summary_parts > 1:
                out.append(ir.ThinkingDelta("\n\n"))  # keep separate summary parts readable
        elif kind == "response.output_item.added":
            self._item_added(obj, out)
        elif kind == "response.output_item.done":
            self._item_done(obj, out)
        elif kind == "response.created":
            response = as_dict(obj.get("response"))
            out.append(ir.Start(as_str(response.get("id")), as_str(response.get("model"))))
        elif kind in ("response.completed", "response.incomplete"):
            self._completed(obj, out)
        elif kind == "response.failed":
            response = as_dict(obj.get("response"))
            out.append(_error(response.get("error")))
        elif kind == "error":
            out.append(_error(obj))

    def _item_added(self, obj: dict, out: list[ir.StreamEvent]) -> None:
        item = obj.get("item")
        index = obj.get("output_index")
        if not isinstance(item, dict) or not isinstance(index, int):
            return
        if item.get("type") == "function_call":
            call_id = as_str(item.get("call_id")) or new_id("call_")
            out.append(ir.ToolCallStart(index, call_id, as_str(item.get("name")) or ""))
        elif item.get("type") == "reasoning":
            self._summary_parts = 0

    def _item_done(self, obj: dict, out: list[ir.StreamEvent]) -> None:
        item = obj.get("item")
        index = obj.get("output_index")
        if not isinstance(item, dict):
            return
        kind = item.get("type")
        if kind == "function_call" and isinstance(index, int):
            arguments = item.get("arguments")
            if index not in self._streamed_args and isinstance(arguments, str) and arguments:
                out.append(ir.ToolArgsDelta(index, arguments))
            out.append(ir.ToolCallEnd(index))
        elif kind == "reasoning":
            out.append(ir.ThinkingSignature(as_str(item.get("encrypted_content")) or "", RESPONSES))
        elif kind == "message":
            out.append(ir.BlockEnd())
        elif kind != "function_call":
            self._report.note(f"output item type '{kind}'")

    def _completed(self, obj: dict, out: list[ir.StreamEvent]) -> None:
        response = as_dict(obj.get("response"))
        usage = usage_from_responses(response.get("usage"))
        if usage is not None:
            out.append(ir.UsageUpdate(usage))
        reason: ir.StopReason = "end_turn"
        details = response.get("incomplete_details")
        if response.get("status") == "incomplete" or obj.get("type") == "response.incomplete":
            cause = details.get("reason") if isinstance(details, dict) and isinstance(details.get("reason"), str) else ""
            reason = STOP_FROM_INCOMPLETE.get(cause, "max_tokens")  # type: ignore[arg-type]
        elif self._refused:
            reason = "refusal"
        self.finished = True
        out.append(ir.Finish(reason))
        out.append(ir.End())



def _error(err: object) -> ir.StreamError:
    if not isinstance(err, dict):
        return ir.StreamError(500, "upstream response failed", "api_error")
    code = as_str(err.get("code")) or as_str(err.get("type"))
    status = status_for_type(code, 429 if code and "rate_limit" in code else 500)
    return ir.StreamError(status, as_str(err.get("message")) or "upstream response failed", code)


class ResponsesStreamEncoder:
    """Writes an OpenAI Responses event stream for a client."""

    def __init__(self, model: str, report: TranslationReport, include_usage: bool = True) -> None:
        self._model = model
        self._report = report
        self._seq = 0
        self._id = ""
        self._created = 0
        self._items: list[dict] = []  # finished output items, for response.completed
        self._open: str | None = None  # "message" | "reasoning" | "call"
        self._item_id = ""
        self._key: int | str | None = None
        self._call: tuple[str, str] = ("", "")  # call id, upstream name of the open call
        self._chunks: list[str] = []  # text, reasoning or arguments of the open item
        self._token: str | None = None
        self._text_ids = ""  # the constant middle of the open message's text deltas
        self._usage = ir.Usage()
        self._stop: ir.StopReason = "end_turn"
        self._refused = False
        self.terminated = False

    def encode(self, ev: ir.StreamEvent, out: list[bytes]) -> None:
        if not self._id and not isinstance(ev, (ir.UsageUpdate, ir.StreamError)):
            self._start(ev.id if isinstance(ev, ir.Start) else None, out)
        match ev:
            case ir.TextDelta(text=text):
                if self._open != "message":
                    self._open_message(out)
                self._chunks.append(text)
                self._seq += 1
                out.append(f'{_TEXT_DELTA}{self._seq}{self._text_ids}{dumps_str(text)},"logprobs":[]}}\n\n'.encode())
            case ir.RefusalDelta(text=text):
                if self._open != "refusal":
                    self._open_message(out, "refusal")
                self._chunks.append(text)
                self._emit("response.refusal.delta", {"item_id": self._item_id, "output_index": len(self._items), "content_index": 0, "delta": text}, out)
            case ir.ThinkingDelta(text=text):
                if self._open != "reasoning":
                    self._open_reasoning(out)
                self._chunks.append(text)
                self._emit("response.reasoning_summary_text.delta", {"item_id": self._item_id, "output_index": len(self._items), "summary_index": 0, "delta": text}, out)
            case ir.ThinkingSignature():
                if self._open != "reasoning":
                    self._open_reasoning(out)
                self._token = client_token(ir.Thinking("", ev.signature, ev.origin, ev.redacted))
                self._close(out)
            case ir.ToolCallStart(key=key, id=call_id, name=name):
                self._close(out)
                self._open, self._key, self._call = "call", key, (call_id, name)
                self._item_id = new_id("fc_")
                item = call_item(self._item_id, call_id, name, "", self._report, status="in_progress")
                self._emit("response.output_item.added", {"output_index": len(self._items), "item": item}, out)
            case ir.ToolArgsDelta(key=key, fragment=fragment):
                if self._open == "call" and self._key == key:
                    self._chunks.append(fragment)
                    if item_kind(self._report, self._call[1]) == "function_call":
                        self._emit("response.function_call_arguments.delta", {"item_id": self._item_id, "output_index": len(self._items), "delta": fragment}, out)
                else:
                    self._report.note("tool-call arguments arrived after their item closed")
            case ir.ToolCallEnd(key=key):
                if self._open == "call" and self._key == key:
                    self._close(out)
            case ir.BlockEnd():
                if self._open in ("message", "refusal", "reasoning"):
                    self._close(out)
            case ir.UsageUpdate(usage=usage):
                self._usage = usage
            case ir.Finish(reason=reason):
                self._stop = reason
            case ir.End():
                self._close(out)
                # a refusal part is the Responses form of a refusal: the response itself completed
                incomplete = None if self._refused else INCOMPLETE_REASON.get(self._stop)
                status, name = ("incomplete", "response.incomplete") if incomplete else ("completed", "response.completed")
                response = response_object(self._id, self._created, self._model, status, self._items, self._usage, incomplete_reason=incomplete)
                self._emit(name, {"response": response}, out)
                self.terminated = True
            case ir.StreamError(status=status, message=message, error_type=error_type):
                out.append(self.error(status, message, error_type))
            case ir.Start():
                pass
            case _:
                assert_never(ev)

    def error(self, status: int, message: str, error_type: str | None = None) -> bytes:
        """``response.failed``: Codex maps the error code to retry-or-stop. The error also rides at
        the top level, where the openai SDK looks to raise its ``APIError`` (without it, its stream
        helper fails with "Didn't receive a `response.completed` event")."""
        self.terminated = True
        if not self._id:
            self._id, self._created = new_id("resp_"), unix_now()
        err = error_body(RESPONSES, status, message, error_type)["error"]
        failure = {"code": err["code"] or err["type"], "message": message}
        response = response_object(self._id, self._created, self._model, "failed", self._items, None, error=failure)
        out: list[bytes] = []
        self._emit("response.failed", {"response": response, "error": err}, out)
        return out[0]

    def _emit(self, name: str, fields: dict, out: list[bytes]) -> None:
        self._seq += 1
        out.append(f'event: {name}\ndata: {dumps({"type": name, "sequence_number": self._seq, **fields})}\n\n'.encode())

    def _start(self, upstream_id: str | None, out: list[bytes]) -> None:
        self._id = upstream_id if upstream_id and upstream_id.startswith("resp_") else new_id("resp_")
        self._created = unix_now()
        self._seq = -1  # the first event is number 0
        response = response_object(self._id, self._created, self._model, "in_progress", [])
        self._emit("response.created", {"response": response}, out)
        self._emit("response.in_progress", {"response": response}, out)

    def _open_message(self, out: list[bytes], kind: str = "message") -> None:
        self._close(out)
        self._open, self._item_id = kind, new_id("msg_")
        index = len(self._items)
        self._text_ids = f',"item_id":"{self._item_id}","output_index":{index},"content_index":0,"delta":'
        self._emit("response.output_item.added", {"output_index": index, "item": message_item(self._item_id, "", "in_progress")}, out)
        part = {"type": "output_text", "text": "", "annotations": []} if kind == "message" else {"type": "refusal", "refusal": ""}
        self._emit("response.content_part.added", {"item_id": self._item_id, "output_index": index, "content_index": 0, "part": part}, out)

    def _open_reasoning(self, out: list[bytes]) -> None:
        self._close(out)
        self._open, self._item_id, self._token = "reasoning", new_id("rs_"), None
        index = len(self._items)
        self._emit("response.output_item.added", {"output_index": index, "item": reasoning_item(self._item_id, "", None)}, out)
        part = {"type": "summary_text", "text": ""}
        self._emit("response.reasoning_summary_part.added", {"item_id": self._item_id, "output_index": index, "summary_index": 0, "part": part}, out)

    def _close(self, out: list[bytes]) -> None:
        kind = self._open
        if kind is None:
            return
        text = "".join(self._chunks)
        self._chunks = []
        self._open = None
        index = len(self._items)
        ids = {"item_id": self._item_id, "output_index": index}
        if kind == "message":
            part = {"type": "output_text", "text": text, "annotations": []}
            self._emit("response.output_text.done", {**ids, "content_index": 0, "text": text, "logprobs": []}, out)
            self._emit("response.content_part.done", {**ids, "content_index": 0, "part": part}, out)
            item = message_item(self._item_id, text)
        elif kind == "refusal":
            self._refused = True
            self._emit("response.refusal.done", {**ids, "content_index": 0, "refusal": text}, out)
            self._emit("response.content_part.done", {**ids, "content_index": 0, "part": {"type": "refusal", "refusal": text}}, out)
            item = message_item(self._item_id, text, refusal=True)
        elif kind == "reasoning":
            if text:
                self._emit("response.reasoning_summary_text.done", {**ids, "summary_index": 0, "text": text}, out)
            self._emit("response.reasoning_summary_part.done", {**ids, "summary_index": 0, "part": {"type": "summary_text", "text": text}}, out)
            item = reasoning_item(self._item_id, text, self._token)
        else:
            call_id, name = self._call
            item = call_item(self._item_id, call_id, name, text, self._report)
            if item["type"] == "function_call":
                self._emit("response.function_call_arguments.done", {**ids, "name": item["name"], "arguments": text}, out)
            else:  # the freeform input is a field of the upstream's JSON arguments: whole once they are
                self._emit("response.custom_tool_call_input.delta", {**ids, "delta": item["input"]}, out)
                self._emit("response.custom_tool_call_input.done", {**ids, "input": item["input"]}, out)
        self._emit("response.output_item.done", {"output_index": index, "item": item}, out)
        self._items.append(item)


def item_kind(report: TranslationReport, upstream_name: str) -> str:
    return "custom_tool_call" if report.client_tool(upstream_name).kind == "custom" else "function_call"
