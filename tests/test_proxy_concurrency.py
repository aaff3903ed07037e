"""64 simultaneous streams through one proxy: every stream gets exactly its own chunks, in order."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from proxy_client import TRANSLATABLE, auth_headers, proxy_for, read_answer_text, request_body, route
from upstreams import RecordedRequest, Reply, UpstreamServer

STREAMS = 64
CHUNKS = 40


def _per_stream_reply(request: RecordedRequest) -> Reply:
    number = int(re.search(rb"stream-(\d+)", request.body).group(1))
    return Reply(pieces=tuple(f"s{number}c{i} " for i in range(CHUNKS)), delay=0.001)


CASES = [("anthropic-messages", "openai-chat"), ("openai-chat", "openai-chat"),
         ("openai-responses", "anthropic-messages"), ("gemini", "openai-responses")]


@pytest.mark.parametrize("inbound,upstream", [case for case in CASES if case[0] == case[1]
                                              or set(case) <= TRANSLATABLE])
async def test_64_concurrent_streams_are_not_mixed(inbound, upstream):
    async with UpstreamServer(upstream, _per_stream_reply) as up, proxy_for(up.provider()) as (_, session), \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def one(number: int) -> str:
            body = request_body(inbound, f"this is stream-{number}", stream=True)
            async with http.post(route(session.base_url, inbound, stream=True), json=body,
                                 headers=auth_headers(inbound, session.token)) as resp:
                assert resp.status == 200
                return read_answer_text(inbound, await resp.read(), True)

        texts = await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(STREAMS))), 60)
    for number, text in enumerate(texts):
        assert text == "".join(f"s{number}c{i} " for i in range(CHUNKS))
    assert len(up.requests) == STREAMS
    assert session.traffic.totals().requests == STREAMS and session.traffic.in_flight == 0
