"""One client connection on the fast lane: keep-alive, pipelining, ``Connection: close``, idle
connections, and the hand-off to aiohttp at the first request the lane does not take (with the
bytes it had already read), including every kind of request it refuses to parse."""

from __future__ import annotations

import asyncio
import json

import pytest

from proxy_client import error_shape_ok, proxy_for, read_answer_text, request_body
from test_proxy_fastlane import WAIT, json_headers, next_answer, raw_connection, raw_request
from upstreams import Reply, UpstreamServer


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
        assert server.fast_lane.relayed == 3  # the half-sent request was the lane's too: recorded, never sent
    assert len(up.requests) == 2
    assert sorted(record.status for record in session.traffic.records()) == [200, 200, 499]


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


async def test_a_request_without_host_gets_aiohttps_400():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        data = raw_request("POST", PASS, [("Authorization", f"Bearer {session.token}")], CHAT)
        async with raw_connection(server) as (reader, writer):
            writer.write(data.replace(b"Host: 127.0.0.1\r\n", b""))
            answer = await next_answer(reader)
    assert answer.status == 400
    assert not up.requests
