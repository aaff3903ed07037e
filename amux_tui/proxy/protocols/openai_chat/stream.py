"""OpenAI Chat Completions SSE: upstream chunks -> IR events, IR events -> client chunks.

Client grammar: ``data: {chunk}`` lines; the first delta carries ``role``; a tool call's
first delta carries index, id, type and name, later ones argument fragments; a chunk
with ``finish_reason``; with ``stream_options.include_usage`` a last chunk with empty
``choices`` and ``usage``; then ``data: [DONE]``. Reasoning goes out as
``reasoning_content`` deltas (the DeepSeek convention most clients display).

Upstream tool calls may interleave (indices 0,1,0,1); the decoder streams one call at a
time and holds the others' deltas until it ends, so every encoder sees each call whole
and contiguous (Anthropic blocks and Responses items cannot interleave). A live call whose
arguments are a whole JSON object when the next call starts has ended (nothing can extend
it), so calls sent one after the other, OpenAI's own order, all stream as they come.
"""

from __future__ import annotations

import json
from typing import assert_never

from .. import ir
from ..errors import error_body, status_for_type
from ..ids import new_id, unix_now
from ..lenient import as_dict, as_json_text, as_str, parse_event
from ..report import TranslationReport
from ..sse import SSEEvent
from ..wirejson import dumps, dumps_str
from .request import CHAT
from .response import STOP_FROM_CHAT, STOP_TO_CHAT, usage_from_chat, usage_to_chat


