"""The fast lane's upstream connections (``fastlane/pool.py``), seen from a hand-written upstream
that counts its connections: reuse, an idle connection the upstream closed, answers framed by the
connection's end, interim answers, bytes relayed untouched, and HTTPS."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import shutil
import ssl
import subprocess
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from proxy_client import error_shape_ok, proxy_for, read_answer_text
from test_proxy_fastlane import WAIT, json_headers, next_answer, raw_connection, raw_request
from upstreams import RawReply, RawRequest, RawUpstream, UpstreamServer, http_answer


def chat_json(text: str) -> bytes:
    return json.dumps({"id": "c", "object": "chat.completion", "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}).encode()


def ok(text: str, **options) -> bytes:
    return http_answer(200, chat_json(text), headers=[("Content-Type", "application/json")], **options)


@asynccontextmanager
async def lane_to(answer: Callable[[RawRequest], RawReply | None], *, ssl_context=None, **register):
    """A `RawUpstream` and a proxy session whose provider (``fx``, OpenAI chat) is that upstream."""
    async with RawUpstream(answer, ssl_context) as up:
        provider = UpstreamServer("openai-chat").provider("fx", api_base=up.origin + "/v1")
        async with proxy_for(provider, **register) as (server, session):
            yield up, server, session


async def chat(session, http: aiohttp.ClientSession, *, passthrough: bool = True) -> tuple[int, bytes]:
    url = session.passthrough_url + "/v1/chat/completions" if passthrough else session.base_url + "/v1/chat/completions"
    body = {"model": "fixture-model", "messages": [{"role": "user", "content": "hi"}]}
    async with http.post(url, json=body, headers={"Authorization": f"Bearer {session.token}"}) as resp:
        return resp.status, await resp.read()


def numbered(make: Callable[[int], bytes]) -> Callable[[RawRequest], RawReply]:
    count = iter(range(1_000_000))
    return lambda request: RawReply(make(next(count)))


# --- 5. pooling -------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", ["one client connection", "a connection per request"])
async def test_sequential_requests_share_one_upstream_connection(client):
    async with lane_to(numbered(lambda n: ok(f"answer {n}"))) as (up, server, session):
        async with aiohttp.ClientSession() as shared:
            for n in range(5):
                if client == "one client connection":
                    status, raw = await chat(session, shared, passthrough=n % 2 == 0)
                else:
                    async with aiohttp.ClientSession() as own:
                        status, raw = await chat(session, own, passthrough=n % 2 == 0)
                assert status == 200
                assert read_answer_text("openai-chat", raw, False) == f"answer {n}"
        assert server.fast_lane.relayed == 5
    assert up.connections == 1 and len(up.requests) == 5


async def test_concurrent_requests_open_connections_that_later_requests_reuse():
    async with lane_to(lambda request: RawReply(ok("together"), delay=0.2)) as (up, server, session):
        async with aiohttp.ClientSession() as http:
            for _ in range(2):
                answers = await asyncio.wait_for(asyncio.gather(*(chat(session, http) for _ in range(6))), WAIT)
                assert [status for status, _ in answers] == [200] * 6
                assert up.connections == 6  # one per request in flight, then kept
        assert server.fast_lane.relayed == 12
    assert len(up.requests) == 12


async def test_a_connection_idle_past_the_keep_alive_limit_is_closed_not_reused(monkeypatch):
    from amux_tui.proxy.fastlane import pool

    monkeypatch.setattr(pool, "KEEPALIVE_SECONDS", 0.2)
    async with lane_to(numbered(lambda n: ok(f"n{n}"))) as (up, server, session):
        async with aiohttp.ClientSession() as http:
            assert (await chat(session, http))[0] == 200
            await asyncio.sleep(0.3)
            assert (await chat(session, http))[0] == 200
        await up.wait_for(lambda: up.closed_by_client >= 1)  # the stale one was closed by the proxy
    assert up.connections == 2


@pytest.mark.parametrize("status", [204, 304])
async def test_a_bodiless_answer_keeps_both_connections(status):
    replies = iter([RawReply(b"HTTP/1.1 %d Nothing\r\nETag: x\r\n\r\n" % status), RawReply(ok("next"))])
    async with lane_to(lambda request: next(replies)) as (up, server, session):
        headers = json_headers("openai-chat", session.token)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("DELETE", "/fx/v1/files/f-1", headers, None))
            first = await next_answer(reader)
            writer.write(raw_request("GET", "/fx/v1/models", headers, None))
            second = await next_answer(reader)
        assert server.fast_lane.relayed == 2
    assert (first.status, first.body, first.header("ETag")) == (status, b"", "x")
    assert first.header("Content-Length") is None and first.header("Transfer-Encoding") is None
    assert read_answer_text("openai-chat", second.body, False) == "next"
    assert up.connections == 1
    assert up.requests[0].head.startswith(b"DELETE /v1/files/f-1 HTTP/1.1") and not up.requests[0].body


@pytest.mark.parametrize("how", ["closes after answering", "closes at the next request", "resets at the next request"])
async def test_an_idle_connection_the_upstream_closed_is_replaced(how):
    def answer(request: RawRequest) -> RawReply | None:
        if request.connection == 0 and len(up.requests) > 1:
            # a keep-alive timeout racing the next request: closed (or reset) unanswered
            return RawReply(b"", reset=True) if how.startswith("resets") else None
        return RawReply(ok(f"conn {request.connection}"), close=how == "closes after answering")

    async with lane_to(answer) as (up, server, session):
        async with aiohttp.ClientSession() as http:
            first = await chat(session, http)
            await asyncio.sleep(0.05)  # let the close arrive (when the upstream closes at once)
            second = await chat(session, http)
        assert server.fast_lane.relayed == 2
    assert [first[0], second[0]] == [200, 200], second
    assert read_answer_text("openai-chat", second[1], False) == "conn 1"
    assert up.connections == 2
    assert len(up.requests) == (2 if how == "closes after answering" else 3)  # one retry, on a new connection


async def test_a_reused_connection_is_retried_once_not_twice():
    def answer(request: RawRequest) -> RawReply | None:
        return RawReply(ok("first")) if not request.connection and len(up.requests) == 1 else None

    async with lane_to(answer) as (up, server, session):
        async with aiohttp.ClientSession() as http:
            assert (await chat(session, http))[0] == 200
            status, raw = await chat(session, http)
    assert status == 502
    assert error_shape_ok("openai-chat", json.loads(raw), 502)
    assert up.connections == 2 and len(up.requests) == 3


async def test_a_new_connection_closed_unanswered_is_not_retried():
    async with lane_to(lambda request: None) as (up, server, session):
        async with aiohttp.ClientSession() as http:
            status, raw = await chat(session, http)
    assert status == 502 and "closed the connection" in json.loads(raw)["error"]["message"]
    assert up.connections == 1


@pytest.mark.parametrize("version", ["1.0", "1.1"])
async def test_an_answer_ended_by_the_connection_close_is_relayed_whole(version):
    body = chat_json("to the end " * 500)
    reply = RawReply(http_answer(200, body, headers=[("Content-Type", "application/json")], length=False,
                                 version=version), close=True)
    async with lane_to(lambda request: reply) as (up, server, session):
        for _ in range(2):
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                         b"{}"))
                answer = await next_answer(reader)
            assert answer.status == 200 and answer.complete and answer.keep_alive
            assert answer.header("Transfer-Encoding") == "chunked"  # re-framed: the client's connection stays
            assert answer.body == body
        assert server.fast_lane.relayed == 2
    assert up.connections == 2  # such a connection is never reused
    record = session.traffic.records()[-1]
    assert record.status == 200 and record.error is None and record.response_text().encode() == body
    assert (record.input_tokens, record.output_tokens) == (3, 2)


async def test_an_interim_103_answer_is_skipped():
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    async with lane_to(numbered(lambda n: early + ok(f"after hints {n}"))) as (up, server, session):
        for n in range(2):
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", "/fx/v1/chat/completions",
                                         [*json_headers("openai-chat", session.token), ("Connection", "close")], b"{}"))
                raw = await asyncio.wait_for(reader.read(), WAIT)
            assert raw.startswith(b"HTTP/1.1 200 ") and b"103" not in raw.split(b"\r\n\r\n")[0]
            assert raw.endswith(chat_json(f"after hints {n}"))
        assert server.fast_lane.relayed == 2
    assert up.connections == 1


@pytest.mark.parametrize("chunked", [False, True])
async def test_gzip_bytes_are_relayed_untouched(chunked):
    payload = gzip.compress(chat_json("squeezed " * 100))
    if chunked:
        half = len(payload) // 2
        data = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%b\r\n%x\r\n%b\r\n0\r\n\r\n"
                % (half, payload[:half], len(payload) - half, payload[half:]))
    else:
        data = http_answer(200, payload, headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")])
    async with lane_to(lambda request: RawReply(data)) as (up, server, session):
        async with aiohttp.ClientSession(auto_decompress=False) as http:
            async with http.post(session.passthrough_url + "/v1/chat/completions", data=b"{}",
                                 headers={"Authorization": f"Bearer {session.token}", "Accept-Encoding": "gzip"}) as r:
                assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
                assert await r.read() == payload
        assert server.fast_lane.relayed == 1
    assert b"accept-encoding: gzip" in up.requests[0].head.lower()


async def test_bytes_past_the_end_of_an_answer_retire_the_connection():
    async with lane_to(numbered(lambda n: ok(f"n{n}") + (b"HTTP/1.1 200 OK\r\n" if n == 0 else b""))) as (up, _, s):
        async with aiohttp.ClientSession() as http:
            assert read_answer_text("openai-chat", (await chat(s, http))[1], False) == "n0"
            assert read_answer_text("openai-chat", (await chat(s, http))[1], False) == "n1"
    assert up.connections == 2


async def test_a_large_answer_to_a_slow_reader_arrives_intact():
    body = os.urandom(4 * 1024 * 1024)
    async with lane_to(lambda request: RawReply(http_answer(200, body, headers=[("Content-Type", "application/x")]))) \
            as (up, server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                     b"{}"))
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
            await asyncio.sleep(0.3)  # the proxy's send buffer fills: it must pause the upstream, not drop bytes
            got = await asyncio.wait_for(reader.readexactly(len(body)), WAIT)
    assert b"Content-Length: %d" % len(body) in head
    assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()


async def test_a_slow_reader_is_not_taken_for_a_silent_upstream():
    """The upstream is paused while the client's side is full; that wait is not the upstream's silence."""
    body = os.urandom(48 * 1024 * 1024)  # more than the sockets between here and the client hold
    reply = RawReply(http_answer(200, body, headers=[("Content-Type", "application/x")]))
    async with lane_to(lambda request: reply, params={"timeout": 0.3}) as (up, server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                     b"{}"))
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
            await asyncio.sleep(1.0)  # several read timeouts long
            got = await asyncio.wait_for(reader.readexactly(len(body)), WAIT)
        assert server.fast_lane.relayed == 1
    assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
    record = session.traffic.records()[-1]
    assert record.status == 200 and record.error is None


async def test_an_ipv6_upstream_gets_its_bracketed_host():
    try:
        up = await RawUpstream(lambda request: RawReply(ok("over v6")), host="::1").__aenter__()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        provider = UpstreamServer("openai-chat").provider("fx", api_base=up.origin + "/v1")
        async with proxy_for(provider) as (server, session), aiohttp.ClientSession() as http:
            status, raw = await asyncio.wait_for(chat(session, http), WAIT)
            assert server.fast_lane.relayed == 1
    finally:
        await up.__aexit__(None, None, None)
    assert status == 200 and read_answer_text("openai-chat", raw, False) == "over v6"
    assert f"host: [::1]:{up.port}\r\n".encode() in up.requests[0].head.lower()


# --- 8. HTTPS upstreams -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        if os.environ.get("CI"):
            pytest.fail("the openssl command is missing (needed in CI)")
        pytest.skip("no openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("passthrough", [True, False])
async def test_an_untrusted_https_upstream_is_502_cannot_connect(certificate, monkeypatch, passthrough):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    async with lane_to(lambda request: RawReply(ok("never")), ssl_context=server_context(certificate)) \
            as (up, server, session):
        async with aiohttp.ClientSession() as http:
            status, raw = await asyncio.wait_for(chat(session, http, passthrough=passthrough), WAIT)
        assert server.fast_lane.relayed == 1
    assert status == 502
    body = json.loads(raw)
    assert error_shape_ok("openai-chat", body, 502)
    assert "cannot connect" in body["error"]["message"]
    assert not up.requests


async def test_a_trusted_https_upstream_is_relayed_over_one_tls_connection(certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # before the proxy starts: its context reads it
    async with lane_to(numbered(lambda n: ok(f"secure {n}")), ssl_context=server_context(certificate)) \
            as (up, server, session):
        assert up.origin.startswith("https://")
        async with aiohttp.ClientSession() as http:
            for n in range(3):
                status, raw = await asyncio.wait_for(chat(session, http, passthrough=n != 1), WAIT)
                assert status == 200, raw
                assert read_answer_text("openai-chat", raw, False) == f"secure {n}"
        assert server.fast_lane.relayed == 3
    assert up.connections == 1
    assert session.traffic.records()[-1].upstream_url.startswith("https://127.0.0.1:")
