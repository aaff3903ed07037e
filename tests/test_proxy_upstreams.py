"""The fixture upstreams themselves: they must speak each wire format correctly, or every proxy
test built on them proves nothing."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from upstreams import Reply, ToolCall, UpstreamServer


def _sse_data(raw: bytes) -> list[dict]:
    text = raw.decode().replace("\r\n", "\n")
    events = []
    for block in text.split("\n\n"):
        data = [line[5:].strip() for line in block.splitlines() if line.startswith("data:")]
        if data and data[0] != "[DONE]":
            events.append(json.loads("\n".join(data)))
    return events


async def test_openai_chat_stream_with_tool_call_and_usage():
    reply = Reply(text="hello there", tool_calls=(ToolCall("bash", {"command": "ls -la"}),))
    async with UpstreamServer("openai-chat", [reply]) as up, aiohttp.ClientSession() as http:
        body = {"model": "m", "stream": True, "stream_options": {"include_usage": True}, "messages": []}
        async with http.post(f"{up.base_url}/chat/completions", json=body,
                             headers={"Authorization": f"Bearer {up.api_key}"}) as resp:
            raw = await resp.read()
    assert raw.endswith(b"data: [DONE]\n\n")
    chunks = _sse_data(raw)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    args = "".join(tc["function"]["arguments"] for c in chunks if c["choices"]
                   for tc in c["choices"][0]["delta"].get("tool_calls", []))
    assert text == "hello there"
    assert json.loads(args) == {"command": "ls -la"}
    assert chunks[-1]["usage"]["completion_tokens"] == 7
    assert up.requests[0].json["model"] == "m"


@pytest.mark.parametrize("protocol", ["openai-chat", "openai-responses", "anthropic-messages", "gemini"])
async def test_non_streaming_answer_and_auth(protocol):
    async with UpstreamServer(protocol, [Reply(text="hi")]) as up, aiohttp.ClientSession() as http:
        url, headers = {
            "openai-chat": (f"{up.base_url}/chat/completions", {"Authorization": f"Bearer {up.api_key}"}),
            "openai-responses": (f"{up.base_url}/responses", {"Authorization": f"Bearer {up.api_key}"}),
            "anthropic-messages": (f"{up.base_url}/v1/messages", {"x-api-key": up.api_key}),
            "gemini": (f"{up.base_url}/v1beta/models/g:generateContent", {"x-goog-api-key": up.api_key}),
        }[protocol]
        async with http.post(url, json={"model": "m"}, headers=headers) as resp:
            assert resp.status == 200
            assert "hi" in await resp.text()
        async with http.post(url, json={"model": "m"}) as resp:
            assert resp.status == 401
            assert "invalid api key" in await resp.text()


@pytest.mark.parametrize("protocol", ["anthropic-messages", "openai-responses", "gemini"])
async def test_streams_carry_the_whole_text(protocol):
    reply = Reply(text="one two three", thinking="hmm ok")
    async with UpstreamServer(protocol, [reply], api_key=None) as up, aiohttp.ClientSession() as http:
        url = {"anthropic-messages": f"{up.base_url}/v1/messages",
               "openai-responses": f"{up.base_url}/responses",
               "gemini": f"{up.base_url}/v1beta/models/g:streamGenerateContent?alt=sse"}[protocol]
        async with http.post(url, json={"model": "m", "stream": True}) as resp:
            events = _sse_data(await resp.read())
    if protocol == "anthropic-messages":
        text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
        assert events[-1]["type"] == "message_stop"
    elif protocol == "openai-responses":
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert events[-1]["type"] == "response.completed"
    else:
        text = "".join(p.get("text", "") for e in events for p in e["candidates"][0]["content"]["parts"]
                       if not p.get("thought"))
        assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert text == "one two three"


async def test_error_cut_and_hang_replies():
    script = [Reply.error(429, "slow down"), Reply(text="a b c d", cut_after=2), Reply(hang=True)]
    async with UpstreamServer("anthropic-messages", script, api_key=None) as up, aiohttp.ClientSession() as http:
        url = f"{up.base_url}/v1/messages"
        async with http.post(url, json={"stream": True}) as resp:
            assert resp.status == 429
            assert (await resp.json())["error"]["type"] == "rate_limit_error"
        async with http.post(url, json={"stream": True}) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()
        with pytest.raises(asyncio.TimeoutError):
            await http.post(url, json={}, timeout=aiohttp.ClientTimeout(total=0.2))
        await up.wait_for_disconnects(1)
    assert len(up.requests) == 3


async def test_script_callable_and_count_tokens():
    def answer(request):
        return Reply(text=f"you said {len(request.json['messages'])} messages")

    async with UpstreamServer("anthropic-messages", answer, api_key=None, token_count=99) as up, \
            aiohttp.ClientSession() as http:
        async with http.post(f"{up.base_url}/v1/messages", json={"messages": [1, 2]}) as resp:
            assert (await resp.json())["content"][0]["text"] == "you said 2 messages"
        async with http.post(f"{up.base_url}/v1/messages/count_tokens", json={"messages": []}) as resp:
            assert (await resp.json()) == {"input_tokens": 99}
