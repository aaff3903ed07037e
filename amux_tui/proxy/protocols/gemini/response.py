"""Gemini non-streamed responses <-> IR: a non-streamed answer is one stream chunk."""

from __future__ import annotations

from .. import ir
from ..arguments import arguments_object
from ..errors import UpstreamError
from ..fold import fold
from ..ids import new_id
from ..report import TranslationReport
from .stream import STOP_TO_GEMINI, GeminiStreamDecoder, usage_to_gemini


def decode_response(body: dict, report: TranslationReport) -> ir.Response:
    if not isinstance(body, dict) or not ("candidates" in body or "promptFeedback" in body):
        raise UpstreamError("gemini answer without candidates")
    events: list[ir.StreamEvent] = []
    GeminiStreamDecoder(report).decode_chunk(body, events)
    errors = [ev for ev in events if isinstance(ev, ir.StreamError)]
    if errors:
        raise UpstreamError(errors[0].message, errors[0].status, errors[0].error_type)
    return fold(events)


def encode_response(resp: ir.Response, model: str, report: TranslationReport) -> dict:
    parts: list[dict] = []
    for part in resp.parts:
        match part:
            case ir.Text(text=text):
                parts.append({"text": text})
            case ir.Thinking(text=text):
                if text:
                    parts.append({"text": text, "thought": True})
            case ir.ToolCall(id=call_id, name=name, arguments=arguments):
                client_name = report.client_tool(name).name
                parts.append({"functionCall": {"id": call_id, "name": client_name, "args": arguments_object(arguments, client_name, report)}})
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": STOP_TO_GEMINI[resp.stop_reason], "index": 0}
    return {
        "candidates": [candidate],
        "usageMetadata": usage_to_gemini(resp.usage),
        "modelVersion": model,
        "responseId": resp.id or new_id(""),
    }
