"""Tool round trips for every client protocol through every other upstream protocol.

Each case plays a whole exchange the way the harness and the provider would:
client asks (with a tool) -> upstream answers with a tool call (streamed or not) ->
the client echoes that answer back with the tool's result, in its own format ->
the upstream must see the same call (name, arguments, reasoning token when the client
can carry it) linked to the result -> the upstream answers in text -> the client reads it.
"""

from __future__ import annotations

import json

import pytest

from amux_tui.proxy.protocols import PROTOCOLS, StreamTranslator, TranslationReport, translate, translate_request, translate_response
from amux_tui.proxy.protocols.gemini.request import SKIP_SIGNATURE
from amux_tui.proxy.protocols.sse import SSEParser, format_event

ARGS = {"city": "Paris"}
RESULT = "18C, sunny"
FINAL = "It is 18C in Paris."
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}
SIGNATURES = {"anthropic-messages": "sigA==", "openai-responses": "sigR==", "gemini": "sigG=="}


@pytest.fixture(autouse=True)
def no_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "SAFETY_NET", False)


# ---------------------------------------------------------------- clients


def first_request(client: str) -> dict:
    ask = "Weather in Paris?"
    if client == "anthropic-messages":
        tools = [{"name": "get_weather", "description": "Weather", "input_schema": SCHEMA}]
        return {"model": "m", "max_tokens": 1000, "stream": True, "messages": [{"role": "user", "content": ask}], "tools": tools}
    if client == "openai-chat":
        tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": SCHEMA}}]
        return {"model": "m", "stream": True, "messages": [{"role": "user", "content": ask}], "tools": tools}
    if client == "openai-responses":
        tools = [{"type": "namespace", "name": "wx", "description": "Weather tools", "tools": [
            {"type": "function", "name": "get_weather", "description": "Weather", "strict": False, "parameters": SCHEMA},
        ]}]  # fmt: skip
        user = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": ask}]}
        return {"model": "m", "stream": True, "input": [user], "tools": tools, "reasoning": {"effort": "medium", "summary": "auto"}}
    tools = [{"functionDeclarations": [{"name": "get_weather", "description": "Weather", "parametersJsonSchema": SCHEMA}]}]
    return {"contents": [{"role": "user", "parts": [{"text": ask}]}], "tools": tools}


def client_events(raw: bytes) -> list[tuple[str | None, object]]:
    parser = SSEParser()
    out = []
    for ev in parser.feed(raw) + parser.flush():
        out.append((ev.event, json.loads(ev.data) if ev.data != "[DONE]" else "[DONE]"))
    return out


