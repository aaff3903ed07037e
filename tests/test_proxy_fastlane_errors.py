"""Failures on the fast lane: every error in the caller's own format (as the aiohttp routes answer
them, see test_proxy_errors.py), streams broken mid-way, clients that go away, and stopping the
server while the lane relays."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json

import aiohttp
import pytest

import amux_tui.proxy.server as server_module
import amux_tui.proxy.sessions as sessions_module
from amux_tui.proxy.upstream import WHOLE_BODY_LIMIT
from proxy_client import PROTOCOLS, auth_headers, error_shape_ok, post, proxy_for, request_body, route, sse_events
from test_proxy_fastlane import (
    WAIT, chunked_body, comparable, json_headers, next_answer, passthrough_path, raw_connection, raw_request,
)
from upstreams import RawReply, RawUpstream, Reply, UpstreamServer, http_answer, refused_port


def _base(protocol: str, origin: str) -> str:
    return origin + ("/v1" if protocol.startswith("openai") else "")


async def _passthrough(session, protocol: str, body: dict, *, stream: bool = False) -> tuple[int, bytes, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(session.passthrough_url + passthrough_path(protocol, stream=stream), json=body,
                             headers=auth_headers(protocol, session.token)) as resp:
            return resp.status, await resp.read(), dict(resp.headers)


# --- 4. errors in the caller's format -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bad token", "unknown session", "good token"])
async def test_the_token_is_compared_once_per_request(monkeypatch, kind):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(sessions_module.hmac, "compare_digest", spy)
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        token = {"bad token": session.token[:-1] + "x", "unknown session": "amux-feedfeedfeedfeed-secret",
                 "good token": session.token}[kind]
        status, raw = await post(session, "openai-chat", request_body("openai-chat", "hi"), token=token)
        assert status == (200 if kind == "good token" else 401)
        assert len(calls) == 1
        pass_status, pass_raw, _ = await _passthrough(dataclasses.replace(session, token=token), "openai-chat",
                                                      request_body("openai-chat", "hi"))
        assert pass_status == status
        assert len(calls) == 2
        assert server.fast_lane.relayed == (2 if kind == "good token" else 0)
    if status == 401:
        assert error_shape_ok("openai-chat", json.loads(raw), 401)
        assert error_shape_ok("openai-chat", json.loads(pass_raw), 401)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'{"model": 5, "contents": []}'],
                         ids=["broken", "empty", "array", "model-not-string"])
async def test_a_malformed_body_on_a_lane_route_is_400_in_the_callers_format(protocol, body):
    if body.startswith(b'{"model": 5') and protocol == "gemini":
        body = b"\xff\xfe"  # Gemini names its model in the URL: bad UTF-8 instead
    async with UpstreamServer(protocol) as up, proxy_for(up.provider()) as (server, session):
        status, raw = await post(session, protocol, body)
        assert server.fast_lane.relayed == 1
    assert status == 400, raw
    assert error_shape_ok(protocol, json.loads(raw), 400)
    assert not up.requests
    record = session.traffic.records()[-1]
    assert record.status == 400 and record.error and not record.in_flight


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["route", "passthrough"])
async def test_an_upstream_that_is_down_is_502(protocol, kind):
    provider = UpstreamServer(protocol).provider("fx", api_base=_base(protocol, f"http://127.0.0.1:{refused_port()}"))
    async with proxy_for(provider) as (server, session):
        if kind == "route":
            status, raw = await asyncio.wait_for(post(session, protocol, request_body(protocol, "hi")), WAIT)
        else:
            status, raw, _ = await asyncio.wait_for(_passthrough(session, protocol, request_body(protocol, "hi")), WAIT)
        assert server.fast_lane.relayed == 1
    assert status == 502
    body = json.loads(raw)
    assert error_shape_ok(protocol, body, 502)
    assert "cannot connect" in body["error"]["message"]
    assert session.traffic.records()[-1].status == 502


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["route", "passthrough"])
async def test_a_silent_upstream_is_504_after_the_providers_timeout(protocol, kind):
    async with UpstreamServer(protocol, [Reply(hang=True)]) as up, \
            proxy_for(up.provider("fx"), params={"timeout": 0.3}) as (server, session):
        if kind == "route":
            status, raw = await asyncio.wait_for(post(session, protocol, request_body(protocol, "hi")), WAIT)
        else:
            status, raw, _ = await asyncio.wait_for(_passthrough(session, protocol, request_body(protocol, "hi")), WAIT)
        await up.wait_for_disconnects(1)  # the proxy hung up on it
        assert server.fast_lane.relayed == 1
    assert status == 504
    assert error_shape_ok(protocol, json.loads(raw), 504)
    record = session.traffic.records()[-1]
    assert record.status == 504 and "in time" in record.error


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["route", "passthrough"])
async def test_an_upstream_429_and_its_retry_after_are_relayed_untouched(protocol, kind):
    reply = Reply(status=429, error_message="slow down", headers=(("Retry-After", "7"),))
    async with UpstreamServer(protocol, [reply]) as up, proxy_for(up.provider("fx")) as (server, session):
        if kind == "route":
            async with aiohttp.ClientSession() as http, http.post(
                    route(session.base_url, protocol), json=request_body(protocol, "hi"),
                    headers=auth_headers(protocol, session.token)) as resp:
                status, raw, headers = resp.status, await resp.read(), dict(resp.headers)
        else:
            status, raw, headers = await _passthrough(session, protocol, request_body(protocol, "hi"))
        assert server.fast_lane.relayed == 1
        async with aiohttp.ClientSession() as http, http.post(
                up.root_url + passthrough_path(protocol), json=request_body(protocol, "hi"),
                headers=auth_headers(protocol, up.api_key)) as resp:
            direct = await resp.read()
    assert status == 429 and headers.get("Retry-After") == "7"
    assert raw == direct  # the provider's own error body, byte for byte
    assert error_shape_ok(protocol, json.loads(raw), 429)
    record = session.traffic.records()[-1]
    assert record.status == 429 and "slow down" in record.error


def ends_with_error_event(protocol: str, raw: bytes) -> bool:
    events = sse_events(raw)
    if protocol == "openai-chat":
        assert events[-1][1] == "[DONE]", raw[-300:]
        events = events[:-1]
    name, data = events[-1]
    if protocol == "anthropic-messages":
        return name == "error" and data["type"] == "error" and bool(data["error"]["message"])
    if protocol == "openai-responses":
        return name == "error" and data["type"] == "error" and bool(data["message"])
    return isinstance(data, dict) and bool(data["error"]["message"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["route", "passthrough"])
async def test_a_stream_cut_mid_way_ends_with_the_protocols_error_event(protocol, kind):
    reply = Reply(text="one two three four five six", cut_after=3)
    async with UpstreamServer(protocol, [reply, Reply(text="again")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        body = request_body(protocol, "hi", stream=True)
        if kind == "route":
            status, raw = await asyncio.wait_for(post(session, protocol, body, stream=True), WAIT)
        else:
            status, raw, _ = await asyncio.wait_for(_passthrough(session, protocol, body, stream=True), WAIT)
        assert status == 200
        assert ends_with_error_event(protocol, raw), raw.decode()[-400:]
        record = session.traffic.records()[-1]
        assert record.error and "closed the connection" in record.error and not record.in_flight
        assert record.response_text().encode() == raw  # the record holds what the client got
        again, _ = await asyncio.wait_for(post(session, protocol, request_body(protocol, "hi")), WAIT)
        assert again == 200  # still serving
        assert server.fast_lane.relayed == 2


def _cut_answer(framing: str) -> bytes:
    """An upstream answer cut mid-body, framed as named."""
    body = json.dumps({"id": "x", "choices": [{"message": {"content": "y" * 200}}]}).encode()
    if framing == "length":
        return http_answer(200, body, headers=[("Content-Type", "application/json")])[:-100]
    if framing == "long length":  # past the size held until complete: streamed as it comes
        return http_answer(200, b"y" * (WHOLE_BODY_LIMIT + 1), headers=[("Content-Type", "application/x")])[:-100]
    if framing == "chunked":
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"%x\r\n%b\r\n" % (60, body[:60]))
    return http_answer(200, b"data: {}\n\n" * 20, headers=[("Content-Type", "text/event-stream")])[:-50]


@pytest.mark.parametrize("framing,outcome", [
    ("length", "502"),  # held until complete: a clean error, as aiohttp reads such answers whole
    ("long length", "cut"), ("chunked", "cut"),  # the head went out: only a cut can say it failed
    ("event stream with a length", "error event"),  # streams always go out chunked, so an event can end them
])
async def test_an_answer_cut_mid_body_is_an_error_or_a_cut_as_on_aiohttp(framing, outcome):
    data = _cut_answer(framing)
    async with RawUpstream(lambda request: RawReply(data, close=True)) as up, \
            proxy_for(UpstreamServer("openai-chat").provider("fx", api_base=up.origin + "/v1")) as (server, session):
        seen = []
        for chunked in (False, True):  # the lane, then aiohttp
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                         b"{}", chunked=chunked))
                if framing == "long length":
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
                    rest = await asyncio.wait_for(reader.read(), WAIT)  # until the proxy cuts the connection
                    seen.append((int(head.split()[1]), len(rest) < WHOLE_BODY_LIMIT + 1, b""))
                else:
                    answer = await next_answer(reader)
                    seen.append((answer.status, not answer.complete, answer.body))
        assert server.fast_lane.relayed == 1
    lane_record, aiohttp_record = session.traffic.records()
    assert comparable(lane_record) == comparable(aiohttp_record)
    assert lane_record.error and not lane_record.in_flight
    for status, cut, body in seen:
        if outcome == "502":
            assert status == 502 and not cut
            assert error_shape_ok("openai-chat", json.loads(body), 502)
        elif outcome == "cut":
            assert status == 200 and cut
        else:
            assert status == 200 and not cut and ends_with_error_event("openai-chat", body)


def _error_cases():
    for protocol in PROTOCOLS:
        for case in ("upstream down", "upstream silent", "malformed body", "stream cut"):
            for kind in ("route", "passthrough"):
                yield pytest.param(protocol, case, kind, id=f"{protocol}-{case}-{kind}")


@pytest.mark.parametrize("protocol,case,kind", list(_error_cases()))
async def test_a_lane_failure_is_recorded_as_aiohttp_records_it(protocol, case, kind):
    script = {"upstream silent": [Reply(hang=True)],
              "stream cut": [Reply(text="one two three four five six", cut_after=3)]}.get(case, [Reply(text="x")])
    stream = case == "stream cut"
    async with UpstreamServer(protocol, script) as up:
        provider = up.provider("fx")
        if case == "upstream down":
            provider = up.provider("fx", api_base=_base(protocol, f"http://127.0.0.1:{refused_port()}"))
        # Only the silent upstream needs a short read timeout; on a loaded machine a first answer can take longer.
        params = {"timeout": 0.3} if case == "upstream silent" else {}
        async with proxy_for(provider, params=params) as (server, session):
            body = json.dumps(request_body(protocol, "hi", stream=stream)).encode()
            if case == "malformed body":
                body = b"{broken"
            url = (route(session.base_url, protocol, stream=stream) if kind == "route"
                   else session.passthrough_url + passthrough_path(protocol, stream=stream))
            answers = []
            async with aiohttp.ClientSession() as http:
                for data in (body, chunked_body(body)):  # the chunked one is aiohttp's
                    async with http.post(url, data=data, headers=dict(json_headers(protocol, session.token))) as resp:
                        answers.append((resp.status, await asyncio.wait_for(resp.read(), WAIT)))
            assert server.fast_lane.relayed == 1
    lane, aio = session.traffic.records()
    assert answers[0][0] == answers[1][0]
    assert comparable(lane) == comparable(aio)


# --- 6. a client that goes away -------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["route", "passthrough"])
@pytest.mark.parametrize("when", ["mid-stream", "before the answer"])
async def test_a_client_that_goes_away_closes_the_upstream_and_is_recorded_499(protocol, kind, when):
    reply = Reply(text="a b c d e f g h", stall_after=3) if when == "mid-stream" else Reply(hang=True)
    async with UpstreamServer(protocol, [reply, Reply(text="next")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        body = json.dumps(request_body(protocol, "hi", stream=True)).encode()
        if kind == "route":
            target = route(session.base_url, protocol, stream=True).removeprefix(session.base_url)
        else:
            target = "/fx" + passthrough_path(protocol, stream=True)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", target, json_headers(protocol, session.token), body))
            if when == "mid-stream":
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)  # the head came: the stream runs
                await asyncio.wait_for(reader.read(1), WAIT)
            else:
                await up.wait_for_requests(1)
        await up.wait_for_disconnects(1, timeout=WAIT)
        async with asyncio.timeout(WAIT):
            while session.traffic.in_flight:
                await asyncio.sleep(0.01)
        record = session.traffic.records()[-1]
        assert record.status == 499 and record.error == "the client went away"
        status, raw = await asyncio.wait_for(post(session, protocol, request_body(protocol, "hi")), WAIT)
        assert status == 200  # still serving
        assert server.fast_lane.relayed == 2


# --- 7. stopping the server while the lane relays ---------------------------------------------------


async def test_stop_ends_a_stalled_lane_stream_within_the_grace_and_closes_everything(monkeypatch):
    monkeypatch.setattr(server_module, "SHUTDOWN_GRACE", 0.3)
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"%x\r\n%b\r\n" % (len(b"data: {}\n\n"), b"data: {}\n\n"))
    async with RawUpstream(lambda request: RawReply(head, hang=True)) as up:
        provider = UpstreamServer("openai-chat").provider("fx", api_base=up.origin + "/v1")
        server = server_module.ProxyServer()
        await server.start()
        stopped = False
        try:
            session = server.register_session(provider, "fixture-model")
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                         b"{}"))
                await asyncio.wait_for(reader.readuntil(b"data: {}\n\n"), WAIT)
                idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", server.port)
                await asyncio.wait_for(server.stop(), WAIT)  # bounded: the grace, then connections close
                stopped = True
                rest = await asyncio.wait_for(reader.read(), WAIT)  # reaches EOF
                assert not rest.endswith(b"0\r\n\r\n")  # cut, not ended as if complete
                assert await asyncio.wait_for(idle_reader.read(), WAIT) == b""
                idle_writer.close()
        finally:
            if not stopped:
                await server.stop()
        await up.wait_for(lambda: up.closed_by_client == up.connections == 1, WAIT)
        async with asyncio.timeout(WAIT):
            while session.traffic.in_flight:
                await asyncio.sleep(0.01)
        assert session.traffic.records()[-1].status == 499
        assert server.fast_lane.relayed == 1
        with pytest.raises(OSError):
            await asyncio.wait_for(asyncio.open_connection("127.0.0.1", server.port), WAIT)


async def test_stop_lets_a_lane_stream_finish_within_the_grace():
    reply = Reply(text="one two three four five six", delay=0.05)
    async with UpstreamServer("openai-chat", [reply]) as up:
        server = server_module.ProxyServer()
        await server.start()
        try:
            session = server.register_session(up.provider("fx"), "fixture-model")
            body = json.dumps(request_body("openai-chat", "hi", stream=True)).encode()
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                         body))
                answer_task = asyncio.ensure_future(next_answer(reader))
                await up.wait_for_requests(1)
                await asyncio.sleep(0.1)
                await asyncio.wait_for(server.stop(), WAIT)
                answer = await answer_task
            assert server.fast_lane.relayed == 1
        finally:
            await server.stop()
    assert answer.complete
    text = "".join(choice["delta"].get("content") or "" for _, data in sse_events(answer.body) if data != "[DONE]"
                   for choice in data["choices"])
    assert text == "one two three four five six"
    assert session.traffic.records()[-1].status == 200 and not session.traffic.records()[-1].error


async def test_a_client_that_hangs_up_mid_upload_is_recorded_as_aiohttp_records_it():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        body = json.dumps(request_body("openai-chat", "hi" * 1000)).encode()
        for chunked in (False, True):  # the lane, then aiohttp
            async with raw_connection(server) as (reader, writer):
                data = raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token), body,
                                   chunked=chunked)
                writer.write(data[:-500])
                await writer.drain()
                await asyncio.sleep(0.1)  # the head is read: each side knows where the request goes
                writer.transport.abort()
        with contextlib.suppress(TimeoutError):  # bounded: a missing record fails below
            async with asyncio.timeout(2):
                while len(session.traffic.records()) < 2 or session.traffic.in_flight:
                    await asyncio.sleep(0.01)
        assert not up.requests
    assert [(record.status, record.error) for record in session.traffic.records()] == \
        [(499, "the client went away")] * 2
