"""Fold a sequence of IR stream events into one ``ir.Response``.

Gemini's non-streamed answer is a single stream chunk, so its decoder reuses the stream
decoder and folds; tests fold client streams to compare them with non-streamed bodies.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import ir


def fold(events: Iterable[ir.StreamEvent]) -> ir.Response:
    resp = ir.Response()
    calls: dict[int | str, ir.ToolCall] = {}
    closed = True  # the last text/thinking part is finished
    for ev in events:
        parts = resp.parts
        last = parts[-1] if parts else None
        match ev:
            case ir.Start(id=resp_id, model=model):
                resp.id, resp.model = resp_id, model
            case ir.TextDelta(text=text) | ir.ThinkingDelta(text=text):
                kind = ir.Text if isinstance(ev, ir.TextDelta) else ir.Thinking
                if isinstance(last, kind) and not closed and not (kind is ir.Text and last.refusal):  # type: ignore[union-attr]
                    last.text += text
                else:
                    parts.append(kind(text))
                closed = False
            case ir.RefusalDelta(text=text):
                if isinstance(last, ir.Text) and last.refusal and not closed:
                    last.text += text
                else:
                    parts.append(ir.Text(text, refusal=True))
                closed = False
            case ir.ThinkingSignature(signature=signature, origin=origin, redacted=redacted):
                if isinstance(last, ir.Thinking) and not closed:
                    last.signature, last.origin, last.redacted = signature or None, origin, redacted
                else:
                    parts.append(ir.Thinking("", signature or None, origin, redacted))
                closed = True
            case ir.ToolCallStart(key=key, id=call_id, name=name):
                calls[key] = ir.ToolCall(call_id, name, "")
                parts.append(calls[key])
                closed = True
            case ir.ToolArgsDelta(key=key, fragment=fragment):
                if key in calls:
                    calls[key].arguments += fragment
            case ir.BlockEnd():
                closed = True
            case ir.UsageUpdate(usage=usage):
                resp.usage = usage
            case ir.Finish(reason=reason, stop_sequence=stop_sequence):
                resp.stop_reason, resp.stop_sequence = reason, stop_sequence
            case ir.ToolCallEnd() | ir.End() | ir.StreamError():
                pass
    for call in calls.values():
        call.arguments = call.arguments or "{}"
    return resp
