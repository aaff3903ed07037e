"""The LiteLLM path, with LiteLLM really running against a local OpenAI-compatible fixture; and
token counting, which uses the provider's own count API where there is one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from proxy_client import PROTOCOLS, TRANSLATABLE, error_shape_ok, post, proxy_for, read_answer_text, request_body
from upstreams import Reply, ToolCall, UpstreamServer

VIA_LITELLM = [p for p in PROTOCOLS if p == "openai-chat" or {p, "openai-chat"} <= TRANSLATABLE]


def litellm_provider(up: UpstreamServer):
    """An OpenAI-compatible endpoint reached through LiteLLM (no wire API of ours declared)."""
    provider = up.provider("local-litellm", api_formats=(), params={"max_retries": 0})
    assert provider.via_litellm
    return provider


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("inbound", VIA_LITELLM)
async def test_litellm_answers_in_the_callers_protocol(inbound, stream):
    async with UpstreamServer("openai-chat", [Reply(text="hello from litellm", input_tokens=21, output_tokens=3)]) as up, \
            proxy_for(litellm_provider(up), "fixture-model") as (_, session):
        status, raw = await post(session, inbound, request_body(inbound, "hi", stream=stream), stream=stream)
    assert status == 200, raw[:500]
    assert read_answer_text(inbound, raw, stream) == "hello from litellm"
    sent = up.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.json["model"] == "fixture-model"
    assert sent.headers["authorization"] == f"Bearer {up.api_key}"
    record = session.traffic.records()[0]
    assert record.upstream == "litellm" and record.status == 200
    assert (record.input_tokens, record.output_tokens) == (21, 3)


async def test_litellm_tool_call_stream_reaches_an_anthropic_caller():
    if "anthropic-messages" not in VIA_LITELLM:
        pytest.skip("the anthropic translator has not landed")
    reply = Reply(text="checking", tool_calls=(ToolCall("bash", {"command": "pwd"}),))
    async with UpstreamServer("openai-chat", [reply]) as up, proxy_for(litellm_provider(up)) as (_, session):
        body = {**request_body("anthropic-messages", "where am i", stream=True),
                "tools": [{"name": "bash", "input_schema": {"type": "object"}}]}
        status, raw = await post(session, "anthropic-messages", body, stream=True)
    assert status == 200
    assert b'"tool_use"' in raw and b'"stop_reason":"tool_use"' in raw.replace(b" ", b"")
    assert up.requests[0].json["tools"][0]["function"]["name"] == "bash"


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500])
async def test_litellm_errors_keep_status_and_message(status):
    async with UpstreamServer("openai-chat", [Reply.error(status, f"upstream refused {status}")]) as up, \
            proxy_for(litellm_provider(up)) as (_, session):
        got, raw = await post(session, "openai-chat", request_body("openai-chat", "hi"))
    assert got == status
    body = json.loads(raw)
    assert error_shape_ok("openai-chat", body, status)
    assert f"upstream refused {status}" in body["error"]["message"]


async def test_litellm_unreachable_is_502():
    async with UpstreamServer("openai-chat") as up:
        provider = litellm_provider(up)
    async with proxy_for(provider) as (_, session):  # the fixture is gone: connection refused
        got, raw = await post(session, "openai-chat", request_body("openai-chat", "hi"))
    assert got == 502
    assert error_shape_ok("openai-chat", json.loads(raw), 502)


# --- count_tokens ---------------------------------------------------------------------------------

COUNT_BODY = {"model": "claude-x", "messages": [{"role": "user", "content": "count these words please"}],
              "system": "be brief", "tools": [{"name": "bash", "input_schema": {"type": "object"}}]}


async def _count(session, body=COUNT_BODY) -> tuple[int, dict]:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(
            f"{session.base_url}/v1/messages/count_tokens?beta=true", json=body,
            headers={"x-api-key": session.token, "anthropic-version": "2023-06-01"}) as resp:
        return resp.status, await resp.json()


async def test_count_tokens_uses_anthropics_own_api():
    async with UpstreamServer("anthropic-messages", token_count=123) as up, proxy_for(up.provider()) as (_, session):
        status, body = await _count(session)
    assert (status, body) == (200, {"input_tokens": 123})
    assert up.requests[0].path == "/v1/messages/count_tokens"
    assert up.requests[0].json["model"] == "fixture-model"


async def test_count_tokens_uses_geminis_count_tokens():
    if not {"anthropic-messages", "gemini"} <= TRANSLATABLE:
        pytest.skip("the gemini translator has not landed")
    async with UpstreamServer("gemini", token_count=77) as up, proxy_for(up.provider()) as (_, session):
        status, body = await _count(session)
    assert (status, body) == (200, {"input_tokens": 77})
    sent = up.requests[0]
    assert sent.path == "/v1beta/models/fixture-model:countTokens"
    assert sent.json["generateContentRequest"]["contents"]


async def test_count_tokens_falls_back_to_litellms_counter():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider(), "gpt-4o") as (_, session):
        status, body = await _count(session)
        status_long, body_long = await _count(session, {**COUNT_BODY, "messages": [
            {"role": "user", "content": "count these words please " * 50}]})
    assert status == 200 and status_long == 200
    assert 5 < body["input_tokens"] < body_long["input_tokens"]
    assert not up.requests  # counted locally


async def test_count_tokens_upstream_error_is_an_anthropic_error():
    async with UpstreamServer("anthropic-messages") as up:
        up.count_reply = Reply.error(503, "count broke")
        async with proxy_for(up.provider()) as (_, session):
            status, body = await _count(session)
    assert status == 503
    assert error_shape_ok("anthropic-messages", body, 503) and "count broke" in body["error"]["message"]


@pytest.mark.parametrize("answer", [Reply.error(429, "slow down"), Reply(raw=b'{"totalTokens": -1}'),
                                    Reply(raw=b"not json")])
async def test_count_tokens_never_answers_a_made_up_number(answer):
    if not {"anthropic-messages", "gemini"} <= TRANSLATABLE:
        pytest.skip("the gemini translator has not landed")
    async with UpstreamServer("gemini") as up:
        up.count_reply = answer
        async with proxy_for(up.provider()) as (_, session):
            status, body = await _count(session)
    assert status == (429 if answer.status == 429 else 502)
    assert error_shape_ok("anthropic-messages", body, status)


async def test_count_tokens_bad_body_is_400():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider()) as (_, session):
        status, body = await _count(session, {"model": 5, "messages": []})
    assert status == 400 and error_shape_ok("anthropic-messages", body, 400)


def test_proxy_start_and_relay_never_import_litellm():
    code = """
