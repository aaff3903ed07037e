"""Each protocol's stream grammar, checked on a client's raw stream as the real API writes it.

`grammar_faults(protocol, raw)` lists what a stream does that the real API never does (an
empty list: the grammar holds). A stream may end early in the protocol's error event. The SDK matrix fills the fidelity table's "stream grammar"
column with it; the SDKs' own stream helpers forgive much of this (they index by position).
"""

from __future__ import annotations

import json
from typing import Any

from proxy_client import sse_events


def grammar_faults(protocol: str, raw: bytes) -> list[str]:
    try:
        events = sse_events(raw)
    except ValueError as exc:
        return [f"not SSE JSON: {exc}"]
    check = {"anthropic-messages": _anthropic, "openai-chat": _chat, "openai-responses": _responses, "gemini": _gemini}
    faults: list[str] = []
    if not events:
        return ["no events"]
    check[protocol](events, faults)
    return faults


def _valid_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


_ANTHROPIC_DELTAS = {"text": {"text_delta"}, "thinking": {"thinking_delta", "signature_delta"},
                     "tool_use": {"input_json_delta"}, "redacted_thinking": set()}


def _anthropic(events: list[tuple[str | None, Any]], faults: list[str]) -> None:
    """message_start · (content_block_start · content_block_delta* · content_block_stop)* · message_delta · message_stop."""
    events = [(name, data) for name, data in events if name != "ping"]
    failed = events[-1][0] == "error"
    if failed:
        events = events[:-1]
        if not events:
            return
    if events[0][0] != "message_start":
        faults.append(f"first event {events[0][0]}")
    if not failed and (events[-1][0] != "message_stop" or len(events) < 2 or events[-2][0] != "message_delta"):
        faults.append(f"ends with {[name for name, _ in events[-2:]]}")
    open_block: tuple[int, str] | None = None
    next_index, partial = 0, ""
    for name, data in events:
        if not isinstance(data, dict) or data.get("type") != name:
            faults.append(f"event {name} carries type {data.get('type') if isinstance(data, dict) else data!r}")
            continue
        if name == "content_block_start":
            kind = data["content_block"]["type"]
            if open_block is not None or data["index"] != next_index or kind not in _ANTHROPIC_DELTAS:
                faults.append(f"block {data['index']} ({kind}) opened with {open_block} open, {next_index} expected")
            open_block, next_index, partial = (data["index"], kind), data["index"] + 1, ""
        elif name == "content_block_delta":
            delta = data["delta"]["type"]
            if open_block is None or data["index"] != open_block[0] or delta not in _ANTHROPIC_DELTAS[open_block[1]]:
                faults.append(f"{delta} for block {data['index']} while {open_block} is open")
            partial += data["delta"].get("partial_json", "")
        elif name == "content_block_stop":
            if open_block is None or data["index"] != open_block[0]:
                faults.append(f"stop of block {data['index']} while {open_block} is open")
            elif open_block[1] == "tool_use" and partial and not _valid_json(partial):
                faults.append(f"tool_use input {partial!r} is not JSON")
            open_block = None
        elif name == "message_delta":
            if open_block is not None or not data["delta"].get("stop_reason"):
                faults.append(f"message_delta {data['delta']} with {open_block} open")


