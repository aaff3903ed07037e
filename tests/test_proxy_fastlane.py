"""The fast lane (``amux_tui/proxy/fastlane``): which requests it relays itself, that what it
records equals what the aiohttp routes record, and how it shares a client connection with aiohttp.

``server.fast_lane.relayed`` tells whether the lane served a request. The aiohttp side of a
comparison is reached by sending the same request with a chunked body, which the lane never
parses: the connection goes to aiohttp, which serves it through its routes.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import aiohttp
import pytest

from proxy_client import (
    PROTOCOLS, auth_headers, error_shape_ok, post, proxy_for, read_answer_text, request_body, route, sse_events,
)
from upstreams import Reply, UpstreamServer, read_http_answer

WAIT = 10.0
"""Seconds any single step may take before the test fails instead of hanging."""


def raw_request(method: str, target: str, headers: Sequence[tuple[str, str]] = (), body: bytes | None = b"", *,
                version: str = "HTTP/1.1", chunked: bool = False) -> bytes:
    """A request's bytes, exactly as given (``Content-Length`` added for a body unless ``chunked``)."""
    lines = [f"{method} {target} {version}", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers)]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        tail = (b"%x\r\n%b\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    else:
        if body is not None and not any(name.lower() == "content-length" for name, _ in headers):
            lines.append(f"Content-Length: {len(body)}")
        tail = body or b""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + tail


@asynccontextmanager
async def raw_connection(server) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", server.port), WAIT)
    try:
        yield reader, writer
    finally:
        writer.close()


async def next_answer(reader: asyncio.StreamReader, **kwargs):
    return await asyncio.wait_for(read_http_answer(reader, **kwargs), WAIT)


def passthrough_path(protocol: str, *, stream: bool = False) -> str:
    """The provider's own endpoint, as a harness sent straight to it would call it."""
    if protocol == "anthropic-messages":
        return "/v1/messages"
    if protocol == "openai-chat":
        return "/v1/chat/completions"
    if protocol == "openai-responses":
        return "/v1/responses"
    return "/v1beta/models/fixture-model:" + ("streamGenerateContent?alt=sse" if stream else "generateContent")


def json_headers(protocol: str, token: str) -> list[tuple[str, str]]:
    return [*auth_headers(protocol, token).items(), ("Content-Type", "application/json")]


# --- 1. what the lane takes ---------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("stream", [False, True])
async def test_passthrough_and_same_protocol_requests_ride_the_lane(protocol, stream):
    async with UpstreamServer(protocol, [Reply(text="lane answer")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        body = request_body(protocol, "hi", stream=stream)
        status, raw = await asyncio.wait_for(post(session, protocol, body, stream=stream), WAIT)
        assert status == 200, raw
        assert read_answer_text(protocol, raw, stream) == "lane answer"
        assert server.fast_lane.relayed == 1

        async with aiohttp.ClientSession() as http:
            async with http.post(session.passthrough_url + passthrough_path(protocol, stream=stream), json=body,
                                 headers=auth_headers(protocol, session.token)) as resp:
                assert resp.status == 200
                assert read_answer_text(protocol, await resp.read(), stream) == "lane answer"
        assert server.fast_lane.relayed == 2
    assert [r.upstream for r in session.traffic.records()] == [protocol, "passthrough"]


@pytest.mark.parametrize("protocol,path,field", [
    ("anthropic-messages", "/v1/messages/count_tokens", "input_tokens"),
    ("anthropic-messages", "/messages/count_tokens", "input_tokens"),
    ("gemini", "/v1beta/models/fixture-model:countTokens", "totalTokens"),
])
async def test_count_routes_ride_the_lane(protocol, path, field):
    async with UpstreamServer(protocol, token_count=321) as up, proxy_for(up.provider()) as (server, session):
        async with aiohttp.ClientSession() as http:
            async with http.post(session.base_url + path, json=request_body(protocol, "count me"),
                                 headers=auth_headers(protocol, session.token)) as resp:
                assert resp.status == 200
                assert (await resp.json())[field] == 321
        assert server.fast_lane.relayed == 1
    assert session.traffic.records()[-1].upstream == protocol


@pytest.mark.parametrize("path", ["/chat/completions", "/responses", "/messages"])
async def test_routes_without_v1_ride_the_lane(path):
    protocol = {"/chat/completions": "openai-chat", "/responses": "openai-responses",
                "/messages": "anthropic-messages"}[path]
    async with UpstreamServer(protocol, [Reply(text="short path")]) as up, proxy_for(up.provider()) as (server, s):
        async with aiohttp.ClientSession() as http:
            async with http.post(s.base_url + path, json=request_body(protocol, "hi"),
                                 headers=auth_headers(protocol, s.token)) as resp:
                assert resp.status == 200
                assert read_answer_text(protocol, await resp.read(), False) == "short path"
        assert server.fast_lane.relayed == 1


async def test_translated_requests_model_lists_and_head_are_aiohttps_and_work():
    async with UpstreamServer("openai-chat", [Reply(text="translated")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        for stream in (False, True):
            status, raw = await asyncio.wait_for(post(session, "anthropic-messages", request_body(
                "anthropic-messages", "hi", stream=stream), stream=stream), WAIT)
            assert status == 200, raw
            assert read_answer_text("anthropic-messages", raw, stream) == "translated"
        headers = auth_headers("openai-chat", session.token)
        async with aiohttp.ClientSession() as http:
            async with http.get(session.base_url + "/v1/models", headers=headers) as resp:
                assert resp.status == 200
                assert "fixture-model" in json.dumps(await resp.json())
            async with http.head(session.passthrough_url + "/v1/models", headers=headers) as resp:
                assert resp.status < 500
        assert server.fast_lane.relayed == 0
    assert up.requests[-1].method == "HEAD"  # aiohttp relayed the HEAD itself


# --- 1. the record is the same whichever side serves ---------------------------------------------

RECORD_FIELDS = ("route", "inbound", "upstream", "model", "requested_model", "stream", "status", "input_tokens",
                 "output_tokens", "cost_model", "upstream_url", "request_body", "upstream_body", "error")


def comparable(record) -> dict:
    fields = {name: getattr(record, name) for name in RECORD_FIELDS}
    # The fixture's answers carry the current second; a request may straddle one.
    fields["response"] = re.sub(r'"(created|created_at)": ?\d+', r'"\1": 0', record.response_text())
    fields["in_flight"] = record.in_flight
    return fields


async def chunked_body(data: bytes) -> AsyncIterator[bytes]:
    yield data  # an async iterable body: aiohttp's client sends it chunked, which the lane hands to aiohttp


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind", ["route", "passthrough"])
@pytest.mark.parametrize("reply", [Reply(text="same record", thinking="hmm"), Reply.error(429, "slow down")],
                         ids=["ok", "429"])
async def test_lane_record_equals_the_aiohttp_record(protocol, stream, kind, reply):
    async with UpstreamServer(protocol, [reply]) as up, \
            proxy_for(up.provider("fx"), "fixture-model", model_aliases={"asked-name": "fixture-model"}) as (server, s):
        body = json.dumps(request_body(protocol, "hi", stream=stream, model="asked-name")).encode()
        if kind == "route":
            url = route(s.base_url, protocol, model="asked-name", stream=stream)
        else:
            url = s.passthrough_url + passthrough_path(protocol, stream=stream)
        headers = dict(json_headers(protocol, s.token))
        answers = []
        async with aiohttp.ClientSession(auto_decompress=False) as http:
            for data in (body, chunked_body(body)):
                async with http.post(url, data=data, headers=headers) as resp:
                    answers.append((resp.status, await resp.read()))
        assert server.fast_lane.relayed == 1  # the first went by the lane, the chunked one by aiohttp
    lane, aio = session_records = s.traffic.records()
    assert answers[0][0] == answers[1][0] == reply.status
    assert comparable(lane) == comparable(aio)
    assert not lane.in_flight and lane.status == reply.status
    if reply.status == 200:
        assert lane.input_tokens == 11 and lane.output_tokens == 7
    else:
        assert "slow down" in lane.error
    assert up.requests[0].body == up.requests[1].body and up.requests[0].path == up.requests[1].path
    assert up.requests[0].query == up.requests[1].query
    assert len(session_records) == 2


@pytest.mark.parametrize("kind", ["route", "passthrough", "unknown session"])
async def test_a_bad_token_gets_the_same_401_from_the_lane_as_from_aiohttp(kind):
    async with UpstreamServer("anthropic-messages") as up, proxy_for(up.provider("fx")) as (server, session):
        token = session.token[:-2] + "xx" if kind != "unknown session" else "amux-0000000000000000-nope"
        path = "/v1/messages?beta=true" if kind == "route" else "/fx/v1/messages"
        headers = json_headers("anthropic-messages", token)
        body = json.dumps(request_body("anthropic-messages", "hi")).encode()
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", path, headers, body))
            lane = await next_answer(reader)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", path, headers, body, chunked=True))
            aio = await next_answer(reader)
        assert server.fast_lane.relayed == 0
    assert lane.status == aio.status == 401
    assert json.loads(lane.body) == json.loads(aio.body)
    assert error_shape_ok("anthropic-messages", json.loads(lane.body), 401)
    assert lane.header("Content-Type").startswith("application/json")
    assert lane.keep_alive and aio.keep_alive
    assert not up.requests and not session.traffic.records()


@pytest.mark.xfail(strict=True, reason="fastlane/lane.py error_answer sends 'application/json; charset=utf-8', "
                                       "aiohttp's error answers 'application/json'")
async def test_a_lane_error_has_the_content_type_of_aiohttps():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        headers = json_headers("openai-chat", "amux-wrong")
        answers = []
        for chunked in (False, True):
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", "/v1/chat/completions", headers, b"{}", chunked=chunked))
                answers.append(await next_answer(reader))
    assert [a.status for a in answers] == [401, 401]
    assert answers[0].header("Content-Type") == answers[1].header("Content-Type")


@pytest.mark.xfail(strict=True, reason="the lane relays dot segments raw; aiohttp's client resolves them "
                                       "(fastlane/head.py _TARGET admits '/./' and '/../')")
@pytest.mark.parametrize("path", ["/fx/v1/../chat/completions", "/fx/./v1/chat/completions"])
async def test_dot_segments_reach_the_upstream_as_aiohttp_sends_them(path):
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        body = json.dumps(request_body("openai-chat", "hi")).encode()
        headers = json_headers("openai-chat", session.token)
        for chunked in (False, True):
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", path, headers, body, chunked=chunked))
                assert (await next_answer(reader)).status == 200
    lane, aio = up.requests
    assert lane.path == aio.path


# --- 2. one client connection, shared with aiohttp -------------------------------------------------

def _texts(*texts: str):
    replies = iter([Reply(text=text) for text in texts])
    return lambda request: next(replies)


async def test_keep_alive_connection_carries_lane_then_aiohttp_then_more():
    async with UpstreamServer("openai-chat", _texts("one", "two", "three")) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        chat = json.dumps(request_body("openai-chat", "hi")).encode()
        anthropic = json.dumps(request_body("anthropic-messages", "hi")).encode()
        chat_headers = json_headers("openai-chat", session.token)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", "/fx/v1/chat/completions", chat_headers, chat))
            first = await next_answer(reader)
            assert server.fast_lane.relayed == 1
            writer.write(raw_request("POST", "/v1/messages", json_headers("anthropic-messages", session.token),
                                     anthropic))
            second = await next_answer(reader)
            writer.write(raw_request("POST", "/fx/v1/chat/completions", chat_headers, chat))
            third = await next_answer(reader)
        assert server.fast_lane.relayed == 1  # after the hand-off the connection stays aiohttp's
    assert [a.status for a in (first, second, third)] == [200, 200, 200]
    assert read_answer_text("openai-chat", first.body, False) == "one"
    assert read_answer_text("anthropic-messages", second.body, False) == "two"
    assert read_answer_text("openai-chat", third.body, False) == "three"
    assert all(a.complete and a.keep_alive for a in (first, second, third))


@pytest.mark.parametrize("second", ["lane", "aiohttp"])
async def test_pipelined_requests_are_answered_in_order(second):
    """Both requests in one write: the lane serves the first, then the second (a hand-off happens
    only between answers, never inside one), even while the first is a slow stream."""
    script = [Reply(text="first slow answer", delay=0.02), Reply(text="second")]
    async with UpstreamServer("openai-chat", script) as up, proxy_for(up.provider("fx")) as (server, session):
        headers = json_headers("openai-chat", session.token)
        streamed = json.dumps(request_body("openai-chat", "hi", stream=True)).encode()
        plain = json.dumps(request_body("openai-chat", "hi")).encode()
        if second == "lane":
            follow = raw_request("POST", "/fx/v1/chat/completions", headers, plain)
        else:
            anthropic = json.dumps(request_body("anthropic-messages", "hi")).encode()
            follow = raw_request("POST", "/v1/messages", json_headers("anthropic-messages", session.token), anthropic)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", "/fx/v1/chat/completions", headers, streamed) + follow)
            one = await next_answer(reader)
            two = await next_answer(reader)
        assert server.fast_lane.relayed == (2 if second == "lane" else 1)
    assert one.status == two.status == 200
    assert one.header("Transfer-Encoding") == "chunked"
    assert read_answer_text("openai-chat", one.body, True) == "first slow answer"
    assert read_answer_text("openai-chat" if second == "lane" else "anthropic-messages", two.body, False) == "second"


@pytest.mark.parametrize("path,protocol", [("/fx/v1/chat/completions", "openai-chat"),
                                           ("/v1/chat/completions", "openai-chat")])
@pytest.mark.parametrize("token_ok", [True, False])
async def test_connection_close_from_the_client_answers_then_closes(path, protocol, token_ok):
    async with UpstreamServer(protocol) as up, proxy_for(up.provider("fx")) as (server, session):
        headers = [*json_headers(protocol, session.token if token_ok else "amux-bad"), ("Connection", "close")]
        body = json.dumps(request_body(protocol, "hi")).encode()
        async with raw_connection(server) as (reader, writer):
            # a second request after the close must not be served
            writer.write(raw_request("POST", path, headers, body) + raw_request("POST", path, headers, body))
            answer = await next_answer(reader)
            assert await asyncio.wait_for(reader.read(), WAIT) == b""  # then the connection ends
        assert server.fast_lane.relayed == (1 if token_ok else 0)
    assert answer.status == (200 if token_ok else 401)
    assert answer.complete and not answer.keep_alive
    assert answer.header("Connection") == "close"
    assert len(up.requests) == (1 if token_ok else 0)
    assert [record.status for record in session.traffic.records()] == ([200] if token_ok else [])


async def test_after_a_lane_error_the_connection_serves_the_next_request():
    async with UpstreamServer("openai-chat", [Reply(text="after the error")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        headers = json_headers("openai-chat", session.token)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", "/v1/chat/completions", headers, b"{broken")
                         + raw_request("POST", "/v1/chat/completions", headers, CHAT))
            first, second = await next_answer(reader), await next_answer(reader)
        assert server.fast_lane.relayed == 2
    assert first.status == 400 and first.keep_alive
    assert error_shape_ok("openai-chat", json.loads(first.body), 400)
    assert second.status == 200 and read_answer_text("openai-chat", second.body, False) == "after the error"


async def test_a_pipeline_beyond_the_read_limit_pauses_then_resumes():
    """More than `PIPELINE_LIMIT` bytes of later requests arrive while a slow stream is served: reading
    pauses, and every request is still answered in order."""
    from amux_tui.proxy.fastlane.front import PIPELINE_LIMIT

    big = json.dumps(request_body("openai-chat", "x" * (PIPELINE_LIMIT // 2))).encode()
    script = [Reply(text="slow stream first", delay=0.05), Reply(text="big one"), Reply(text="big two"),
              Reply(text="big three")]
    async with UpstreamServer("openai-chat", script) as up, proxy_for(up.provider("fx")) as (server, session):
        headers = json_headers("openai-chat", session.token)
        streamed = json.dumps(request_body("openai-chat", "hi", stream=True)).encode()
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", PASS, headers, streamed)
                         + b"".join(raw_request("POST", PASS, headers, big) for _ in range(3)))
            answers = [await next_answer(reader) for _ in range(4)]
        assert server.fast_lane.relayed == 4
    assert [read_answer_text("openai-chat", a.body, i == 0) for i, a in enumerate(answers)] == \
        ["slow stream first", "big one", "big two", "big three"]
    assert [len(request.body) for request in up.requests[1:]] == [len(big)] * 3


async def test_a_request_split_into_many_writes_is_served():
    async with UpstreamServer("openai-chat", [Reply(text="pieces")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        data = raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                           json.dumps(request_body("openai-chat", "hi")).encode())
        async with raw_connection(server) as (reader, writer):
            for start in range(0, len(data), 7):
                writer.write(data[start:start + 7])
                await writer.drain()
                await asyncio.sleep(0)
            answer = await next_answer(reader)
        assert server.fast_lane.relayed == 1
    assert read_answer_text("openai-chat", answer.body, False) == "pieces"


async def test_idle_lane_connections_are_closed_but_not_one_in_the_middle_of_a_stream(monkeypatch):
    from amux_tui.proxy.fastlane import front

    monkeypatch.setattr(front, "IDLE_SECONDS", 0.3)
    reply = Reply(text="one two three four five six seven", delay=0.1)  # lasts longer than the idle limit
    async with UpstreamServer("openai-chat", [Reply(text="quick"), reply]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        headers = json_headers("openai-chat", session.token)
        async with raw_connection(server) as (idle_reader, idle_writer), \
                raw_connection(server) as (half_reader, half_writer), \
                raw_connection(server) as (stream_reader, stream_writer):
            idle_writer.write(raw_request("POST", PASS, headers, CHAT))
            assert (await next_answer(idle_reader)).status == 200
            half_writer.write(raw_request("POST", PASS, headers, CHAT)[:-5])  # the body never completes
            streamed = json.dumps(request_body("openai-chat", "hi", stream=True)).encode()
            stream_writer.write(raw_request("POST", PASS, headers, streamed))
            answer = await next_answer(stream_reader)
            assert answer.complete and read_answer_text("openai-chat", answer.body, True) == reply.text
            assert await asyncio.wait_for(idle_reader.read(), WAIT) == b""
            assert await asyncio.wait_for(half_reader.read(), WAIT) == b""
            assert await asyncio.wait_for(stream_reader.read(), WAIT) == b""  # idle once its answer ended
        assert server.fast_lane.relayed == 2
    assert len(up.requests) == 2


# --- 3. what the lane leaves to aiohttp ------------------------------------------------------------

CHAT = json.dumps(request_body("openai-chat", "hi")).encode()
PASS = "/fx/v1/chat/completions"

ODD_REQUESTS = {
    # name: (request bytes with TOKEN in place of the token, aiohttp's status, whether it reached the upstream)
    "chunked body": (raw_request("POST", PASS, [("Authorization", "Bearer TOKEN")], CHAT, chunked=True), 200, True),
    "expect 100-continue": (raw_request("POST", PASS, [("Authorization", "Bearer TOKEN"), ("Expect", "100-continue")],
                                        CHAT), 200, True),
    "HTTP/1.0": (raw_request("POST", PASS, [("Authorization", "Bearer TOKEN")], CHAT, version="HTTP/1.0"), 200, True),
    "obs-fold": (raw_request("POST", PASS, [("Authorization", "Bearer TOKEN"), ("X-Folded", "a\r\n b")], CHAT),
                 400, False),
    "duplicate length": (raw_request("POST", PASS, [("Authorization", "Bearer TOKEN"),
                                                    ("Content-Length", str(len(CHAT))),
                                                    ("Content-Length", str(len(CHAT)))], CHAT), 400, False),
    "long header line": (raw_request("POST", PASS, [("Authorization", "Bearer TOKEN"), ("X-Long", "a" * 8200)], CHAT),
                         400, False),
    "non-ASCII header": (raw_request("POST", PASS, [("Authorization", "Bearer TOKEN"), ("X-Name", "caf\xe9")], CHAT),
                         200, True),
    "percent-escape": (raw_request("POST", "/fx/v1/chat/%63ompletions", [("Authorization", "Bearer TOKEN")], CHAT),
                       200, True),
    "upgrade": (raw_request("GET", "/fx/v1/models", [("Authorization", "Bearer TOKEN"), ("Connection", "Upgrade"),
                                                    ("Upgrade", "websocket")], None), 200, True),
}


@pytest.mark.parametrize("name", list(ODD_REQUESTS))
async def test_requests_the_lane_will_not_parse_get_aiohttps_answer(name):
    data, status, reached = ODD_REQUESTS[name]
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(data.replace(b"TOKEN", session.token.encode()))
            answer = await next_answer(reader)
        assert server.fast_lane.relayed == 0
    assert answer is not None and answer.complete
    assert answer.status == status, answer.body[:300]
    assert bool(up.requests) == reached
    if reached:
        assert up.requests[0].path == "/v1/chat/completions" or name == "upgrade"
        assert up.requests[0].headers.get("authorization") == f"Bearer {up.api_key}"


async def test_hand_off_keeps_the_bytes_already_buffered():
    """A lane request and an odd one in one write: the odd one's bytes, already read by the lane,
    reach aiohttp whole."""
    async with UpstreamServer("openai-chat", _texts("lane", "aiohttp")) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        headers = [("Authorization", f"Bearer {session.token}")]
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", PASS, headers, CHAT)
                         + raw_request("POST", PASS, headers, CHAT, chunked=True))
            first, second = await next_answer(reader), await next_answer(reader)
        assert server.fast_lane.relayed == 1
    assert read_answer_text("openai-chat", first.body, False) == "lane"
    assert read_answer_text("openai-chat", second.body, False) == "aiohttp"
    assert up.requests[0].body == up.requests[1].body == CHAT


@pytest.mark.parametrize("path,protocol", [("/v1/chat/completions", "openai-chat"), (PASS, "openai-chat"),
                                           ("/v1/messages", "anthropic-messages")])
async def test_a_body_over_the_limit_is_413_in_the_callers_format(monkeypatch, path, protocol):
    import amux_tui.proxy.app as proxy_app

    monkeypatch.setattr(proxy_app, "MAX_REQUEST_BYTES", 1024)
    upstream_protocol = "openai-chat"
    async with UpstreamServer(upstream_protocol, [Reply(text="never")]) as up, \
            proxy_for(up.provider("fx", api_formats=(upstream_protocol, "anthropic-messages"))) as (server, session):
        body = json.dumps(request_body(protocol, "x" * 4096)).encode()
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", path, json_headers(protocol, session.token), body))
            answer = await next_answer(reader)
        assert server.fast_lane.relayed == 0
    assert answer.status == 413
    assert error_shape_ok(protocol, json.loads(answer.body), 413)
    assert not up.requests


@pytest.mark.xfail(strict=True, reason="fastlane/head.py read_request_head relays an HTTP/1.1 request without Host; "
                                       "aiohttp answers it 400 (RFC 9112 3.2)")
async def test_a_request_without_host_gets_aiohttps_400():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        data = raw_request("POST", PASS, [("Authorization", f"Bearer {session.token}")], CHAT)
        async with raw_connection(server) as (reader, writer):
            writer.write(data.replace(b"Host: 127.0.0.1\r\n", b""))
            answer = await next_answer(reader)
    assert answer.status == 400
    assert not up.requests
