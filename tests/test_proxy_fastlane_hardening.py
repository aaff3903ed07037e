"""The fast lane's answers to a second reading: each test is a defect a reviewer found (a paused
upstream pooled, a record left in flight, a late retry, missing default headers, odd heads,
transfer codings, provider headers that could frame a request), shown against real sockets."""

from __future__ import annotations

import asyncio
import json
import os
import socket

import pytest

from proxy_client import proxy_for
from test_proxy_fastlane import WAIT, json_headers, next_answer, raw_connection, raw_request
from test_proxy_fastlane_pool import chat_json, lane_to, ok
from upstreams import RawReply, RawRequest, UpstreamServer, http_answer

PATH = "/fx/v1/chat/completions"


async def _ask(server, session, headers=None, body: bytes = b"{}"):
    async with raw_connection(server) as (reader, writer):
        writer.write(raw_request("POST", PATH, headers if headers is not None else
                                 json_headers("openai-chat", session.token), body))
        return await next_answer(reader)


@pytest.mark.parametrize("megabytes", [3.9, 12])
async def test_an_upstream_paused_for_a_slow_client_is_usable_when_pooled(megabytes):
    """A client that stops reading pauses the upstream; when the answer ends while it is paused (a
    whole answer written at once fills the client's side), the pooled connection must still read the
    next answer: it used to sit paused, and the next request on it hung."""
    big = os.urandom(int(megabytes * 1024 * 1024))
    replies = iter([RawReply(http_answer(200, big, headers=[("Content-Type", "application/x")])),
                    RawReply(ok("second"))])
    async with lane_to(lambda request: next(replies), params={"timeout": 3}) as (up, server, session):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", server.port, limit=2**16), WAIT)
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        try:
            writer.write(raw_request("POST", PATH, json_headers("openai-chat", session.token), b"{}"))
            await asyncio.sleep(0.5)  # nothing read: the proxy's buffers fill and it pauses the upstream
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
            got = await asyncio.wait_for(reader.readexactly(len(big)), WAIT)
        finally:
            writer.close()
        assert got == big
        answer = await _ask(server, session)
        assert answer.status == 200 and json.loads(answer.body)["choices"][0]["message"]["content"] == "second"
        assert up.connections == 1  # the connection paused for the slow client was pooled, reused, and read
    assert session.traffic.in_flight == 0


async def test_an_answer_whose_usage_cannot_be_read_still_finishes_its_record(caplog):
    nested = b'{"usage": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    async with lane_to(lambda request: RawReply(http_answer(200, nested, headers=[("Content-Type", "application/json")]))) \
            as (up, server, session):
        answer = await _ask(server, session)
        assert answer.status == 200 and answer.body == nested
        await asyncio.sleep(0.05)
    record = session.traffic.records()[-1]
    assert not record.in_flight and record.status == 200 and session.traffic.in_flight == 0
    assert "never retrieved" not in caplog.text


async def test_a_request_the_upstream_may_have_acted_on_is_not_sent_twice():
    """The upstream reads the request, works, then hangs up: a 502, not a second (billed) call."""
    replies = iter([RawReply(ok("first")), RawReply(b"", close=True, delay=0.6)])
    async with lane_to(lambda request: next(replies, RawReply(ok("never")))) as (up, server, session):
        assert (await _ask(server, session)).status == 200
        answer = await _ask(server, session)  # rides the pooled connection, which the upstream drops late
        assert answer.status == 502
        assert "closed the connection" in json.loads(answer.body)["error"]["message"]
        assert len(up.requests) == 2


async def test_the_upstream_gets_accept_and_an_amux_user_agent_when_the_client_sent_none():
    async with lane_to(lambda request: RawReply(ok("hi"))) as (up, server, session):
        headers = [("Authorization", f"Bearer {session.token}"), ("Content-Type", "application/json")]
        assert (await _ask(server, session, headers)).status == 200
        sent = up.requests[0].head.decode().lower()
        assert "\r\naccept: */*" in sent and "\r\nuser-agent: amux/" in sent
        await _ask(server, session, [*headers, ("User-Agent", "claude-cli/2"), ("Accept", "application/json")])
        again = up.requests[1].head.decode().lower()
        assert "user-agent: claude-cli/2" in again and "amux/" not in again and again.count("accept:") == 1


