"""Hardening (issue 13, item 1): the proxy never follows an upstream redirect, on any route.

aiohttp's client follows a 307 by default and strips only ``Authorization`` on a host change, so a
provider key in ``x-api-key`` / ``x-goog-api-key`` and the request body went to whatever host the
redirect named. Each route here talks to a real upstream answering 307 towards a second real server
(on another loopback address); that server must see nothing, and the caller gets a 502 in its own
format naming the redirect's host."""

from __future__ import annotations

import json

import pytest

from proxy_client import auth_headers, error_shape_ok, post, proxy_for, request_body
from test_proxy_fastlane import WAIT, json_headers, next_answer, raw_connection, raw_request
from upstreams import RawReply, RawUpstream, UpstreamServer, http_answer

EVIL_HOST = "127.0.0.2"


class Redirecting:
    """An upstream answering every request with ``status`` towards a recording server on `EVIL_HOST`."""

    def __init__(self, status: int = 307):
        self.status = status
        self.evil = RawUpstream(lambda request: RawReply(http_answer(200, b"{}")), host=EVIL_HOST)
        self.up = RawUpstream(self._answer)

    def _answer(self, request):
        location = f"http://{EVIL_HOST}:{self.evil.port}/steal?key=x"
        return RawReply(http_answer(self.status, b"", headers=[("Location", location)]))

    async def __aenter__(self):
        await self.evil.__aenter__()
        await self.up.__aenter__()
        return self

    async def __aexit__(self, *exc):
        await self.up.__aexit__(*exc)
        await self.evil.__aexit__(*exc)

    def provider(self, protocol: str, path: str = ""):
        return UpstreamServer(protocol).provider("fx", api_base=self.up.origin + path)


def assert_refused(protocol: str, status: int, raw: bytes, redirecting: Redirecting) -> None:
    assert status == 502, raw
    body = json.loads(raw)
    assert error_shape_ok(protocol, body, 502), body
    assert EVIL_HOST in body["error"]["message"] and "redirect" in body["error"]["message"]
    assert "key=x" not in body["error"]["message"]
    assert redirecting.up.requests, "the upstream was asked"
    assert not redirecting.evil.requests, "the redirect was followed: the provider key went to another host"


@pytest.mark.parametrize("status", [301, 307, 308])
@pytest.mark.parametrize("stream", [False, True])
async def test_a_translated_request_is_not_sent_where_the_upstream_redirects(status, stream):
    async with Redirecting(status) as redirecting, \
            proxy_for(redirecting.provider("anthropic-messages")) as (server, session):
        answer = await post(session, "openai-chat", request_body("openai-chat", "hi", stream=stream), stream=stream)
        assert_refused("openai-chat", *answer, redirecting)
    record = session.traffic.records()[-1]
    assert record.status == 502 and not record.in_flight


async def test_a_token_count_is_not_sent_where_the_upstream_redirects():
    async with Redirecting() as redirecting, proxy_for(redirecting.provider("gemini")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            body = json.dumps(request_body("anthropic-messages", "count me")).encode()
            writer.write(raw_request("POST", "/v1/messages/count_tokens",
                                     json_headers("anthropic-messages", session.token), body))
            answer = await next_answer(reader)
        assert_refused("anthropic-messages", answer.status, answer.body, redirecting)


async def test_a_relay_through_aiohttp_answers_a_redirect_with_a_502():
    """An escaped query keeps the request off the fast lane: aiohttp's relay serves it."""
    async with Redirecting() as redirecting, proxy_for(redirecting.provider("gemini")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("GET", "/fx/v1beta/models?pageSize=%31", list(auth_headers("gemini", session.token).items())))
            answer = await next_answer(reader)
        assert server.fast_lane.relayed == 0
        assert_refused("gemini", answer.status, answer.body, redirecting)


@pytest.mark.parametrize("path", ["/fx/v1/chat/completions", "/v1/chat/completions"])
async def test_the_fast_lane_answers_a_redirect_with_a_502_and_keeps_serving(path):
    async with Redirecting(302) as redirecting, proxy_for(redirecting.provider("openai-chat", "/v1")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            body = json.dumps(request_body("openai-chat", "hi")).encode()
            for _ in range(2):  # the connection still serves after the refusal
                writer.write(raw_request("POST", path, json_headers("openai-chat", session.token), body))
                answer = await next_answer(reader)
                assert_refused("openai-chat", answer.status, answer.body, redirecting)
        assert server.fast_lane.relayed == 2
    assert [record.status for record in session.traffic.records()] == [502, 502]
