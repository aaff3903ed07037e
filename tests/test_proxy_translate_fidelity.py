"""Issue 12's answer-side defects, each fed the exact input the audit found, through the real proxy
on 127.0.0.1 against a recording upstream (or through the translators where no socket matters)."""

from __future__ import annotations

import json

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amux_tui.proxy.protocols import StreamTranslator, TranslationReport, translate, translate_response
from amux_tui.proxy.protocols.schema import to_gemini
from proxy_client import auth_headers, post, proxy_for, request_body, route, sse_events
from stream_grammar import grammar_faults
from upstreams import Reply, UpstreamServer

CLIENTS = ("anthropic-messages", "openai-chat", "openai-responses", "gemini")


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


def _chat_chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> bytes:
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-x",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage:
        chunk["usage"] = usage
    return f"data: {json.dumps(chunk)}\n\n".encode()


# --- item 2: a translated Gemini stream ends on its last real chunk -----------------------------------

@pytest.mark.parametrize("upstream", ["anthropic-messages", "openai-chat", "openai-responses"])
async def test_a_translated_gemini_stream_puts_finish_and_usage_on_its_last_content_chunk(upstream: str) -> None:
    async with UpstreamServer(upstream, script=[Reply(text="My name is Ada")]) as up, proxy_for(up.provider()) as (_, session):
        status, raw = await post(session, "gemini", request_body("gemini", "Who are you?"), stream=True)
    assert status == 200
    chunks = [data for _, data in sse_events(raw)]
    assert all(chunk["candidates"][0]["content"]["parts"] for chunk in chunks), "no empty-parts chunk"
    last = chunks[-1]
    assert last["candidates"][0]["finishReason"] == "STOP" and last["usageMetadata"]["promptTokenCount"] == 11
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == "My name is Ada"


# --- item 5: a chat provider's streamed refusal ---------------------------------------------------------

REFUSAL_STREAM = (
    _chat_chunk({"role": "assistant", "content": None, "refusal": None})
    + _chat_chunk({"refusal": "I can't help with that."})
    + _chat_chunk({}, "stop", {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39})
    + b"data: [DONE]\n\n"
)
REFUSAL_BODY = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-x",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": "I can't help with that."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39},
}


def _refusal_seen(client: str, answer: dict) -> tuple[str, str]:
    """(refusal text, stop reason) as the client protocol spells them."""
    if client == "anthropic-messages":
        return "".join(b["text"] for b in answer["content"] if b["type"] == "text"), answer["stop_reason"]
    if client == "openai-responses":
        parts = [c for item in answer["output"] if item["type"] == "message" for c in item["content"]]
        return "".join(c["refusal"] for c in parts if c["type"] == "refusal"), answer["status"]
    candidate = answer["candidates"][0]
    return "".join(p["text"] for p in candidate["content"]["parts"]), candidate["finishReason"]


EXPECTED_REFUSAL = {"anthropic-messages": "refusal", "openai-responses": "completed", "gemini": "SAFETY"}


@pytest.mark.parametrize("client", ["anthropic-messages", "openai-responses", "gemini"])
def test_a_streamed_chat_refusal_reaches_the_client_as_a_refusal(client: str) -> None:
    report = TranslationReport()
    translator = StreamTranslator(upstream="openai-chat", client=client, model="m", report=report)
    raw = translator.feed(REFUSAL_STREAM) + translator.finish()
    assert grammar_faults(client, raw) == []
    events = [data for _, data in sse_events(raw)]
    if client == "anthropic-messages":
        text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
        stop = next(e["delta"]["stop_reason"] for e in events if e["type"] == "message_delta")
        answer = {"content": [{"type": "text", "text": text}], "stop_reason": stop}
    elif client == "openai-responses":
        answer = next(e["response"] for e in events if e["type"] == "response.completed")
        assert [e["delta"] for e in events if e["type"] == "response.refusal.delta"] == ["I can't help with that."]
    else:
        answer = {"candidates": [{"content": {"parts": [p for e in events for p in e["candidates"][0]["content"]["parts"]]},
                                  "finishReason": events[-1]["candidates"][0]["finishReason"]}]}
    assert _refusal_seen(client, answer) == ("I can't help with that.", EXPECTED_REFUSAL[client])
    assert translator.stop_reason == "refusal"


@pytest.mark.parametrize("client", ["anthropic-messages", "openai-responses", "gemini"])
def test_a_chat_refusal_body_reaches_the_client_as_a_refusal(client: str) -> None:
    answer = translate_response(REFUSAL_BODY, source="openai-chat", target=client, model="m", report=TranslationReport())
    assert _refusal_seen(client, answer) == ("I can't help with that.", EXPECTED_REFUSAL[client])