class ChatStreamDecoder:
    """Reads an OpenAI-compatible chat completion stream."""

    def __init__(self, report: TranslationReport) -> None:
        self._report = report
        self._started = False
        self._keys: dict[int, int | str] = {}  # upstream tool index -> event key
        self._ids: dict[int, str] = {}
        self._open: list[int | str] = []
        self._live: int | str | None = None  # the call whose deltas go out as they come
        self._live_args: list[str] = []  # its arguments so far
        self._held: dict[int | str, tuple[ir.ToolCallStart, list[str]]] = {}  # the others, until their turn
        self._ended: set[int | str] = set()  # held calls that are complete already (their index was reused)
        self._reasoning = False  # reasoning deltas are flowing; mark their origin when they stop
        self._refused = False  # a refusal streamed: "stop" then means "refusal"
        self.finished = False

    @staticmethod
    def skippable(event: SSEEvent) -> bool:
        """Carries no usage, stop or end (passthrough need not parse it)."""
        data = event.data
        return not (
            '"usage"' in data or '"error"' in data or '"finish_reason":"' in data or '"finish_reason": "' in data or data[:6] == "[DONE]"
        )

    def decode(self, event: SSEEvent, out: list[ir.StreamEvent]) -> None:
        data = event.data
        if data[:6] == "[DONE]":
            self._close_tools(out)
            out.append(ir.End())
            return
        obj = parse_event(data, self._report)
        if not isinstance(obj, dict):
            return
        if obj.get("error"):
            out.append(_stream_error(obj["error"]))
            return
        if not self._started:
            self._started = True
            out.append(ir.Start(as_str(obj.get("id")), as_str(obj.get("model"))))
        choices = obj.get("choices")
        if choices and isinstance(choices, list) and isinstance(choices[0], dict):
            choice = choices[0]
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(delta, out)
            reason = choice.get("finish_reason")
            if reason:
                self._end_reasoning(out)
                self._close_tools(out)
                self.finished = True
                stop = STOP_FROM_CHAT.get(reason, "end_turn") if isinstance(reason, str) else "end_turn"
                out.append(ir.Finish("refusal" if self._refused and stop == "end_turn" else stop))
        usage = usage_from_chat(obj.get("usage"))
        if usage is not None:
            out.append(ir.UsageUpdate(usage))

    def _delta(self, delta: dict, out: list[ir.StreamEvent]) -> None:
        content = delta.get("content")
        if len(delta) == 1 and content.__class__ is str and not self._reasoning:
            if content:  # the common chunk, {"content": "..."}
                out.append(ir.TextDelta(content))
            return
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            self._reasoning = True
            out.append(ir.ThinkingDelta(reasoning))
        if content and isinstance(content, str):
            self._end_reasoning(out)
            out.append(ir.TextDelta(content))  # type: ignore[arg-type]
        refusal = delta.get("refusal")
        if refusal and isinstance(refusal, str):
            self._end_reasoning(out)
            self._refused = True
            out.append(ir.RefusalDelta(refusal))
        calls = delta.get("tool_calls")
        if calls and isinstance(calls, list):
            self._end_reasoning(out)
            for position, call in enumerate(calls):
                if isinstance(call, dict):
                    self._tool_delta(position, call, out)

    def _tool_delta(self, position: int, call: dict, out: list[ir.StreamEvent]) -> None:
        index = call.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            index = position
        fn = as_dict(call.get("function"))
        call_id = call.get("id") if isinstance(call.get("id"), str) and call["id"] else None
        key = self._keys.get(index)
        if key is not None and call_id is not None and call_id != self._ids[index]:
            if key in self._open:
                self._end_call(key, out)  # a provider reusing index 0 for every call
            key = None
        if key is None:
            key = index if index not in self._keys else f"{index}:{call_id}"
            self._keys[index] = key
            self._ids[index] = call_id or new_id("call_")
            self._open.append(key)
            start = ir.ToolCallStart(key, self._ids[index], as_str(fn.get("name")) or "")
            if self._live is not None and self._live_args and _whole_object("".join(self._live_args)):
                self._end_call(self._live, out)  # the calls come one after the other: no need to hold
            if self._live is None:
                self._live, self._live_args = key, []
                out.append(start)
            else:
                self._held[key] = (start, [])
        args = fn.get("arguments")
        fragment = args if isinstance(args, str) else as_json_text(args) if isinstance(args, dict) else ""
        if not fragment:
            return
        held = self._held.get(key)
        if held is None:  # the live call (or one already ended: the encoder notes the late fragment)
            out.append(ir.ToolArgsDelta(key, fragment))
            if key == self._live:
                self._live_args.append(fragment)
        else:  # interleaved deltas (indices 0,1,0,1): this call waits until the live one ends
            held[1].append(fragment)

    def _end_call(self, key: int | str, out: list[ir.StreamEvent]) -> None:
        """End ``key``. A waiting call still waits for the live one (whole, later); when the live one
        ends, the waiting calls go out in order, each with what it has so far, until one goes live."""
        self._open.remove(key)
        if key != self._live:
            self._ended.add(key)
            return
        out.append(ir.ToolCallEnd(key))
        self._live = None
        while self._held and self._live is None:
            waiting = next(iter(self._held))
            start, fragments = self._held.pop(waiting)
            out.append(start)
            if fragments:
                out.append(ir.ToolArgsDelta(waiting, "".join(fragments)))
            if waiting in self._ended:
                self._ended.discard(waiting)
                out.append(ir.ToolCallEnd(waiting))
            else:
                self._live, self._live_args = waiting, fragments

    def _end_reasoning(self, out: list[ir.StreamEvent]) -> None:
        """An empty signature only records where the reasoning came from (see signatures.py)."""
        if self._reasoning:
            self._reasoning = False
            out.append(ir.ThinkingSignature("", CHAT))

    def _close_tools(self, out: list[ir.StreamEvent]) -> None:
        """Chat ends its calls only by finishing: each goes out whole, one after the other."""
        while self._open:
            self._end_call(self._live if self._live is not None else self._open[0], out)



def _whole_object(arguments: str) -> bool:
    """Tool arguments that no later fragment can extend (a complete JSON object)."""
    text = arguments.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _stream_error(err: object) -> ir.StreamError:
    if isinstance(err, dict):
        etype = as_str(err.get("type")) or as_str(err.get("code")) or "api_error"
        code = err.get("code")
        status = code if isinstance(code, int) and 400 <= code < 600 else status_for_type(etype)
        return ir.StreamError(status, as_str(err.get("message")) or "upstream error", etype)
    return ir.StreamError(500, str(err), "api_error")