import asyncio, sys
sys.path.insert(0, "tests")
from proxy_client import post, proxy_for, request_body
from upstreams import UpstreamServer

async def main():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider()) as (_, session):
        status, _ = await post(session, "openai-chat", request_body("openai-chat", "hi", stream=True), stream=True)
        assert status == 200
    assert "litellm" not in sys.modules, "litellm was imported"

asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_litellms_first_import_does_not_stall_other_sessions():
    """While one session waits for LiteLLM's (slow, blocking) import, another is served."""
    code = """
import asyncio, sys
sys.path.insert(0, "tests")
from amux_tui.proxy import litellm_backend
from amux_tui.proxy.server import ProxyServer
from proxy_client import post, request_body
from upstreams import UpstreamServer

async def main():
    assert "litellm" not in sys.modules
    async with UpstreamServer("openai-chat") as up, ProxyServer() as server:
        slow = server.register_session(up.provider("ll", api_formats=(), params={"max_retries": 0}), "fixture-model")
        fast = server.register_session(up.provider("direct"), "fixture-model")
        waiting = asyncio.ensure_future(post(slow, "openai-chat", request_body("openai-chat", "hi")))
        while litellm_backend._loading is None:
            await asyncio.sleep(0.001)
        served = 0
        while not litellm_backend._loading.done():
            status, _ = await post(fast, "openai-chat", request_body("openai-chat", "hi"))
            assert status == 200
            served += 1
        assert served >= 1, "no request was served while LiteLLM was importing"
        status, _ = await waiting
        assert status == 200

asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]


async def test_litellm_record_never_shows_provider_secrets():
    secret = "AWSSECRET-do-not-show-0123456789"
    async with UpstreamServer("openai-chat", [Reply(text="ok")]) as up:
        provider = up.provider("local-litellm", api_formats=(), params={
            "max_retries": 0, "aws_secret_access_key": secret, "extra_headers": {"X-Team": "ml", "X-Vendor-Token": secret}})
        async with proxy_for(provider, "fixture-model") as (_, session):
            body = request_body("openai-chat", "my token budget is tiny")
            status, raw = await post(session, "openai-chat", body)
    assert status == 200, raw[:300]
    record = session.traffic.records()[0]
    shown = record.upstream_text()
    assert secret not in shown and up.api_key not in shown
    call = json.loads(shown)
    assert call["aws_secret_access_key"] == "[redacted]"
    assert call["extra_headers"] == {"X-Team": "ml", "X-Vendor-Token": "[redacted]"}
    assert call["messages"][-1]["content"] == "my token budget is tiny"
    assert call["max_retries"] == 0


# --- the session's output-token limit -------------------------------------------------------------

def _asking_for(inbound: str, field: str | None, tokens: int) -> dict:
    """A request of ``inbound`` asking for ``tokens`` output tokens under the field its protocol names."""
    body = request_body(inbound, "hi")
    if inbound == "gemini":
        body["generationConfig"] = {"maxOutputTokens": tokens}
    else:
        body[field] = tokens
    return body


CAP_FIELDS = [(inbound, field) for inbound, field in [
    ("anthropic-messages", "max_tokens"), ("openai-chat", "max_tokens"), ("openai-chat", "max_completion_tokens"),
    ("openai-responses", "max_output_tokens"), ("gemini", "maxOutputTokens")] if inbound in VIA_LITELLM]


def _sent_limit(sent: dict) -> int:
    """The output limit LiteLLM put on the wire (it may name it either way for an OpenAI endpoint)."""
    named = {key: sent[key] for key in ("max_tokens", "max_completion_tokens") if key in sent}
    assert len(named) == 1, sent
    return next(iter(named.values()))


@pytest.mark.parametrize("asked,sent", [(32000, 4096), (1000, 1000)], ids=["over the cap", "under the cap"])
@pytest.mark.parametrize("inbound,field", CAP_FIELDS)
async def test_litellm_requests_are_clamped_to_the_sessions_output_limit(inbound, field, asked, sent):
    async with UpstreamServer("openai-chat", [Reply(text="short")]) as up, \
            proxy_for(litellm_provider(up), "fixture-model", max_output_tokens=4096) as (_, session):
        status, raw = await post(session, inbound, _asking_for(inbound, field, asked))
    assert status == 200, raw[:500]
    assert _sent_limit(up.requests[0].json) == sent
    assert str(asked) in session.traffic.records()[0].upstream_text() or asked != sent
    assert "32000" not in session.traffic.records()[0].upstream_text()


async def test_litellm_chat_caller_naming_both_limits_gets_both_clamped():
    body = {**request_body("openai-chat", "hi"), "max_tokens": 9000, "max_completion_tokens": 32000}
    async with UpstreamServer("openai-chat", [Reply(text="short")]) as up, \
            proxy_for(litellm_provider(up), "fixture-model", max_output_tokens=4096) as (_, session):
        status, raw = await post(session, "openai-chat", body)
    assert status == 200, raw[:500]
    sent = up.requests[0].json
    assert all(sent[key] <= 4096 for key in ("max_tokens", "max_completion_tokens") if key in sent), sent
    shown = json.loads(session.traffic.records()[0].upstream_text())
    assert (shown["max_tokens"], shown["max_completion_tokens"]) == (4096, 4096)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_litellm_records_cached_prompt_tokens(stream):
    """The traffic record prices cached prompt tokens at the cache rate on the LiteLLM path too."""
    reply = Reply(text="hello", input_tokens=21, cached_tokens=16, output_tokens=3)
    async with UpstreamServer("openai-chat", [reply]) as up, \
            proxy_for(litellm_provider(up), "fixture-model") as (_, session):
        status, raw = await post(session, "anthropic-messages", request_body("anthropic-messages", "hi", stream=stream),
                                 stream=stream)
    assert status == 200, raw[:500]
    record = session.traffic.records()[0]
    assert (record.input_tokens, record.output_tokens, record.cache_read_tokens) == (21, 3, 16)