def test_a_responses_refusal_reaches_a_chat_client_as_refusal_and_stop() -> None:
    body = {"id": "resp_1", "object": "response", "status": "completed", "model": "gpt-x", "output": [
        {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
         "content": [{"type": "refusal", "refusal": "No."}]}], "usage": {"input_tokens": 3, "output_tokens": 1}}
    answer = translate_response(body, source="openai-responses", target="openai-chat", model="m", report=TranslationReport())
    choice = answer["choices"][0]
    assert choice["message"]["refusal"] == "No." and choice["message"]["content"] is None
    assert choice["finish_reason"] == "stop"


# --- item 6: interleaved streamed tool-call deltas ------------------------------------------------------

INTERLEAVED = (
    _chat_chunk({"role": "assistant", "content": None})
    + _chat_chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "Read", "arguments": '{"path":'}}]})
    + _chat_chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "Grep", "arguments": '{"pattern":'}}]})
    + _chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"a.py"}'}}]})
    + _chat_chunk({"tool_calls": [{"index": 1, "function": {"arguments": '"TODO"}'}}]})
    + _chat_chunk({}, "tool_calls", {"prompt_tokens": 40, "completion_tokens": 18, "total_tokens": 58})
    + b"data: [DONE]\n\n"
)


@pytest.mark.parametrize("client", ["anthropic-messages", "openai-responses"])
async def test_interleaved_tool_call_deltas_reach_the_client_as_whole_valid_calls(client: str) -> None:
    reply = Reply(raw=INTERLEAVED, content_type="text/event-stream")
    async with UpstreamServer("openai-chat", script=[reply]) as up, proxy_for(up.provider()) as (_, session):
        status, raw = await post(session, client, request_body(client, "look", stream=True), stream=True)
    assert status == 200
    assert _whole_calls(client, raw) == [("Read", {"path": "a.py"}), ("Grep", {"pattern": "TODO"})]


def _whole_calls(client: str, raw: bytes) -> list[tuple[str, dict]]:
    """(name, arguments) of each call as the client's stream builds it (Anthropic blocks, Responses items)."""
    events = [data for _, data in sse_events(raw)]
    if client == "anthropic-messages":
        calls: dict[int, list] = {}
        for e in events:
            if e["type"] == "content_block_start":
                calls[e["index"]] = [e["content_block"]["name"], ""]
            elif e["type"] == "content_block_delta":
                calls[e["index"]][1] += e["delta"]["partial_json"]
        return [(name, json.loads(args)) for name, args in calls.values()]
    deltas: dict[int, str] = {}
    for e in events:
        if e["type"] == "response.function_call_arguments.delta":
            deltas[e["output_index"]] = deltas.get(e["output_index"], "") + e["delta"]
    output = next(e["response"]["output"] for e in events if e["type"] == "response.completed")
    assert [json.loads(deltas[i]) for i in range(len(output))] == [json.loads(item["arguments"]) for item in output]
    return [(item["name"], json.loads(item["arguments"])) for item in output]


REUSED_WHILE_HELD = (  # call b waits behind the live call a, then its index 1 is reused by call c
    _chat_chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "Read", "arguments": '{"path":'}}]})
    + _chat_chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "Grep", "arguments": '{"pattern":"x"}'}}]})
    + _chat_chunk({"tool_calls": [{"index": 1, "id": "call_c", "type": "function", "function": {"name": "Glob", "arguments": '{"glob":"*"}'}}]})
    + _chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"a.py"}'}}]})
    + _chat_chunk({}, "tool_calls")
    + b"data: [DONE]\n\n"
)


SEQUENTIAL = [  # OpenAI's own order: call 0 whole, then call 1
    _chat_chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "Read", "arguments": '{"path":'}}]}),
    _chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"a.py"}'}}]}),
    _chat_chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "Grep", "arguments": '{"pattern":'}}]}),
    _chat_chunk({"tool_calls": [{"index": 1, "function": {"arguments": '"TODO"}'}}]}),
    _chat_chunk({}, "tool_calls") + b"data: [DONE]\n\n",
]


@pytest.mark.parametrize("client", ["anthropic-messages", "openai-responses"])
def test_sequential_calls_stream_as_they_come(client: str) -> None:
    """Only an interleaved call waits: once call 0's arguments are a whole JSON object, call 1 is live."""
    translator = StreamTranslator(upstream="openai-chat", client=client, model="m", report=TranslationReport())
    outs = [translator.feed(chunk) for chunk in SEQUENTIAL]
    outs.append(translator.finish())
    assert b'"TODO\\"}"' in outs[3], "call 1's fragment went out when it came"
    assert grammar_faults(client, b"".join(outs)) == []
    assert _whole_calls(client, b"".join(outs)) == [("Read", {"path": "a.py"}), ("Grep", {"pattern": "TODO"})]


