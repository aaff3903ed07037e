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
    PROTOCOLS, auth_headers, error_shape_ok, post, proxy_for, read_answer_text, request_body, route,
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


async def test_a_gemini_token_in_the_query_is_taken_by_the_lane_and_never_sent_on():
    async with UpstreamServer("gemini", [Reply(text="query key")]) as up, proxy_for(up.provider("fx")) as (server, s):
        async with aiohttp.ClientSession() as http:
            for url in (f"{s.base_url}/v1beta/models/fixture-model:streamGenerateContent?alt=sse&key={s.token}",
                        f"{s.passthrough_url}/v1beta/models/fixture-model:streamGenerateContent?alt=sse&key={s.token}"):
                async with http.post(url, json=request_body("gemini", "hi")) as resp:
                    assert resp.status == 200
                    assert read_answer_text("gemini", await resp.read(), True) == "query key"
        assert server.fast_lane.relayed == 2
    for sent in up.requests:
        assert sent.query == {"alt": "sse"} and sent.headers["x-goog-api-key"] == up.api_key
    for record in s.traffic.records():
        assert "key=[redacted]" in record.route and s.token not in record.route + record.upstream_url


async def test_a_revoked_token_is_refused_on_a_connection_kept_open():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        body = json.dumps(request_body("openai-chat", "hi")).encode()
        headers = json_headers("openai-chat", session.token)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", "/fx/v1/chat/completions", headers, body))
            assert (await next_answer(reader)).status == 200
            server.unregister_session(session.session_id)
            writer.write(raw_request("POST", "/fx/v1/chat/completions", headers, body))
            refused = await next_answer(reader)
        assert server.fast_lane.relayed == 1
    assert refused.status == 401 and error_shape_ok("openai-chat", json.loads(refused.body), 401)
    assert len(up.requests) == 1


@pytest.mark.parametrize("case", ["another provider's name", "provider reached through LiteLLM"])
async def test_passthrough_the_lane_cannot_serve_gets_aiohttps_404(case):
    async with UpstreamServer("openai-chat") as up:
        provider = up.provider("fx", api_formats=()) if "LiteLLM" in case else up.provider("fx")
        async with proxy_for(provider) as (server, session):
            async with aiohttp.ClientSession() as http:
                path = "/other/v1/chat/completions" if "another" in case else "/fx/v1/chat/completions"
                async with http.post(session.base_url + path, json=request_body("openai-chat", "hi"),
                                     headers=auth_headers("openai-chat", session.token)) as resp:
                    assert resp.status == 404
                    assert error_shape_ok("openai-chat", await resp.json(), 404)
            assert server.fast_lane.relayed == 0
    assert not up.requests


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


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", ["route", "passthrough", "unknown session"])
async def test_a_bad_token_gets_the_same_401_from_the_lane_as_from_aiohttp(protocol, kind):
    async with UpstreamServer(protocol) as up, proxy_for(up.provider("fx")) as (server, session):
        token = session.token[:-2] + "xx" if kind != "unknown session" else "amux-0000000000000000-nope"
        if kind == "route":
            path = route(session.base_url, protocol).removeprefix(session.base_url)
        else:
            path = "/fx" + passthrough_path(protocol)
        headers = json_headers(protocol, token)
        body = json.dumps(request_body(protocol, "hi")).encode()
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", path, headers, body))
            lane = await next_answer(reader)
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", path, headers, body, chunked=True))
            aio = await next_answer(reader)
        assert server.fast_lane.relayed == 0
    assert lane.status == aio.status == 401
    assert json.loads(lane.body) == json.loads(aio.body)
    assert error_shape_ok(protocol, json.loads(lane.body), 401)
    assert lane.header("Content-Type").startswith("application/json")
    assert not lane.keep_alive and not aio.keep_alive  # no token, no keep-alive (issue 13: connection floods)
    assert not up.requests and not session.traffic.records()


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


@pytest.mark.parametrize("path", ["/fx/v1/../chat/completions", "/fx/./v1/chat/completions",
                                  "/fx//v1/chat/completions", "/fx/v1/chat/completions/.."])
async def test_dot_segments_reach_the_upstream_as_aiohttp_sends_them(path):
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        body = json.dumps(request_body("openai-chat", "hi")).encode()
        headers = json_headers("openai-chat", session.token)
        statuses = []
        for chunked in (False, True):
            async with raw_connection(server) as (reader, writer):
                writer.write(raw_request("POST", path, headers, body, chunked=chunked))
                statuses.append((await next_answer(reader)).status)
    assert statuses[0] == statuses[1]
    lane, aio = up.requests
    assert lane.path == aio.path
