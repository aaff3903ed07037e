"""Upstream failures become well-formed errors of the caller's protocol: statuses, unreachable and
slow upstreams, streams broken mid-way, and clients that hang up."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct

import aiohttp
import pytest

from proxy_client import PAIRS, PROTOCOLS, auth_headers, error_shape_ok, post, proxy_for, request_body, route, sse_events
from upstreams import Reply, UpstreamServer, refused_port

STATUSES = [400, 401, 403, 404, 413, 429, 500, 502, 503, 529]


def _message(protocol: str, raw: bytes) -> str:
    return json.loads(raw)["error"]["message"]


@pytest.mark.parametrize("inbound,upstream", PAIRS)
@pytest.mark.parametrize("status", STATUSES)
async def test_upstream_status_keeps_status_and_message(inbound, upstream, status):
    async with UpstreamServer(upstream, [Reply.error(status, f"provider says {status}")]) as up, \
            proxy_for(up.provider()) as (_, session):
        got, raw = await post(session, inbound, request_body(inbound, "hi"))
    assert got == status
    assert error_shape_ok(inbound, json.loads(raw), status)
    assert f"provider says {status}" in _message(inbound, raw)
    record = session.traffic.records()[-1]
    assert record.status == status and not record.in_flight


@pytest.mark.parametrize("inbound,upstream", PAIRS)
async def test_connection_refused_is_502(inbound, upstream):
    provider = UpstreamServer(upstream).provider()
    base = f"http://127.0.0.1:{refused_port()}" + ("/v1" if upstream.startswith("openai") else "")
    async with proxy_for(provider.__class__(**{**provider.__dict__, "api_base": base})) as (_, session):
        got, raw = await post(session, inbound, request_body(inbound, "hi"))
    assert got == 502
    assert error_shape_ok(inbound, json.loads(raw), 502)
    assert "cannot connect" in _message(inbound, raw)


@pytest.mark.parametrize("inbound,upstream", PAIRS)
async def test_upstream_timeout_is_504(inbound, upstream):
    async with UpstreamServer(upstream, [Reply(hang=True)]) as up, \
            proxy_for(up.provider(), params={"timeout": 0.3}) as (_, session):
        got, raw = await asyncio.wait_for(post(session, inbound, request_body(inbound, "hi")), 10)
        await up.wait_for_disconnects(1)
    assert got == 504
    assert error_shape_ok(inbound, json.loads(raw), 504)


def _ends_with_error_event(protocol: str, raw: bytes) -> bool:
    events = [event for event in sse_events(raw) if event[1] != "[DONE]"]
    assert events, raw
    name, data = events[-1]
    if protocol == "anthropic-messages":
        return name == "error" and data["type"] == "error" and data["error"]["message"]
    if protocol == "openai-responses":
        return name in ("error", "response.failed")
    return isinstance(data, dict) and "error" in data


@pytest.mark.parametrize("inbound,upstream", PAIRS)
@pytest.mark.parametrize("failure", ["cut", "stall"])
async def test_mid_stream_failure_ends_with_the_protocols_error_event(inbound, upstream, failure):
    reply = (Reply(text="one two three four five six", cut_after=4) if failure == "cut"
             else Reply(text="one two three four five six", stall_after=4))
    async with UpstreamServer(upstream, [reply]) as up, \
            proxy_for(up.provider(), params={"timeout": 0.5}) as (_, session):
        got, raw = await asyncio.wait_for(post(session, inbound, request_body(inbound, "hi", stream=True),
                                               stream=True), 10)
    assert got == 200
    assert _ends_with_error_event(inbound, raw), raw.decode()[-400:]
    record = session.traffic.records()[-1]
    assert record.error and not record.in_flight


@pytest.mark.parametrize("inbound,upstream", PAIRS)
async def test_client_disconnect_cancels_the_upstream_request(inbound, upstream):
    async with UpstreamServer(upstream, [Reply(text="a b c d e f g h", stall_after=3)]) as up, \
            proxy_for(up.provider()) as (_, session):
        async with aiohttp.ClientSession() as http:
            resp = await http.post(route(session.base_url, inbound, stream=True),
                                   json=request_body(inbound, "hi", stream=True),
                                   headers=auth_headers(inbound, session.token))
            assert resp.status == 200
            resp.close()  # hang up mid-stream
        await up.wait_for_disconnects(1, timeout=5)
        for _ in range(100):
            if not session.traffic.records()[-1].in_flight:
                break
            await asyncio.sleep(0.02)
        assert session.traffic.in_flight == 0
        assert session.traffic.records()[-1].status == 499


async def test_client_disconnect_before_the_upstream_answers():
    async with UpstreamServer("anthropic-messages", [Reply(hang=True)]) as up, proxy_for(up.provider()) as (_, s):
        task = asyncio.ensure_future(post(s, "anthropic-messages", request_body("anthropic-messages", "hi")))
        await up.wait_for_requests(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await up.wait_for_disconnects(1, timeout=5)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_unknown_routes_and_methods_answer_in_a_protocol_format(protocol):
    async with UpstreamServer(protocol) as up, proxy_for(up.provider()) as (_, session):
        headers = auth_headers(protocol, session.token)
        async with aiohttp.ClientSession() as http:
            # GET on a POST route falls through to the passthrough catch-all: no provider "v1".
            async with http.get(f"{session.base_url}/v1/messages", headers=headers) as r:
                assert r.status == 404
                assert error_shape_ok(protocol, await r.json(), 404)
            async with http.post(f"{session.base_url}/nothing", headers=headers) as r:
                assert r.status == 404
                assert error_shape_ok(protocol, await r.json(), 404)
            async with http.post(f"{session.base_url}/v1beta/models/no-method", headers=headers) as r:
                assert r.status == 404
                assert error_shape_ok("gemini", await r.json(), 404)
    assert not up.requests


@pytest.mark.parametrize("inbound,upstream", PAIRS)
async def test_retry_after_reaches_the_caller(inbound, upstream):
    reply = Reply(status=429, error_message="slow down", headers=(("Retry-After", "7"),))
    async with UpstreamServer(upstream, [reply]) as up, proxy_for(up.provider()) as (_, session):
        async with aiohttp.ClientSession() as http, http.post(
                route(session.base_url, inbound), json=request_body(inbound, "hi"),
                headers=auth_headers(inbound, session.token)) as resp:
            assert resp.status == 429
            assert resp.headers.get("Retry-After") == "7"
            assert error_shape_ok(inbound, await resp.json(), 429)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_bug_is_a_500_in_the_callers_format_without_traceback_or_secrets(protocol, monkeypatch, caplog):
    from amux_tui.proxy import exchange
    from amux_tui.proxy.fastlane import lane

    async with UpstreamServer(protocol) as up, proxy_for(up.provider()) as (_, session):
        secret = session.token

        def broken(*args, **kwargs):
            raise RuntimeError(f"boom with {secret} and {up.api_key}")

        # Same-protocol requests are relayed by the fast lane; the aiohttp route builds them the same way.
        monkeypatch.setattr(lane, "same_protocol_request", broken)
        monkeypatch.setattr(exchange, "same_protocol_request", broken)
        status, raw = await post(session, protocol, request_body(protocol, "hi"))
        assert status == 500
        body = json.loads(raw)
        assert error_shape_ok(protocol, body, 500)
        assert "Traceback" not in raw.decode() and secret not in raw.decode() and "boom" not in raw.decode()
        monkeypatch.undo()
        status, _ = await post(session, protocol, request_body(protocol, "hi"))
        assert status == 200  # still serving
    logged = caplog.text
    assert "RuntimeError" in logged and "[redacted]" in logged
    assert secret.split("-", 2)[2] not in logged and up.api_key not in logged
    assert session.traffic.records()[0].status == 500


async def _closing_server(answer_on: set[int], *, reset: bool = False) -> tuple[asyncio.AbstractServer, list[int]]:
    """A raw HTTP server that hangs up without answering (with a reset when ``reset``), except on the
    connection numbers in ``answer_on`` (0-based), which get a chat completion: what a keep-alive
    timeout looks like."""
    seen: list[int] = []
    body = json.dumps({"id": "x", "object": "chat.completion", "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "second try"}, "finish_reason": "stop"}]}).encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = len(seen)
        seen.append(number)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
        await reader.readexactly(length)
        if number in answer_on:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
        elif reset:
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, seen


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
@pytest.mark.parametrize("answer_on,expected", [({1}, 200), (set(), 502)])
async def test_a_connection_closed_before_the_answer_is_retried_once(answer_on, expected, reset):
    server, seen = await _closing_server(answer_on, reset=reset)
    port = server.sockets[0].getsockname()[1]
    provider = UpstreamServer("openai-chat").provider(api_base=f"http://127.0.0.1:{port}/v1")
    try:
        async with proxy_for(provider) as (_, session):
            status, raw = await post(session, "anthropic-messages", request_body("anthropic-messages", "hi"))
    finally:
        server.close()
        await server.wait_closed()
    assert status == expected, raw
    assert len(seen) == 2  # one retry, never more
    if expected == 200:
        assert json.loads(raw)["content"][0]["text"] == "second try"
    else:
        assert error_shape_ok("anthropic-messages", json.loads(raw), 502)


async def test_oversized_body_is_413_and_recorded_as_413(monkeypatch):
    import amux_tui.proxy.app as proxy_app

    monkeypatch.setattr(proxy_app, "MAX_REQUEST_BYTES", 1024)
    async with UpstreamServer("openai-chat", [Reply(text="never")]) as up, proxy_for(up.provider()) as (_, session):
        body = request_body("openai-chat", "x" * 4096)
        status, raw = await post(session, "openai-chat", body)
        assert status == 413, raw[:300]
        assert not up.requests
        records = session.traffic.records()
        assert [record.status for record in records] == [413]