class ChatStreamEncoder:
    """Writes an OpenAI chat completion stream for a client."""

    def __init__(self, model: str, report: TranslationReport, include_usage: bool = True) -> None:
        self._model = model
        self._report = report
        self._include_usage = include_usage
        self._base = ""
        self._head = ""
        self._tool_index: dict[int | str, int] = {}
        self._usage = ir.Usage()
        self._finish_sent = False
        self._refused = False
        self.terminated = False

    def encode(self, ev: ir.StreamEvent, out: list[bytes]) -> None:
        if not self._head and not isinstance(ev, (ir.UsageUpdate, ir.StreamError)):
            self._start(ev.id if isinstance(ev, ir.Start) else None, out)
        match ev:
            case ir.TextDelta(text=text):
                out.append(f'{self._head}{{"content":{dumps_str(text)}}},"logprobs":null,"finish_reason":null}}]}}\n\n'.encode())
            case ir.ThinkingDelta(text=text):
                out.append(f'{self._head}{{"reasoning_content":{dumps_str(text)}}},"logprobs":null,"finish_reason":null}}]}}\n\n'.encode())
            case ir.RefusalDelta(text=text):
                self._refused = True
                self._delta({"refusal": text}, out)
            case ir.ToolCallStart(key=key, id=call_id, name=name):
                index = self._tool_index[key] = len(self._tool_index)
                fn = {"name": self._report.client_tool(name).name, "arguments": ""}
                self._delta({"tool_calls": [{"index": index, "id": call_id, "type": "function", "function": fn}]}, out)
            case ir.ToolArgsDelta(key=key, fragment=fragment):
                index = self._tool_index.get(key)
                if index is None:
                    self._report.note("tool-call arguments without a tool call")
                else:
                    self._delta({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}, out)
            case ir.Finish(reason=reason):
                # a refusal chat clients can read is a refusal delta and "stop", as OpenAI sends it
                self._finish("stop" if reason == "refusal" and self._refused else STOP_TO_CHAT[reason], out)
            case ir.UsageUpdate(usage=usage):
                self._usage = usage
            case ir.End():
                self._finish("stop", out)
                if self._include_usage:
                    out.append(f'{self._base}"choices":[],"usage":{dumps(usage_to_chat(self._usage))}}}\n\n'.encode())
                out.append(b"data: [DONE]\n\n")
                self.terminated = True
            case ir.StreamError(status=status, message=message, error_type=error_type):
                out.append(self.error(status, message, error_type))
            case ir.ThinkingSignature() | ir.ToolCallEnd() | ir.BlockEnd() | ir.Start():
                pass  # chat has no slot for signatures and no explicit block ends
            case _:
                assert_never(ev)

    def error(self, status: int, message: str, error_type: str | None = None) -> bytes:
        """An error chunk (the OpenAI SDKs raise on it), then the end of the stream."""
        self.terminated = True
        return f"data: {dumps(error_body(CHAT, status, message, error_type))}\n\ndata: [DONE]\n\n".encode()

    def _start(self, upstream_id: str | None, out: list[bytes]) -> None:
        chunk_id = upstream_id if upstream_id and upstream_id.startswith("chatcmpl") else new_id("chatcmpl-")
        self._base = (
            f'data: {{"id":{dumps_str(chunk_id)},"object":"chat.completion.chunk","created":{unix_now()},'
            f'"model":{dumps_str(self._model)},'
        )
        self._head = f'{self._base}"choices":[{{"index":0,"delta":'
        self._delta({"role": "assistant", "content": ""}, out)

    def _delta(self, delta: dict, out: list[bytes]) -> None:
        out.append(f'{self._head}{dumps(delta)},"logprobs":null,"finish_reason":null}}]}}\n\n'.encode())

    def _finish(self, reason: str, out: list[bytes]) -> None:
        if not self._finish_sent:
            self._finish_sent = True
            out.append(f'{self._head}{{}},"logprobs":null,"finish_reason":"{reason}"}}]}}\n\n'.encode())