def read_answer(client: str, view: bytes | dict) -> dict:
    """What the harness makes of the answer: its text, calls, and the history it appends."""
    if client == "anthropic-messages":
        if isinstance(view, dict):
            blocks = view["content"]
        else:
            blocks = []
            for _, data in client_events(view):
                if data["type"] == "content_block_start":
                    blocks.append(dict(data["content_block"]))
                    if blocks[-1]["type"] == "tool_use":
                        blocks[-1]["_json"] = ""
                elif data["type"] == "content_block_delta":
                    block, delta = blocks[data["index"]], data["delta"]
                    key = {"text_delta": ("text", "text"), "thinking_delta": ("thinking", "thinking"),
                           "signature_delta": ("signature", "signature"), "input_json_delta": ("_json", "partial_json")}[delta["type"]]  # fmt: skip
                    block[key[0]] = block.get(key[0], "") + delta[key[1]]
            for block in blocks:
                if "_json" in block:
                    block["input"] = json.loads(block.pop("_json") or "{}")
        calls = [(b["id"], b["name"], None, b["input"]) for b in blocks if b["type"] == "tool_use"]
        text = "".join(b["text"] for b in blocks if b["type"] == "text")
        return {"text": text, "calls": calls, "history": [{"role": "assistant", "content": blocks}]}
    if client == "openai-chat":
        if isinstance(view, dict):
            message = view["choices"][0]["message"]
        else:
            message = {"role": "assistant", "content": "", "tool_calls": []}
            for _, data in client_events(view):
                if data == "[DONE]" or not data["choices"]:
                    continue
                delta = data["choices"][0]["delta"]
                message["content"] += delta.get("content") or ""
                for call in delta.get("tool_calls", []):
                    if call.get("id"):
                        message["tool_calls"].append({"id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}})
                    message["tool_calls"][call["index"]]["function"]["arguments"] += call["function"].get("arguments", "")
        calls = [(c["id"], c["function"]["name"], None, json.loads(c["function"]["arguments"])) for c in message.get("tool_calls") or []]
        history = {"role": "assistant", "content": message["content"] or None}
        if calls:
            history["tool_calls"] = message["tool_calls"]
        return {"text": message["content"] or "", "calls": calls, "history": [history]}
    if client == "openai-responses":
        if isinstance(view, dict):
            items = view["output"]
        else:
            events = client_events(view)
            assert events[-1][1]["type"] == "response.completed"
            assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
            items = [d["item"] for _, d in events if d["type"] == "response.output_item.done"]
            assert items == events[-1][1]["response"]["output"]
        calls = [(i["call_id"], i["name"], i.get("namespace"), json.loads(i["arguments"])) for i in items if i["type"] == "function_call"]
        text = "".join(c["text"] for i in items if i["type"] == "message" for c in i["content"])
        return {"text": text, "calls": calls, "history": items}
    chunks = [view] if isinstance(view, dict) else [d for _, d in client_events(view)]
    parts = [p for chunk in chunks for p in chunk["candidates"][0]["content"]["parts"] if not p.get("thought")]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    calls = [(p["functionCall"].get("id"), p["functionCall"]["name"], None, p["functionCall"]["args"]) for p in parts if "functionCall" in p]
    text = "".join(p.get("text", "") for p in parts)
    return {"text": text, "calls": calls, "history": [{"role": "model", "parts": parts}]}


def second_request(client: str, first: dict, answer: dict) -> dict:
    call_id, name, _, _ = answer["calls"][0]
    body = json.loads(json.dumps(first))
    if client == "anthropic-messages":
        result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": RESULT}]}
        body["messages"] += answer["history"] + [result]
    elif client == "openai-chat":
        body["messages"] += answer["history"] + [{"role": "tool", "tool_call_id": call_id, "content": RESULT}]
    elif client == "openai-responses":
        body["input"] += answer["history"] + [{"type": "function_call_output", "call_id": call_id, "output": RESULT}]
    else:
        response = {"name": name, "response": {"output": RESULT}}
        if call_id:
            response["id"] = call_id
        body["contents"] += answer["history"] + [{"role": "user", "parts": [{"functionResponse": response}]}]
    return body


# ---------------------------------------------------------------- upstreams


def upstream_tool_names(upstream: str, body: dict) -> list[str]:
    if upstream == "anthropic-messages":
        return [t["name"] for t in body["tools"]]
    if upstream == "openai-chat":
        return [t["function"]["name"] for t in body["tools"]]
    if upstream == "openai-responses":
        return [t["name"] for t in body["tools"]]
    return [d["name"] for d in body["tools"][0]["functionDeclarations"]]


def sse(upstream: str, events: list[tuple[str | None, dict | str]]) -> bytes:
    raw = b"".join(format_event(name, data if isinstance(data, str) else json.dumps(data)) for name, data in events)
    return raw.replace(b"\n\n", b"\r\n\r\n") if upstream == "gemini" else raw


def upstream_answer(upstream: str, tool: str | None, stream: bool) -> bytes | dict:
    """The upstream's answer: a call to ``tool`` with reasoning, or FINAL as text."""
    args = json.dumps(ARGS)
    sig = SIGNATURES.get(upstream, "")
    if upstream == "anthropic-messages":
        content = [{"type": "thinking", "thinking": "Check weather.", "signature": sig}, {"type": "tool_use", "id": "toolu_9", "name": tool, "input": ARGS}] if tool else [{"type": "text", "text": FINAL}]
        usage = {"input_tokens": 20, "output_tokens": 9}
        reason = "tool_use" if tool else "end_turn"
        if not stream:
            return {"id": "msg_9", "type": "message", "role": "assistant", "model": "up", "content": content, "stop_reason": reason, "usage": usage}
        events: list = [("message_start", {"type": "message_start", "message": {"id": "msg_9", "model": "up", "usage": usage, "content": []}})]
        for i, block in enumerate(content):
            if block["type"] == "thinking":
                events += [("content_block_start", {"type": "content_block_start", "index": i, "content_block": {"type": "thinking", "thinking": ""}}),
                           ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {"type": "thinking_delta", "thinking": block["thinking"]}}),
                           ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {"type": "signature_delta", "signature": sig}})]  # fmt: skip
            elif block["type"] == "tool_use":
                events += [("content_block_start", {"type": "content_block_start", "index": i, "content_block": {**block, "input": {}}}),
                           ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": args}})]  # fmt: skip
            else:
                events += [("content_block_start", {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}),
                           ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": FINAL}})]  # fmt: skip
            events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
        events += [("message_delta", {"type": "message_delta", "delta": {"stop_reason": reason}, "usage": {"output_tokens": 9}}), ("message_stop", {"type": "message_stop"})]
        return sse(upstream, events)
    if upstream == "openai-chat":
        message = {"role": "assistant", "content": None if tool else FINAL}
        if tool:
            message["reasoning_content"] = "Check weather."
            message["tool_calls"] = [{"id": "call_9", "type": "function", "function": {"name": tool, "arguments": args}}]
        usage = {"prompt_tokens": 20, "completion_tokens": 9}
        reason = "tool_calls" if tool else "stop"
        if not stream:
            return {"id": "chatcmpl-9", "object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": reason}], "usage": usage}
        def chunk(delta: dict, finish: str | None = None) -> tuple:
            return (None, {"id": "chatcmpl-9", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        events = [chunk({"role": "assistant"})]
        if tool:
            events += [chunk({"reasoning_content": "Check weather."}),
                       chunk({"tool_calls": [{"index": 0, "id": "call_9", "type": "function", "function": {"name": tool, "arguments": ""}}]}),
                       chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[:5]}}]}),
                       chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[5:]}}]})]  # fmt: skip
        else:
            events.append(chunk({"content": FINAL}))
        events += [chunk({}, reason), (None, {"id": "chatcmpl-9", "choices": [], "usage": usage}), (None, "[DONE]")]
        return sse(upstream, events)
    if upstream == "openai-responses":
        if tool:
            output = [{"id": "rs_9", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Check weather."}], "encrypted_content": sig},
                      {"id": "fc_9", "type": "function_call", "status": "completed", "call_id": "call_9", "name": tool, "arguments": args}]  # fmt: skip
        else:
            output = [{"id": "msg_9", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": FINAL, "annotations": []}]}]
        response = {"id": "resp_9", "object": "response", "status": "completed", "model": "up", "output": output, "usage": {"input_tokens": 20, "output_tokens": 9}}
        if not stream:
            return response
        events = [("response.created", {"type": "response.created", "response": {**response, "status": "in_progress", "output": []}})]
        for i, item in enumerate(output):
            events.append(("response.output_item.added", {"type": "response.output_item.added", "output_index": i, "item": item}))
            if item["type"] == "message":
                events.append(("response.output_text.delta", {"type": "response.output_text.delta", "output_index": i, "item_id": "msg_9", "delta": FINAL}))
            elif item["type"] == "reasoning":
                events.append(("response.reasoning_summary_text.delta", {"type": "response.reasoning_summary_text.delta", "output_index": i, "delta": "Check weather."}))
            else:
                events.append(("response.function_call_arguments.delta", {"type": "response.function_call_arguments.delta", "output_index": i, "delta": args}))
            events.append(("response.output_item.done", {"type": "response.output_item.done", "output_index": i, "item": item}))
        events.append(("response.completed", {"type": "response.completed", "response": response}))
        return sse(upstream, [(n, {**d, "sequence_number": k}) for k, (n, d) in enumerate(events)])
    parts = [{"text": "Check weather.", "thought": True}, {"functionCall": {"name": tool, "args": ARGS}, "thoughtSignature": sig}] if tool else [{"text": FINAL}]
    body = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 9, "totalTokenCount": 29}, "responseId": "g9"}  # fmt: skip
    if not stream:
        return body
    first = {"candidates": [{"content": {"role": "model", "parts": parts[:1]}, "index": 0}], "responseId": "g9"}
    rest = {**body, "candidates": [{**body["candidates"][0], "content": {"role": "model", "parts": parts[1:]}}]}
    return sse(upstream, [(None, first), (None, rest)])


def upstream_view(upstream: str, body: dict) -> dict:
    """The last assistant turn's calls/reasoning and the results after it, protocol-neutral."""
    calls, results, tokens = [], [], []
    if upstream == "anthropic-messages":
        for message in body["messages"]:
            for block in message["content"]:
                if block["type"] == "tool_use":
                    calls.append((block["id"], block["name"], block["input"]))
                elif block["type"] == "thinking":
                    tokens.append(block["signature"])
                elif block["type"] == "tool_result":
                    results.append((block["tool_use_id"], None, block["content"][0]["text"]))
    elif upstream == "openai-chat":
        for message in body["messages"]:
            for call in message.get("tool_calls", []):
                calls.append((call["id"], call["function"]["name"], json.loads(call["function"]["arguments"])))
            if message.get("reasoning_content"):
                tokens.append(message["reasoning_content"])
            if message["role"] == "tool":
                results.append((message["tool_call_id"], None, message["content"]))
    elif upstream == "openai-responses":
        for item in body["input"]:
            if item["type"] == "function_call":
                calls.append((item["call_id"], item["name"], json.loads(item["arguments"])))
            elif item["type"] == "reasoning":
                tokens.append(item["encrypted_content"])
            elif item["type"] == "function_call_output":
                results.append((item["call_id"], None, item["output"]))
    else:
        for content in body["contents"]:
            for part in content["parts"]:
                if "functionCall" in part:
                    call = part["functionCall"]
                    calls.append((call.get("id"), call["name"], call["args"]))
                    tokens.append(part.get("thoughtSignature"))
                elif "functionResponse" in part:
                    resp = part["functionResponse"]
                    results.append((resp.get("id"), resp["name"], resp["response"]["output"]))
    return {"calls": calls, "results": results, "tokens": tokens}


def expected_token(client: str, upstream: str) -> list:
    """The reasoning the upstream gets back: only what the client could carry home."""
    carriers = {"anthropic-messages", "openai-responses"}  # clients with an opaque slot they echo
    if upstream == "gemini":
        return [SIGNATURES["gemini"] if client in carriers else SKIP_SIGNATURE]
    if upstream == "openai-chat":
        return ["Check weather."] if client in carriers else []
    return [SIGNATURES[upstream]] if client in carriers else []


PAIRS = [(c, u) for c in PROTOCOLS for u in PROTOCOLS if c != u]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
@pytest.mark.parametrize(("client", "upstream"), PAIRS, ids=[f"{c}<-{u}" for c, u in PAIRS])
def test_tool_round_trip(client: str, upstream: str, stream: bool) -> None:
    def exchange(body: dict, call_tool: bool) -> tuple[dict, dict]:
        report = TranslationReport()
        sent = translate_request(body, source=client, target=upstream, model="up-model", report=report, stream=stream)
        assert upstream == "gemini" or sent.get("stream", False) is stream
        json.dumps(sent, allow_nan=False)
        tool = upstream_tool_names(upstream, sent)[0] if call_tool else None
        answer = upstream_answer(upstream, tool, stream)
        if stream:
            translator = StreamTranslator(upstream=upstream, client=client, model="m", report=report)
            raw = answer[: len(answer) // 2], answer[len(answer) // 2 :]
            view: bytes | dict = b"".join(translator.feed(part) for part in raw) + translator.finish()
            assert translator.usage.input_tokens == 20 and translator.usage.output_tokens == 9
            assert translator.stop_reason == ("tool_use" if tool else "end_turn")
        else:
            view = translate_response(answer, source=upstream, target=client, model="m", report=report)
        return sent, read_answer(client, view)

    first = first_request(client)
    sent, answer = exchange(first, call_tool=True)
    [tool_name] = upstream_tool_names(upstream, sent)
    assert len(answer["calls"]) == 1
    call_id, name, namespace, args = answer["calls"][0]
    assert (name, namespace, args) == ("get_weather", "wx" if client == "openai-responses" else None, ARGS)

    second = second_request(client, first, answer)
    sent2, final = exchange(second, call_tool=False)
    view = upstream_view(upstream, sent2)
    [(up_call_id, up_name, up_args)] = view["calls"]
    [(result_id, result_name, result_text)] = view["results"]
    assert (up_name, up_args, result_text) == (tool_name, ARGS, RESULT)
    assert result_id == up_call_id and result_name in (None, up_name)
    assert view["tokens"] == expected_token(client, upstream)
    assert final["text"] == FINAL and final["calls"] == []
