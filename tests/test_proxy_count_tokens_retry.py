"""Token counting calls its upstream like every other route: a pooled keep-alive connection the
server closed before answering is retried once on a fresh one, the session's timeout applies, and
an upstream that is down or silent is an error in the caller's format, never a made-up count.

The count upstream here is a raw HTTP/1.1 server (not aiohttp's), so each test decides exactly
what happens on every connection: answer, hang up without answering, or never answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import aiohttp
import pytest

from proxy_client import auth_headers, error_shape_ok, proxy_for
from upstreams import UpstreamServer, refused_port

COUNT = 17
ANTHROPIC_BODY = {"model": "claude-x", "messages": [{"role": "user", "content": "count these words please"}]}
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "count these words please"}]}]}

# (caller, provider) pairs whose count reaches the provider's own count API through translation,
# not the same-protocol relay: the count_tokens module's own upstream call.
TRANSLATED_COUNTS = [("anthropic-messages", "gemini"), ("gemini", "anthropic-messages")]


@dataclass
class CountUpstream:
    """A raw count endpoint: ``plan[n]`` lists what connection ``n`` does with its successive
    requests (``answer``, ``drop``: close without a byte of answer, ``hang``: never answer);
    requests past a connection's plan, and connections past the plan, are answered."""

    plan: Sequence[Sequence[str]] = ()
    connections: int = 0
    requests: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    """(connection number, request head, body) of every request read."""
    port: int = 0

    def answer(self, head: bytes) -> bytes:
        path = head.split(b" ", 2)[1]
        body = {"totalTokens": COUNT} if path.endswith(b":countTokens") else {"input_tokens": COUNT}
        data = json.dumps(body).encode()
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(data)).encode() + b"\r\n\r\n" + data)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        actions = list(self.plan[number]) if number < len(self.plan) else []
        try:
            for turn in range(1000):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # the client closed its (idle) connection
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                body = await reader.readexactly(int(length.group(1))) if length else b""
                self.requests.append((number, head, body))
                action = actions[turn] if turn < len(actions) else "answer"
                if action == "drop":
                    return
                if action == "hang":
                    await reader.read()  # until the proxy gives up and closes
                    return
                writer.write(self.answer(head))
                await writer.drain()
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def count_upstream(*plan: Sequence[str]) -> AsyncIterator[CountUpstream]:
    upstream = CountUpstream(plan)
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    upstream.port = server.sockets[0].getsockname()[1]
    try:
        yield upstream
    finally:
        server.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)


def provider_at(protocol: str, port: int):
    """A provider speaking only ``protocol`` (its own count API) at 127.0.0.1:``port``."""
    return UpstreamServer(protocol).provider(api_base=f"http://127.0.0.1:{port}")


async def count(session, caller: str, http: aiohttp.ClientSession | None = None) -> tuple[int, dict]:
    """One count request as the caller's harness sends it: (status, JSON answer)."""
    if caller == "anthropic-messages":
        url, body = f"{session.base_url}/v1/messages/count_tokens?beta=true", ANTHROPIC_BODY
    else:
        url, body = f"{session.base_url}/v1beta/models/fixture-model:countTokens", GEMINI_BODY
    own = http is None
    http = http or aiohttp.ClientSession()
    try:
        async with http.post(url, json=body, headers=auth_headers(caller, session.token)) as resp:
            return resp.status, await resp.json(content_type=None)
    finally:
        if own:
            await http.close()


def counted(caller: str, answer: dict) -> int | None:
    return answer.get("input_tokens" if caller == "anthropic-messages" else "totalTokens")


@pytest.mark.parametrize("caller,provider", TRANSLATED_COUNTS)
async def test_a_pooled_connection_closed_before_the_answer_is_retried(caller, provider):
    """The first count leaves a keep-alive connection in the proxy's pool; the server hangs up on
    the next request sent over it (what a server's idle timeout looks like), so it is sent again."""
    async with count_upstream(["answer", "drop"]) as up, \
            proxy_for(provider_at(provider, up.port)) as (_, session):
        first = await asyncio.wait_for(count(session, caller), 30)
        second = await asyncio.wait_for(count(session, caller), 30)
    assert first[0] == 200 and counted(caller, first[1]) == COUNT, first
    assert second[0] == 200 and counted(caller, second[1]) == COUNT, second
    assert [number for number, _, _ in up.requests] == [0, 0, 1]  # reused, dropped, retried once fresh
    assert up.requests[1][2] == up.requests[2][2]  # the same body sent again
    records = session.traffic.records()
    assert [record.status for record in records] == [200, 200]
    assert records[-1].input_tokens == COUNT


@pytest.mark.parametrize("caller,provider", TRANSLATED_COUNTS)
async def test_a_connection_dropped_without_an_answer_is_retried_once(caller, provider):
    async with count_upstream(["drop"]) as up, proxy_for(provider_at(provider, up.port)) as (_, session):
        status, answer = await asyncio.wait_for(count(session, caller), 30)
    assert status == 200 and counted(caller, answer) == COUNT, answer
    assert up.connections == 2


@pytest.mark.parametrize("caller,provider", TRANSLATED_COUNTS)
async def test_an_upstream_that_keeps_hanging_up_is_a_502_after_one_retry(caller, provider):
    async with count_upstream(["drop"], ["drop"], ["drop"]) as up, \
            proxy_for(provider_at(provider, up.port)) as (_, session):
        status, answer = await asyncio.wait_for(count(session, caller), 30)
    assert status == 502, answer
    assert error_shape_ok(caller, answer, 502) and counted(caller, answer) is None
    assert len(up.requests) == 2  # one retry, never more
    assert session.traffic.records()[0].status == 502


@pytest.mark.parametrize("caller,provider", [*TRANSLATED_COUNTS, ("anthropic-messages", "anthropic-messages")])
async def test_an_upstream_that_is_down_is_a_502_in_the_callers_format(caller, provider):
    async with proxy_for(provider_at(provider, refused_port())) as (_, session):
        status, answer = await asyncio.wait_for(count(session, caller), 30)
    assert status == 502, answer
    assert error_shape_ok(caller, answer, 502)
    assert counted(caller, answer) is None  # no count at all, not a made-up one
    assert "cannot connect" in answer["error"]["message"]


@pytest.mark.parametrize("caller,provider", TRANSLATED_COUNTS)
async def test_a_silent_count_upstream_times_out_with_the_sessions_timeout(caller, provider):
    async with count_upstream(["hang"]) as up, \
            proxy_for(provider_at(provider, up.port), params={"timeout": 0.3}) as (_, session):
        status, answer = await asyncio.wait_for(count(session, caller), 30)
    assert status == 504, answer
    assert error_shape_ok(caller, answer, 504)
    assert len(up.requests) == 1  # a timeout is not retried
