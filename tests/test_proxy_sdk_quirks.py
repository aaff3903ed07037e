"""Provider quirks from issue 12, seen through the official SDKs: the exact provider output goes
through the proxy on 127.0.0.1 and the caller's SDK must make the right thing of it."""

from __future__ import annotations

import json

import pytest

from proxy_client import proxy_for
from sdk_clients import MODEL, driver_for
from test_proxy_translate_fidelity import CONTEXT_TOO_LONG, GEMINI_QUOTA, INTERLEAVED, REFUSAL_BODY, REFUSAL_STREAM
from upstreams import Reply, UpstreamServer

pytestmark = pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")

SSE = "text/event-stream"


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
@pytest.mark.parametrize(("caller", "stop"), [("anthropic-messages", "refusal"), ("openai-responses", "completed"),
                                              ("gemini", "SAFETY")])
async def test_a_chat_providers_refusal_is_a_refusal_for_each_sdk(caller: str, stop: str, stream: bool) -> None:
    reply = Reply(raw=REFUSAL_STREAM, content_type=SSE) if stream else Reply(raw=json.dumps(REFUSAL_BODY).encode())
    async with UpstreamServer("openai-chat", script=[reply]) as up, proxy_for(up.provider()) as (_, session):
        async with driver_for(caller, session.base_url, session.token) as convo:
            answer = await convo.say("Help me with something bad", stream=stream)
    said = answer.refusal if caller == "openai-responses" else answer.text
    assert (said, answer.stop) == ("I can't help with that.", stop)
    if caller == "openai-responses":
        assert answer.text == ""


@pytest.mark.parametrize("caller", ["anthropic-messages", "openai-responses"])
async def test_interleaved_tool_calls_reach_the_sdk_whole(caller: str) -> None:
    async with UpstreamServer("openai-chat", script=[Reply(raw=INTERLEAVED, content_type=SSE)]) as up, \
            proxy_for(up.provider()) as (_, session):
        async with driver_for(caller, session.base_url, session.token, tools=True) as convo:
            answer = await convo.say("Read a.py and grep TODO", stream=True)
    assert answer.calls == [("call_a", "Read", {"path": "a.py"}), ("call_b", "Grep", {"pattern": "TODO"})]


@pytest.mark.parametrize("caller", ["openai-chat", "openai-responses"])
async def test_the_openai_sdk_sees_the_providers_error_code(caller: str) -> None:
    import openai

    provider = "openai-responses" if caller == "openai-chat" else "openai-chat"
    async with UpstreamServer(provider, script=[Reply(status=400, raw=CONTEXT_TOO_LONG)]) as up, \
            proxy_for(up.provider()) as (_, session):
        async with driver_for(caller, session.base_url, session.token) as convo:
            with pytest.raises(openai.BadRequestError) as caught:
                await convo.say("a very long prompt")
    assert caught.value.code == "context_length_exceeded"


async def test_the_anthropic_sdk_reads_geminis_retry_delay() -> None:
    import anthropic

    async with UpstreamServer("gemini", script=[Reply(status=429, raw=GEMINI_QUOTA)]) as up, \
            proxy_for(up.provider()) as (_, session):
        async with driver_for("anthropic-messages", session.base_url, session.token) as convo:
            with pytest.raises(anthropic.RateLimitError) as caught:
                await convo.say("hi")
    assert caught.value.response.headers["retry-after"] == "27"


async def test_google_genai_reads_a_retry_after_as_retry_info() -> None:
    from google.genai import errors

    reply = Reply(status=429, error_message="slow down", headers=(("retry-after", "7"),))
    async with UpstreamServer("anthropic-messages", script=[reply]) as up, proxy_for(up.provider()) as (_, session):
        async with driver_for("gemini", session.base_url, session.token) as convo:
            with pytest.raises(errors.ClientError) as caught:
                await convo.say("hi")
    assert caught.value.code == 429
    assert caught.value.details["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]


PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n"


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
async def test_a_freeform_tool_call_reaches_the_openai_sdk_as_a_custom_tool_call(stream: bool) -> None:
    from openai import AsyncOpenAI

    from upstreams import ToolCall

    reply = Reply(tool_calls=(ToolCall("apply_patch", {"input": PATCH}, id="toolu_patch"),))
    async with UpstreamServer("anthropic-messages", script=[reply]) as up, proxy_for(up.provider()) as (_, session):
        client = AsyncOpenAI(api_key=session.token, base_url=session.base_url + "/v1", max_retries=0)
        kwargs = {"model": MODEL, "input": "add hello.txt",
                  "tools": [{"type": "custom", "name": "apply_patch", "description": "Apply a patch"}]}
        deltas: list[str] = []
        if stream:
            async with client.responses.stream(**kwargs) as events:
                async for event in events:
                    if event.type == "response.custom_tool_call_input.delta":
                        deltas.append(event.delta)
                response = await events.get_final_response()
        else:
            response = await client.responses.create(**kwargs)
        await client.close()
    [item] = response.output
    assert (item.type, item.name, item.call_id, item.input) == ("custom_tool_call", "apply_patch", "toolu_patch", PATCH)
    assert "".join(deltas) == (PATCH if stream else "")
