"""Hardening (issue 13, item 6): what a translated route holds of an upstream answer is bounded.

A whole answer (to be translated) used to be read without limit (2 GiB took 4.1 GB of memory), and one
endless SSE ``data:`` line grew without limit (quadratically copied). Now past ``AMUX_PROXY_MAX_BODY``
the caller gets a 502 in its format, and past ``AMUX_PROXY_MAX_EVENT`` the stream ends with the
caller's error event; answers under the limits are untouched. Tested in a real ``amux proxy`` with
the limits set to 1 MiB through its environment."""

from __future__ import annotations

import json

import aiohttp
import pytest

from hardening_proxy import cli_proxy
from proxy_client import error_shape_ok, request_body, sse_events
from test_proxy_fastlane import WAIT
from test_proxy_fastlane_pool import chat_json
from upstreams import RawReply, RawUpstream, http_answer

LIMITS = {"AMUX_PROXY_MAX_BODY": "1MiB", "AMUX_PROXY_MAX_EVENT": "1MiB"}


def big_chat_json(size: int) -> bytes:
    return chat_json("x" * size)


async def _ask(proxy, *, stream: bool) -> tuple[int, bytes]:
    headers = {"x-api-key": proxy.token, "anthropic-version": "2023-06-01"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{proxy.url}/v1/messages", json=request_body("anthropic-messages", "hi", stream=stream),
                             headers=headers, timeout=aiohttp.ClientTimeout(total=WAIT * 3)) as response:
            return response.status, await response.read()


@pytest.mark.parametrize("framing", ["length", "close"])
async def test_a_whole_answer_past_the_limit_is_a_502_not_memory(tmp_path, framing):
    body = big_chat_json(2 * 1024 * 1024)  # valid JSON: without the limit it was translated into a 200
    answer = http_answer(200, body, headers=[("Content-Type", "application/json")], length=framing == "length")
    async with RawUpstream(lambda request: RawReply(answer, close=True)) as up, \
            cli_proxy(tmp_path, up.origin + "/v1", "k", env_extra=LIMITS) as proxy:
        status, raw = await _ask(proxy, stream=False)
        await proxy.stop()
    assert status == 502, raw[:200]
    error = json.loads(raw)
    assert error_shape_ok("anthropic-messages", error, 502) and "AMUX_PROXY_MAX_BODY" in error["error"]["message"]


async def test_an_answer_under_the_limit_is_translated(tmp_path):
    answer = http_answer(200, big_chat_json(512 * 1024), headers=[("Content-Type", "application/json")])
    async with RawUpstream(lambda request: RawReply(answer)) as up, \
            cli_proxy(tmp_path, up.origin + "/v1", "k", env_extra=LIMITS) as proxy:
        status, raw = await _ask(proxy, stream=False)
        await proxy.stop()
    assert status == 200 and len(json.loads(raw)["content"][0]["text"]) == 512 * 1024


async def test_an_endless_stream_event_ends_the_stream_with_an_error_event(tmp_path):
    first = b'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}\n\n'
    endless = b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"' + b"y" * (3 * 1024 * 1024)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    async with RawUpstream(lambda request: RawReply(head + first + endless, hang=True)) as up, \
            cli_proxy(tmp_path, up.origin + "/v1", "k", env_extra=LIMITS) as proxy:
        status, raw = await _ask(proxy, stream=True)
        await proxy.stop()
    assert status == 200
    events = sse_events(raw)
    assert events[-1][0] == "error" and "AMUX_PROXY_MAX_EVENT" in events[-1][1]["error"]["message"]
    assert up.closed_by_client == 1  # the upstream connection was given up, not read on


def test_an_event_under_the_limit_arrives_whole_from_tiny_chunks():
    from amux_tui.proxy.protocols.sse import SSEParser, SSEEventTooLarge

    data = b"data: " + b"z" * 100_000 + b"\r\n\r\n"
    parser = SSEParser(max_event=200_000)
    events = [event for index in range(0, len(data), 7) for event in parser.feed(data[index:index + 7])]
    assert [len(event.data) for event in events] == [100_000]
    small = SSEParser(max_event=50_000)
    with pytest.raises(SSEEventTooLarge):
        for index in range(0, len(data), 7):
            small.feed(data[index:index + 7])


async def test_a_limit_under_a_mebibyte_is_named_as_it_was_set(tmp_path):
    # "more than 0 MiB" told the user nothing: a limit that is not whole MiB is shown in KiB or bytes.
    answer = http_answer(200, big_chat_json(64 * 1024), headers=[("Content-Type", "application/json")])
    async with RawUpstream(lambda request: RawReply(answer, close=True)) as up, \
            cli_proxy(tmp_path, up.origin + "/v1", "k", env_extra={"AMUX_PROXY_MAX_BODY": "32KiB"}) as proxy:
        status, raw = await _ask(proxy, stream=False)
        await proxy.stop()
    assert status == 502, raw[:200]
    message = json.loads(raw)["error"]["message"]
    assert "more than 32 KiB" in message and "0 MiB" not in message, message