@pytest.mark.parametrize("client", ["anthropic-messages", "openai-responses"])
def test_a_waiting_call_whose_index_is_reused_still_waits_for_the_live_one(client: str) -> None:
    report = TranslationReport()
    translator = StreamTranslator(upstream="openai-chat", client=client, model="m", report=report)
    raw = translator.feed(REUSED_WHILE_HELD) + translator.finish()
    assert grammar_faults(client, raw) == []
    assert _whole_calls(client, raw) == [("Read", {"path": "a.py"}), ("Grep", {"pattern": "x"}), ("Glob", {"glob": "*"})]
    assert not [note for note in report.dropped if "arguments" in note]


# --- item 10: error codes and retry delays --------------------------------------------------------------

CONTEXT_TOO_LONG = json.dumps({"error": {
    "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
    "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}).encode()
GEMINI_QUOTA = json.dumps({"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED",
                                     "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26.6s"}]}}).encode()


@pytest.mark.parametrize("upstream", ["openai-chat", "openai-responses"])
@pytest.mark.parametrize("client", ["openai-chat", "openai-responses"])
async def test_an_openai_family_error_code_survives(upstream: str, client: str) -> None:
    if upstream == client:
        pytest.skip("the same protocol is relayed byte for byte")
    reply = Reply(status=400, raw=CONTEXT_TOO_LONG)
    async with UpstreamServer(upstream, script=[reply]) as up, proxy_for(up.provider()) as (_, session):
        status, raw = await post(session, client, request_body(client, "hi"))
    assert status == 400
    error = json.loads(raw)["error"]
    assert error["code"] == "context_length_exceeded" and error["message"].startswith("This model's maximum")


@pytest.mark.parametrize("client", ["anthropic-messages", "openai-chat", "openai-responses"])
async def test_a_gemini_retry_delay_becomes_retry_after(client: str) -> None:
    async with UpstreamServer("gemini", script=[Reply(status=429, raw=GEMINI_QUOTA)]) as up, \
            proxy_for(up.provider()) as (_, session):
        async with aiohttp.ClientSession() as http, http.post(
                route(session.base_url, client), json=request_body(client, "hi"),
                headers=auth_headers(client, session.token)) as resp:
            status, headers = resp.status, resp.headers
    assert status == 429 and headers["retry-after"] == "27"


@pytest.mark.parametrize(("header", "value", "delay"), [("retry-after", "7", "7s"), ("retry-after-ms", "1500", "1.5s")])
@pytest.mark.parametrize("upstream", ["anthropic-messages", "openai-chat"])
async def test_a_retry_after_header_becomes_gemini_retry_info(upstream: str, header: str, value: str, delay: str) -> None:
    reply = Reply(status=429, error_message="slow down", headers=((header, value),))
    async with UpstreamServer(upstream, script=[reply]) as up, proxy_for(up.provider()) as (_, session):
        status, raw = await post(session, "gemini", request_body("gemini", "hi"))
    assert status == 429
    details = json.loads(raw)["error"]["details"]
    assert details == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]


# --- item 11: cached prompt tokens of a non-streamed Anthropic upstream ---------------------------------

@pytest.mark.parametrize("client", CLIENTS)
async def test_the_traffic_record_counts_cached_prompt_tokens(client: str) -> None:
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x", "stop_reason": "end_turn",
            "content": [{"type": "text", "text": "hi"}], "stop_sequence": None,
            "usage": {"input_tokens": 12, "cache_creation_input_tokens": 300, "cache_read_input_tokens": 4000,
                      "output_tokens": 5}}
    async with UpstreamServer("anthropic-messages", script=[Reply(raw=json.dumps(body).encode())]) as up, \
            proxy_for(up.provider()) as (_, session):
        status, _ = await post(session, client, request_body(client, "hi"))
        record = session.traffic.records()[-1]
    assert status == 200
    assert (record.input_tokens, record.output_tokens) == (4312, 5)
    assert (record.cache_read_tokens, record.cache_write_tokens) == (4000, 300)


GATEWAY_CHAT_BODY = {  # a LiteLLM proxy in front of Claude: prompt_tokens already counts the cache
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "claude-x",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1005, "completion_tokens": 3, "total_tokens": 1008,
              "prompt_tokens_details": {"cached_tokens": 1000}, "cache_read_input_tokens": 1000,
              "cache_creation_input_tokens": 0}}


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_gateways_chat_usage_is_not_counted_twice(client: str) -> None:
    async with UpstreamServer("openai-chat", script=[Reply(raw=json.dumps(GATEWAY_CHAT_BODY).encode())]) as up, \
            proxy_for(up.provider()) as (_, session):
        status, _ = await post(session, client, request_body(client, "hi"))
        record = session.traffic.records()[-1]
    assert status == 200
    assert (record.input_tokens, record.output_tokens, record.cache_read_tokens) == (1005, 3, 1000)


