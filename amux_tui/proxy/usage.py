"""Token usage read back from a relayed (untranslated) answer, for the traffic record.

Relayed bytes are never parsed on their way to the client; once the answer is complete, the
captured head and tail are scanned here for the usage fields of any of the four APIs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .traffic import RequestRecord

_INPUT_KEYS = ("input_tokens", "prompt_tokens", "promptTokenCount")
_OUTPUT_KEYS = ("output_tokens", "completion_tokens", "candidatesTokenCount")


def usage_from_answer(data: bytes, *, sse: bool) -> tuple[int | None, int | None]:
    """(input, output) tokens from a JSON body or SSE events; later events win; None when absent."""
    if not data or b"sage" not in data:  # "usage" / "usageMetadata"
        return None, None
    if not sse:
        try:
            return usage_from_object(json.loads(data))
        except (ValueError, RecursionError):  # not JSON, or absurdly nested
            return None, None
    tokens_in = tokens_out = None
    for line in data.splitlines():
        if not line.startswith(b"data:") or b"sage" not in line:
            continue
        try:
            event = json.loads(line[5:])
        except (ValueError, RecursionError):
            continue  # a capture can end in the middle of an event
        found_in, found_out = usage_from_object(event)
        tokens_in = found_in if found_in is not None else tokens_in
        tokens_out = found_out if found_out is not None else tokens_out
    return tokens_in, tokens_out


def usage_from_object(event: Any) -> tuple[int | None, int | None]:
    """(input, output) tokens from one parsed answer or event of any of the four APIs.

    Input counts every prompt token, cached ones included (Anthropic reports cache reads and
    writes apart from ``input_tokens``: they are added)."""
    usage = _usage_of(event)
    if usage is None:
        return None, None
    tokens_in = _first_int(usage, _INPUT_KEYS)
    if tokens_in is not None and ("cache_read_input_tokens" in usage or "cache_creation_input_tokens" in usage):
        tokens_in += (_first_int(usage, ("cache_read_input_tokens",)) or 0) + \
            (_first_int(usage, ("cache_creation_input_tokens",)) or 0)
    return tokens_in, _output(usage)


def _usage_of(event: Any) -> dict[str, Any] | None:
    if not isinstance(event, dict):
        return None
    for holder in (event, event.get("message"), event.get("response")):
        if not isinstance(holder, dict):
            continue
        usage = holder.get("usage") or holder.get("usageMetadata")
        if isinstance(usage, dict):
            return usage
    return None


def cached_from_object(event: Any) -> int | None:
    """Cached prompt tokens from one answer or event (each API names them its own way)."""
    usage = _usage_of(event)
    if usage is None:
        return None
    for holder, key in ((usage, "cache_read_input_tokens"), (usage, "cachedContentTokenCount"),
                        (usage, "prompt_cache_hit_tokens"), (usage.get("prompt_tokens_details"), "cached_tokens"),
                        (usage.get("input_tokens_details"), "cached_tokens")):
        if isinstance(holder, dict):
            value = _first_int(holder, (key,))
            if value is not None:
                return value
    return None


def model_from_object(event: Any) -> str | None:
    """The model an answer or event names (``model``, ``message.model``, ``response.model``, ``modelVersion``)."""
    if not isinstance(event, dict):
        return None
    for holder in (event, event.get("message"), event.get("response")):
        if isinstance(holder, dict):
            value = holder.get("model") or holder.get("modelVersion")
            if isinstance(value, str) and value:
                return value
    return None


def _output(usage: dict[str, Any]) -> int | None:
    output = _first_int(usage, _OUTPUT_KEYS)
    thoughts = usage.get("thoughtsTokenCount")
    if isinstance(thoughts, int) and output is not None:
        output += thoughts  # Gemini counts thinking apart; it is billed as output
    return output


def _first_int(usage: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def record_usage(record: RequestRecord, is_sse: bool) -> None:
    """Fill the record's token counts (and the model the upstream names) from its captured answer
    (head and tail), where it names them."""
    capture = record.response
    data = capture.data() + (b"\n" + capture.tail() if capture.truncated else b"")
    tokens_in, tokens_out = usage_from_answer(data, sse=is_sse)
    record.input_tokens = tokens_in if tokens_in is not None else record.input_tokens
    record.output_tokens = tokens_out if tokens_out is not None else record.output_tokens
    cached, model = details_from_answer(data, sse=is_sse)
    record.cached_tokens = cached if cached is not None else record.cached_tokens
    record.reported_model = model or record.reported_model


def details_from_answer(data: bytes, *, sse: bool) -> tuple[int | None, str | None]:
    """(cached tokens, model named) from a JSON body or SSE events; later events win."""
    if not data:
        return None, None
    events: list[Any] = []
    if not sse:
        try:
            events = [json.loads(data)]
        except (ValueError, RecursionError):
            return None, None
    else:
        for line in data.splitlines():
            if line.startswith(b"data:") and (b"sage" in line or b"odel" in line):
                try:
                    events.append(json.loads(line[5:]))
                except (ValueError, RecursionError):
                    continue
    cached = model = None
    for event in events:
        found = cached_from_object(event)
        cached = found if found is not None else cached
        model = model_from_object(event) or model
    return cached, model
