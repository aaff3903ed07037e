"""Fuzzed bodies: translation either succeeds with valid JSON or fails as our own error.

Real harness-shaped bodies are mutated at random paths (values replaced by any JSON,
keys deleted, unknown keys added); decoders must answer ``RequestError`` (4xx) for the
client side and ``UpstreamError`` for the upstream side, never another exception. The
safety net that would turn a stray exception into a 400 is switched off here.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amux_tui.proxy.protocols import (
    PROTOCOLS,
    RequestError,
    StreamTranslator,
    TranslationReport,
    UpstreamError,
    translate,
    translate_request,
    translate_response,
)
from amux_tui.proxy.protocols.sse import SSEParser, format_event

from test_proxy_translate_requests import CLAUDE_CODE, CODEX, GEMINI_CLI  # noqa: E402  (shared fixtures)
from test_proxy_translate_roundtrip import first_request, second_request, upstream_answer  # noqa: E402

CHAT = {
    "model": "m",
    "stream": True,
    "stream_options": {"include_usage": True},
    "messages": [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]},
        {"role": "assistant", "content": None, "reasoning_content": "r", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
    "reasoning_effort": "low",
    "stop": ["END"],
}
REQUESTS = {"anthropic-messages": CLAUDE_CODE, "openai-chat": CHAT, "openai-responses": CODEX, "gemini": GEMINI_CLI}

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
mutations = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["replace", "delete", "add"]), json_values), min_size=1, max_size=6)


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


def paths(value: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def mutate(body: dict, plan: list) -> dict:
    body = copy.deepcopy(body)
    for pick, action, value in plan:
        all_paths = paths(body)
        path = all_paths[pick % len(all_paths)]
        if not path:
            continue
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if action == "replace":
            parent[last] = value
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[f"unknown_{pick}"] = value
        else:
            parent.insert(last, value)
    return body


def check_request(body: object, source: str, target: str) -> None:
    try:
        out = translate_request(body, source=source, target=target, model="m", report=TranslationReport())  # type: ignore[arg-type]
    except RequestError as exc:
        assert 400 <= exc.status < 500 and exc.message
        return
    json.dumps(out, allow_nan=False)


PAIRS = [(s, t) for s in PROTOCOLS for t in PROTOCOLS if s != t]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=mutations)
def test_mutated_requests_only_raise_request_error(source: str, target: str, plan: list) -> None:
    check_request(mutate(REQUESTS[source], plan), source, target)


@pytest.mark.parametrize("source", PROTOCOLS)
@settings(max_examples=80, deadline=None)
@given(body=st.one_of(json_values, st.dictionaries(st.sampled_from(["messages", "input", "contents", "system", "tools", "model", "stream"]), json_values, max_size=4)))
def test_random_json_requests_only_raise_request_error(source: str, body: object) -> None:
    for target in PROTOCOLS:
        if target != source:
            check_request(body, source, target)


@pytest.mark.parametrize(("upstream", "client"), PAIRS, ids=[f"{u}->{c}" for u, c in PAIRS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=mutations, with_tool=st.booleans())
def test_mutated_responses_only_raise_upstream_error(upstream: str, client: str, plan: list, with_tool: bool) -> None:
    body = upstream_answer(upstream, "get_weather" if with_tool else None, stream=False)
    try:
        out = translate_response(mutate(body, plan), source=upstream, target=client, model="m", report=TranslationReport())  # type: ignore[arg-type]
    except UpstreamError:
        return
    json.dumps(out, allow_nan=False)


@pytest.mark.parametrize(("upstream", "client"), PAIRS, ids=[f"{u}->{c}" for u, c in PAIRS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=mutations, garbage=st.lists(st.binary(max_size=20), max_size=3))
def test_mutated_streams_never_raise(upstream: str, client: str, plan: list, garbage: list) -> None:
    raw = upstream_answer(upstream, "get_weather", stream=True)
    events = SSEParser().feed(raw)
    data = [json.loads(ev.data) if ev.data != "[DONE]" else ev.data for ev in events]
    mutated = mutate({"events": data}, plan).get("events")
    if not isinstance(mutated, list):
        mutated = data
    stream = b"".join(
        format_event(ev.event, item if isinstance(item, str) else json.dumps(item)) for ev, item in zip(events, mutated)
    )  # fmt: skip
    translator = StreamTranslator(upstream=upstream, client=client, model="m", report=TranslationReport())
    out = b"".join(translator.feed(piece) for piece in [*garbage, stream]) + translator.finish()
    parser = SSEParser()
    for ev in parser.feed(out) + parser.flush():
        if ev.data != "[DONE]":
            json.loads(ev.data)
    assert out, "the client always hears the end of the stream, one way or the other"


def test_fixture_bodies_translate_cleanly() -> None:
    for source, body in REQUESTS.items():
        for target in PROTOCOLS:
            check_request(body, source, target)
    assert second_request("gemini", first_request("gemini"), {"calls": [("i", "n", None, {})], "history": []})