def test_the_cost_prices_cached_prompt_tokens_at_the_cache_rates() -> None:
    from amux_tui.providers.prices import Priced, load_price_table
    from amux_tui.proxy.traffic import RequestRecord

    asked = []
    record = RequestRecord("POST /v1/messages", "anthropic-messages", cost_model="anthropic/claude-sonnet-4-5",
                           input_tokens=4312, output_tokens=5, cache_read_tokens=4000, cache_write_tokens=300,
                           cost_function=lambda record: asked.append(record) or Priced(0.5))
    record.in_flight = False
    assert record.cost == 0.5 and asked == [record]
    load_price_table()  # the real price table (a data file; LiteLLM is not imported)
    full = RequestRecord("POST /v1/messages", "anthropic-messages", cost_model="anthropic/claude-sonnet-4-5",
                         input_tokens=4312, output_tokens=5)
    cached = RequestRecord("POST /v1/messages", "anthropic-messages", cost_model="anthropic/claude-sonnet-4-5",
                           input_tokens=4312, output_tokens=5, cache_read_tokens=4000, cache_write_tokens=300)
    full.in_flight = cached.in_flight = False
    assert full.cost is not None and cached.cost is not None and cached.cost < full.cost / 3


# --- item 12: Gemini schemas without bare nullable branches ---------------------------------------------

def test_optional_fields_fold_into_nullable_for_gemini() -> None:
    pydantic_optional = {"type": "object", "properties": {
        "path": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Path"},
        "limit": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
    }}
    schema, _ = to_gemini(pydantic_optional)
    assert schema["properties"]["path"] == {"type": "STRING", "nullable": True, "default": None, "title": "Path"}
    assert schema["properties"]["limit"] == {"anyOf": [{"type": "INTEGER", "nullable": True}, {"type": "STRING", "nullable": True}]}
    assert "{'nullable': True}" not in str(schema)


# --- every golden stream, every client: the real API's grammar ------------------------------------------

def _golden_cases() -> list:
    from test_proxy_translate_golden import SCENARIOS, clients_for, load

    return [pytest.param(path, client, id=f"{path.stem}->{client}") for path in SCENARIOS for client in clients_for(load(path))]


@pytest.mark.parametrize(("path", "client"), _golden_cases())
def test_every_golden_stream_keeps_the_clients_grammar(path, client: str) -> None:  # noqa: ANN001
    from test_proxy_translate_golden import load, run, upstream_bytes

    scenario = load(path)
    raw, _, _ = run(scenario, client, [upstream_bytes(scenario)])
    assert grammar_faults(client, raw) == []


# --- any interleaving of a chat provider's tool-call deltas ---------------------------------------------

@st.composite
def _interleaved_calls(draw: st.DrawFn) -> tuple[list[dict], list[bytes]]:
    """Up to three calls, each one's argument text cut anywhere, their deltas shuffled (each call's in order)."""
    count = draw(st.integers(1, 3))
    calls = [{"name": f"tool{i}", "args": draw(st.dictionaries(st.sampled_from("abc"), st.integers(0, 99), max_size=2))}
             for i in range(count)]
    queues = []
    for i, call in enumerate(calls):
        text = json.dumps(call["args"])
        cuts = sorted(draw(st.sets(st.integers(1, len(text) - 1), max_size=3)))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        first = {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": call["name"], "arguments": pieces[0]}}
        queues.append([first] + [{"index": i, "function": {"arguments": p}} for p in pieces[1:]])
    chunks = []
    while any(queues):
        queue = draw(st.sampled_from([q for q in queues if q]))
        chunks.append(_chat_chunk({"tool_calls": [queue.pop(0)]}))
    return calls, [*chunks, _chat_chunk({}, "tool_calls") + b"data: [DONE]\n\n"]


@pytest.mark.parametrize("client", ["anthropic-messages", "openai-responses"])
@settings(max_examples=150, deadline=None)
@given(case=_interleaved_calls())
def test_any_interleaving_of_tool_call_deltas_reaches_the_client_whole(client: str, case) -> None:  # noqa: ANN001
    calls, chunks = case
    translator = StreamTranslator(upstream="openai-chat", client=client, model="m", report=TranslationReport())
    raw = b"".join(translator.feed(chunk) for chunk in chunks) + translator.finish()
    assert grammar_faults(client, raw) == []
    got = sorted(_whole_calls(client, raw), key=lambda call: call[0])
    assert got == [(call["name"], call["args"]) for call in calls]
