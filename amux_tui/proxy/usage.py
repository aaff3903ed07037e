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
_ANTHROPIC_CACHE_KEYS = ("cache_read_input_tokens", "cache_creation_input_tokens")


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
    """(input, output) tokens from one parsed answer or event of any of the four APIs; input counts
    every prompt token, cached ones included (as the translated streams' usage does)."""
    if not isinstance(event, dict):
        return None, None
    for holder in (event, event.get("message"), event.get("response")):
        if not isinstance(holder, dict):
            continue
        usage = holder.get("usage") or holder.get("usageMetadata")
        if isinstance(usage, dict):
            return _input(usage), _output(usage)
    return None, None


def cache_from_object(event: Any) -> tuple[int | None, int | None]:
    """(prompt tokens read from the provider's cache, written to it) from one answer or event of any
    of the four APIs; None where the event does not say. Both are counted in the input too."""
    if not isinstance(event, dict):
        return None, None
    for holder in (event, event.get("message"), event.get("response")):
        usage = holder.get("usage") or holder.get("usageMetadata") if isinstance(holder, dict) else None
        if isinstance(usage, dict):
            # Anthropic, Gemini, DeepSeek (whose prompt_tokens include its cache hits)
            read = _first_int(usage, ("cache_read_input_tokens", "cachedContentTokenCount", "prompt_cache_hit_tokens"))
            for key in ("prompt_tokens_details", "input_tokens_details"):  # OpenAI's two spellings
                details = usage.get(key)
                if read is None and isinstance(details, dict):
                    read = _first_int(details, ("cached_tokens",))
            return read, _first_int(usage, ("cache_creation_input_tokens",))
    return None, None


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


def _input(usage: dict[str, Any]) -> int | None:
    tokens = _first_int(usage, _INPUT_KEYS)
    if tokens is None or not _anthropic_shaped(usage):
        return tokens
    for key in _ANTHROPIC_CACHE_KEYS:  # Anthropic counts cache reads and writes apart from input_tokens
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            tokens += value
    return tokens


def _anthropic_shaped(usage: dict[str, Any]) -> bool:
    """Anthropic's own usage. OpenAI-family counts (``prompt_tokens``, or ``input_tokens`` with its
    details) already include the cache, even where a gateway (LiteLLM) adds Anthropic's cache keys."""
    return "input_tokens" in usage and not any(
        key in usage for key in ("prompt_tokens", "input_tokens_details", "prompt_tokens_details"))


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


def details_from_answer(data: bytes, *, sse: bool) -> tuple[int | None, int | None, str | None]:
    """(cache read, cache write prompt tokens, the model named) from a JSON body or SSE events;
    later events win."""
    if not data:
        return None, None, None
    events: list[Any] = []
    if not sse:
        try:
            events = [json.loads(data)]
        except (ValueError, RecursionError):
            return None, None, None
    else:
        for line in data.splitlines():
            if line.startswith(b"data:") and (b"sage" in line or b"odel" in line):
                try:
                    events.append(json.loads(line[5:]))
                except (ValueError, RecursionError):
                    continue
    read = write = model = None
    for event in events:
        found_read, found_write = cache_from_object(event)
        read = found_read if found_read is not None else read
        write = found_write if found_write is not None else write
        model = model_from_object(event) or model
    return read, write, model


def record_usage(record: RequestRecord, is_sse: bool) -> None:
    """Fill the record's token counts (and the model the upstream names) from its captured answer
    (head and tail), where it names them."""
    capture = record.response
    data = capture.data() + (b"\n" + capture.tail() if capture.truncated else b"")
    tokens_in, tokens_out = usage_from_answer(data, sse=is_sse)
    record.input_tokens = tokens_in if tokens_in is not None else record.input_tokens
    record.output_tokens = tokens_out if tokens_out is not None else record.output_tokens
    read, write, model = details_from_answer(data, sse=is_sse)
    if tokens_in is not None:
        record.cache_read_tokens, record.cache_write_tokens = read, write
    record.reported_model = model or record.reported_model