async def test_a_head_over_aiohttps_header_count_gets_aiohttps_400():
    async with lane_to(lambda request: RawReply(ok("never"))) as (up, server, session):
        many = [(f"X-H{i}", "v") for i in range(130)]
        answer = await _ask(server, session, [*json_headers("openai-chat", session.token), *many])
        assert answer.status == 400
        assert server.fast_lane.relayed == 0 and not up.requests


async def test_a_provider_url_the_lane_cannot_parse_is_answered_not_dropped():
    provider = UpstreamServer("openai-chat").provider("fx", api_base="http://[::1/v1")
    async with proxy_for(provider) as (server, session):
        answer = await _ask(server, session)
        assert answer is not None and answer.status >= 400  # aiohttp's answer, in the caller's format
        assert "error" in json.loads(answer.body)


@pytest.mark.parametrize("coding,expected", [("gzip, chunked", 502), ("identity", 200)])
async def test_transfer_codings_other_than_chunked_are_refused_or_read_to_the_close(coding, expected):
    body = chat_json("coded")
    data = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: {coding}\r\n\r\n").encode()
    data += b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body) if "chunked" in coding else body
    async with lane_to(lambda request: RawReply(data, close=True)) as (up, server, session):
        answer = await _ask(server, session)
    assert answer.status == expected
    if expected == 200:
        assert answer.body == body and answer.complete
    else:
        assert "gzip" in json.loads(answer.body)["error"]["message"]


async def test_provider_headers_cannot_add_a_second_host_or_length():
    smuggle = {"Host": "evil.example", "Content-Length": "0", "Transfer-Encoding": "chunked", "X-Team": "a"}
    async with lane_to(lambda request: RawReply(ok("hi")), params={"extra_headers": smuggle}) as (up, server, session):
        assert (await _ask(server, session, body=b'{"a": 1}')).status == 200
    request: RawRequest = up.requests[0]
    head = request.head.decode().lower()
    assert head.count("\r\nhost:") == 1 and "evil.example" not in head
    assert head.count("content-length:") == 1 and "transfer-encoding" not in head
    assert "x-team: a" in head and request.body == b'{"a": 1}'


@pytest.mark.parametrize("path", [PATH, "/v1/chat/completions", "/no/such/route?x=1"])
@pytest.mark.parametrize("expect", [b"\x80", b"magic"])
async def test_an_expectation_other_than_100_continue_is_a_417_in_the_callers_format(path, expect):
    """aiohttp's own expect handler answers 500 for a value that is not UTF-8; nothing reaches it."""
    async with lane_to(lambda request: RawReply(ok("never"))) as (up, server, session):
        async with raw_connection(server) as (reader, writer):
            head = raw_request("POST", path, json_headers("openai-chat", session.token), b"{}")
            writer.write(head.replace(b"\r\n\r\n", b"\r\nExpect: " + expect + b"\r\n\r\n", 1))
            answer = await next_answer(reader)
        assert not up.requests
    assert answer.status == 417
    assert "100-continue" in json.loads(answer.body)["error"]["message"]


async def test_expect_100_continue_still_works():
    async with lane_to(lambda request: RawReply(ok("continued"))) as (up, server, session):
        async with raw_connection(server) as (reader, writer):
            head = raw_request("POST", PATH, json_headers("openai-chat", session.token), b"{}")
            body_at = head.index(b"\r\n\r\n") + 4
            writer.write(head[:body_at - 2] + b"Expect: 100-continue\r\n\r\n")
            assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)).startswith(b"HTTP/1.1 100")
            writer.write(head[body_at:])
            answer = await next_answer(reader)
    assert answer.status == 200 and b"continued" in answer.body
