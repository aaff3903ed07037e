"""Gemini streamGenerateContent (``alt=sse``): upstream chunks -> IR events, and back.

Every chunk is a whole ``GenerateContentResponse``: ``{"candidates": [{"content":
{"role": "model", "parts": [...]}, "finishReason"?}], "usageMetadata", "modelVersion",
"responseId"}``. Function calls arrive whole (``args`` is an object), so the client
encoder buffers streamed arguments until the call ends. Gemini CLI drops ``thought``
parts from its history but keeps ``thoughtSignature`` on the others; it requires a
finish reason, and text or a function call, in every answer.
"""

from __future__ import annotations

import re
from typing import assert_never

from .. import ir
from ..arguments import arguments_object
from ..errors import error_body, status_for_type
from ..ids import new_id
from ..lenient import as_dict, as_int, as_json_text, as_str, parse_event
from ..report import TranslationReport
from ..sse import SSEEvent
from ..wirejson import dumps, dumps_str
from .request import GEMINI, SYNTHETIC_ID

STOP_FROM_GEMINI: dict[str, ir.StopReason] = {
    "STOP": "end_turn",
    "MAX_TOKENS": "max_tokens",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "LANGUAGE": "content_filter",
}
STOP_TO_GEMINI: dict[str, str] = {
    "end_turn": "STOP",
    "tool_use": "STOP",
    "stop_sequence": "STOP",
    "pause_turn": "STOP",
    "max_tokens": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "refusal": "SAFETY",
}
_NOT_ID = re.compile(r"[^A-Za-z0-9]")



def usage_from_gemini(raw: object) -> ir.Usage | None:
    if not isinstance(raw, dict):
        return None
    thoughts = (as_int(raw.get("thoughtsTokenCount")) or 0)
    return ir.Usage(
        input_tokens=(as_int(raw.get("promptTokenCount")) or 0) + (as_int(raw.get("toolUsePromptTokenCount")) or 0),
        output_tokens=(as_int(raw.get("candidatesTokenCount")) or 0) + thoughts,
        cached_tokens=(as_int(raw.get("cachedContentTokenCount")) or 0),
        reasoning_tokens=thoughts,
    )


def usage_to_gemini(usage: ir.Usage) -> dict:
    out = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": max(usage.output_tokens - usage.reasoning_tokens, 0),
        "totalTokenCount": usage.input_tokens + usage.output_tokens,
    }
    if usage.cached_tokens:
        out["cachedContentTokenCount"] = usage.cached_tokens
    if usage.reasoning_tokens:
        out["thoughtsTokenCount"] = usage.reasoning_tokens
    return out


class GeminiStreamDecoder:
    """Reads Gemini chunks (SSE data, or the elements of a non-streamed array)."""

    def __init__(self, report: TranslationReport) -> None:
        self._report = report
        self._started = False
        self._calls = 0
        self._id_stem = ""
        self._thinking = False  # thought text is flowing without a signature yet
        self.finished = False

    @staticmethod
    def skippable(event: SSEEvent) -> bool:
        """Carries no usage, stop or end (passthrough need not parse it)."""
        data = event.data
        return not ('"usageMetadata"' in data or "finishReason" in data or '"error"' in data)

    def decode(self, event: SSEEvent, out: list[ir.StreamEvent]) -> None:
        obj = parse_event(event.data, self._report)
        for chunk in obj if isinstance(obj, list) else [obj]:
            if isinstance(chunk, dict):
                self.decode_chunk(chunk, out)

    def decode_chunk(self, obj: dict, out: list[ir.StreamEvent]) -> None:
        if obj.get("error"):
            err = obj["error"] if isinstance(obj["error"], dict) else {"message": str(obj["error"])}
            code = err.get("code")
            status = code if isinstance(code, int) and 400 <= code < 600 else status_for_type(err.get("status"))
            out.append(ir.StreamError(status, str(err.get("message") or "upstream error"), as_str(err.get("status"))))
            return
        usage = usage_from_gemini(obj.get("usageMetadata"))
        if not self._started:
            self._started = True
            response_id = as_str(obj.get("responseId"))
            self._id_stem = _NOT_ID.sub("", response_id or "")[:24] or new_id("")
            if usage is not None:  # before Start: the client's opening event can carry the prompt count
                out.append(ir.UsageUpdate(usage))
            out.append(ir.Start(response_id, as_str(obj.get("modelVersion"))))
        candidates = obj.get("candidates")
        candidate = candidates[0] if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict) else {}
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict):
                    self._part(part, out)
        reason = candidate.get("finishReason")
        feedback = obj.get("promptFeedback")
        if not reason and not candidates and isinstance(feedback, dict) and feedback.get("blockReason"):
            reason = "SAFETY"
            self._report.note(f"prompt blocked by gemini: {feedback.get('blockReason')}")
        if usage is not None:
            out.append(ir.UsageUpdate(usage))
        if isinstance(reason, str) and reason:
            self._end_thinking("", out)
            if reason not in STOP_FROM_GEMINI and reason != "FINISH_REASON_UNSPECIFIED":
                self._report.note(f"gemini finish reason {reason}")
            self.finished = True
            out.append(ir.Finish(STOP_FROM_GEMINI.get(reason, "end_turn")))
            out.append(ir.End())  # Gemini has no separate terminal event

    def _part(self, part: dict, out: list[ir.StreamEvent]) -> None:
        signature = part.get("thoughtSignature")
        text = part.get("text")
        if part.get("thought") is True:
            if isinstance(text, str) and text:
                self._thinking = True
                out.append(ir.ThinkingDelta(text))
            if isinstance(signature, str) and signature:
                self._end_thinking(signature, out)
            return
        if isinstance(signature, str) and signature:  # it belongs to this part: send it first
            if self._thinking or "functionCall" in part:
                self._thinking = False
                out.append(ir.ThinkingSignature(signature, GEMINI))
            else:  # optional on text (Gemini 3 validates only calls'): not worth an empty thinking block
                self._report.note("gemini thoughtSignature on a text part (optional; not carried)")
        else:
            self._end_thinking("", out)
        if isinstance(text, str):
            if text:
                out.append(ir.TextDelta(text))
            return
        call = part.get("functionCall")
        if isinstance(call, dict):
            key = self._calls
            self._calls += 1
            call_id = as_str(call.get("id")) or f"{SYNTHETIC_ID}{self._id_stem}_{key}"
            args = as_dict(call.get("args"))
            out.append(ir.ToolCallStart(key, call_id, as_str(call.get("name")) or ""))
            out.append(ir.ToolArgsDelta(key, as_json_text(args)))
            out.append(ir.ToolCallEnd(key))
        elif part:
            self._report.note(f"gemini answer part '{next(iter(part))}'")


    def _end_thinking(self, signature: str, out: list[ir.StreamEvent]) -> None:
        """Close shown thoughts; an empty signature only records their origin."""
        if self._thinking or signature:
            self._thinking = False
            out.append(ir.ThinkingSignature(signature, GEMINI))