def _chat(events: list[tuple[str | None, Any]], faults: list[str]) -> None:
    """Chunks of one id; role first; one finish_reason; then the usage chunk; then [DONE]."""
    if events[-1][1] != "[DONE]":
        faults.append("no [DONE] at the end")
    chunks = [data for _, data in events[:-1]]
    failed = bool(chunks) and isinstance(chunks[-1], dict) and "error" in chunks[-1]
    if failed:
        chunks = chunks[:-1]
        if not chunks:
            return
    ids = {chunk.get("id") for chunk in chunks if isinstance(chunk, dict)}
    if len(ids) != 1 or any(not isinstance(c, dict) or c.get("object") != "chat.completion.chunk" for c in chunks):
        faults.append(f"chunks of ids {ids}")
        return
    if not chunks[0]["choices"] or chunks[0]["choices"][0]["delta"].get("role") != "assistant":
        faults.append("the first delta lacks role assistant")
    finished, arguments = False, {}
    for chunk in chunks:
        if finished and chunk["choices"]:
            faults.append(f"a choice after the finish_reason: {chunk['choices']}")
        for choice in chunk["choices"]:
            for call in choice["delta"].get("tool_calls") or []:
                index = call["index"]
                if index not in arguments:
                    if index != len(arguments) or not call.get("id") or not call.get("function", {}).get("name"):
                        faults.append(f"tool call {index} starts without id/name or out of order")
                    arguments[index] = ""
                arguments[index] += call.get("function", {}).get("arguments") or ""
            finished = finished or bool(choice.get("finish_reason"))
    if not finished and not failed:
        faults.append("no finish_reason")
    if not failed:
        faults.extend(f"tool call {i} arguments {a!r} are not JSON" for i, a in arguments.items() if not _valid_json(a))


def _responses(events: list[tuple[str | None, Any]], faults: list[str]) -> None:
    """sequence_number 0, 1, 2…; created · in_progress · items added/done one at a time · completed."""
    names = [name for name, _ in events]
    if names[:2] != ["response.created", "response.in_progress"] or names[-1] not in (
            "response.completed", "response.incomplete", "response.failed"):
        faults.append(f"starts {names[:2]}, ends {names[-1]}")
    if [data.get("sequence_number") for _, data in events] != list(range(len(events))):
        faults.append("sequence numbers are not 0, 1, 2, …")
    done: list[dict] = []
    open_item: dict | None = None
    deltas = ""
    for name, data in events:
        if data.get("type") != name:
            faults.append(f"event {name} carries type {data.get('type')}")
        if "output_index" in data and (data["output_index"] != len(done) or (
                "item_id" in data and (open_item is None or data["item_id"] != open_item["id"]))):
            faults.append(f"{name} for item {data['output_index']}/{data.get('item_id')} while {len(done)} is next")
        if name == "response.output_item.added":
            if open_item is not None:
                faults.append(f"item {data['item']['id']} added while {open_item['id']} is open")
            open_item, deltas = data["item"], ""
        elif name.endswith(".delta"):
            deltas += data["delta"]
        elif name in ("response.output_text.done", "response.refusal.done", "response.function_call_arguments.done"):
            whole = data.get("text", data.get("refusal", data.get("arguments")))
            if whole != deltas:
                faults.append(f"{name} says {whole!r} after deltas {deltas!r}")
        elif name == "response.output_item.done":
            if open_item is None or data["item"]["id"] != open_item["id"]:
                faults.append(f"item {data['item']['id']} done while {open_item and open_item['id']} is open")
            done.append(data["item"])
            open_item = None
    final = events[-1][1].get("response", {})
    if final.get("status") != "failed" and [item["id"] for item in final.get("output", [])] != [i["id"] for i in done]:
        faults.append("the final response's output is not the items streamed")


def _gemini(events: list[tuple[str | None, Any]], faults: list[str]) -> None:
    """Every chunk has content (google-genai's chat drops a turn otherwise); the last one the finish and usage."""
    chunks = [data for _, data in events]
    failed = "error" in chunks[-1]
    if failed:
        chunks = chunks[:-1]
    if len({chunk.get("responseId") for chunk in chunks}) > 1:
        faults.append("chunks of several responseIds")
    for position, chunk in enumerate(chunks):
        candidate = (chunk.get("candidates") or [{}])[0]
        parts = (candidate.get("content") or {}).get("parts") or []
        if not parts or not all(parts):  # Gemini itself may end on {"text": ""}: google-genai keeps that
            faults.append(f"chunk {position} has empty content {parts}")
        last = position == len(chunks) - 1 and not failed
        if bool(candidate.get("finishReason")) != last or (last and "usageMetadata" not in chunk):
            faults.append(f"chunk {position} of {len(chunks)}: finishReason {candidate.get('finishReason')}")