class GeminiStreamEncoder:
    """Writes Gemini SSE chunks for a client.

    Each chunk is held until the next one is known, so that the finish reason and usage ride
    on the last chunk with content, as Gemini sends them: google-genai's chat drops a whole
    turn from its history when the stream ends with an empty-parts chunk.
    """

    def __init__(self, model: str, report: TranslationReport, include_usage: bool = True) -> None:
        self._model = model
        self._report = report
        self._tail = ""
        self._held = ""  # the "content" JSON of the chunk not written yet
        self._calls: dict[int | str, tuple[str, str, list[str]]] = {}  # key -> id, name, fragments
        self._usage = ir.Usage()
        self._stop: ir.StopReason = "end_turn"
        self.terminated = False

    def encode(self, ev: ir.StreamEvent, out: list[bytes]) -> None:
        if not self._tail and not isinstance(ev, (ir.UsageUpdate, ir.StreamError)):
            upstream_id = ev.id if isinstance(ev, ir.Start) else None
            self._tail = f',"modelVersion":{dumps_str(self._model)},"responseId":{dumps_str(upstream_id or new_id(""))}}}\r\n\r\n'
        match ev:
            case ir.TextDelta(text=text) | ir.RefusalDelta(text=text):  # Gemini's refusal: text + SAFETY
                held = self._held
                self._held = f'{{"role":"model","parts":[{{"text":{dumps_str(text)}}}]}}'
                if held:
                    out.append(f'data: {{"candidates":[{{"content":{held},"index":0}}]{self._tail}'.encode())
            case ir.ThinkingDelta(text=text):
                self._parts([{"text": text, "thought": True}], out)
            case ir.ThinkingSignature(origin=origin):
                if origin != GEMINI and ev.signature:
                    self._report.note(f"reasoning signature from {origin} (a gemini client cannot carry it back)")
            case ir.ToolCallStart(key=key, id=call_id, name=name):
                self._calls[key] = (call_id, self._report.client_tool(name).name, [])
            case ir.ToolArgsDelta(key=key, fragment=fragment):
                if key in self._calls:
                    self._calls[key][2].append(fragment)
            case ir.ToolCallEnd(key=key):
                self._flush_call(key, out)
            case ir.UsageUpdate(usage=usage):
                self._usage = usage
            case ir.Finish(reason=reason):
                self._stop = reason
            case ir.End():
                for key in list(self._calls):
                    self._flush_call(key, out)
                content = self._held or '{"role":"model","parts":[]}'  # an answer with no content at all
                self._held = ""
                finish = STOP_TO_GEMINI[self._stop]
                usage = dumps(usage_to_gemini(self._usage))
                out.append(f'data: {{"candidates":[{{"content":{content},"finishReason":"{finish}","index":0}}],"usageMetadata":{usage}{self._tail}'.encode())
                self.terminated = True
            case ir.StreamError(status=status, message=message, error_type=error_type):
                out.append(self.error(status, message, error_type))
            case ir.BlockEnd() | ir.Start():
                pass
            case _:
                assert_never(ev)

    def error(self, status: int, message: str, error_type: str | None = None) -> bytes:
        """The held chunk (its content was already produced), then the error chunk."""
        self.terminated = True
        held, self._held = self._held, ""
        head = f'data: {{"candidates":[{{"content":{held},"index":0}}]{self._tail}'.encode() if held else b""
        return head + f"data: {dumps(error_body(GEMINI, status, message, error_type))}\r\n\r\n".encode()

    def _parts(self, parts: list[dict], out: list[bytes]) -> None:
        held = self._held
        self._held = dumps({"role": "model", "parts": parts})
        if held:
            out.append(f'data: {{"candidates":[{{"content":{held},"index":0}}]{self._tail}'.encode())

    def _flush_call(self, key: int | str, out: list[bytes]) -> None:
        entry = self._calls.pop(key, None)
        if entry is None:
            return
        call_id, name, fragments = entry
        call = {"id": call_id, "name": name, "args": arguments_object("".join(fragments), name, self._report)}
        self._parts([{"functionCall": call}], out)
