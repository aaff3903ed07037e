"""Session tokens: every harness's key style works, anything else is a 401 in the caller's format,
and no session's token reaches another session."""

from __future__ import annotations

import hmac
import json

import aiohttp
import pytest

from amux_tui.proxy import sessions as sessions_module
from amux_tui.proxy.server import NotLoopbackError, ProxyServer
from proxy_client import PROTOCOLS, error_shape_ok, post, proxy_for, request_body, route
from upstreams import Reply, UpstreamServer


@pytest.mark.parametrize("style", ["x-api-key", "bearer", "x-goog-api-key", "query"])
async def test_each_key_style_is_accepted(style):
    async with UpstreamServer("openai-chat", [Reply(text="hello")]) as up, proxy_for(up.provider()) as (_, session):
        url = route(session.base_url, "openai-chat")
        headers = {"x-api-key": {"x-api-key": session.token}, "bearer": {"Authorization": f"Bearer {session.token}"},
                   "x-goog-api-key": {"x-goog-api-key": session.token}, "query": {}}[style]
        if style == "query":
            url += f"?key={session.token}"
        async with aiohttp.ClientSession() as http, \
                http.post(url, json=request_body("openai-chat", "hi"), headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["choices"][0]["message"]["content"] == "hello"
        # The upstream got the provider's key, never the session token.
        received = up.requests[0]
        assert received.headers["authorization"] == f"Bearer {up.api_key}"
        assert session.token not in json.dumps(received.headers) + json.dumps(received.query)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("token", [None, "", "amux-nope-nope", "sk-real-looking-key"])
async def test_missing_or_wrong_token_is_401_in_the_callers_format(protocol, token):
    async with UpstreamServer(protocol) as up, proxy_for(up.provider()) as (_, session):
        bad = "" if token is None else token
        status, raw = await post(session, protocol, request_body(protocol, "hi"), token=bad)
        assert status == 401
        assert error_shape_ok(protocol, json.loads(raw), 401)
        assert not up.requests


async def test_a_session_token_cannot_reach_another_session():
    async with UpstreamServer("anthropic-messages", [Reply(text="for A")]) as up_a, \
            UpstreamServer("openai-chat", [Reply(text="for B")]) as up_b, ProxyServer() as server:
        a = server.register_session(up_a.provider("prov-a"), "model-a")
        b = server.register_session(up_b.provider("prov-b"), "model-b")
        # A's token on A's passthrough route works; on B's provider route it is A's session that answers.
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{a.base_url}/prov-b/v1/chat/completions", headers={"x-api-key": a.token},
                                 json=request_body("openai-chat", "hi")) as resp:
                assert resp.status == 404
                assert "prov-a" in (await resp.text())
            # A token with B's id but A's secret is refused.
            forged = f"amux-{b.session_id}-{a.token.split('-', 2)[2]}"
            status, _ = await post(b, "openai-chat", request_body("openai-chat", "hi"), token=forged)
            assert status == 401
        assert not up_b.requests
        # Each session's traffic holds only its own requests.
        status, _ = await post(a, "anthropic-messages", request_body("anthropic-messages", "hi"))
        assert status == 200
        assert len(a.traffic.records()) == 1 and not b.traffic.records()


async def test_unregistered_session_token_stops_working():
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider()) as (server, session):
        status, _ = await post(session, "openai-chat", request_body("openai-chat", "hi"))
        assert status == 200
        status, _ = await post(session, "openai-chat", request_body("openai-chat", "again"))
        assert status == 200  # session-scoped, not single-use
        assert server.unregister_session(session.session_id)
        status, _ = await post(session, "openai-chat", request_body("openai-chat", "hi"))
        assert status == 401


async def test_tokens_are_long_random_and_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(sessions_module.hmac, "compare_digest", spy)
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider()) as (server, session):
        other = server.register_session(up.provider(), "m")
        assert session.token != other.token
        secret = session.token.split("-", 2)[2]
        assert len(secret) >= 43  # token_urlsafe(32): 256 bits
        await post(session, "openai-chat", request_body("openai-chat", "hi"), token=session.token[:-1] + "x")
        await post(session, "openai-chat", request_body("openai-chat", "hi"), token="amux-unknown-secret")
    assert len(calls) == 2  # an unknown session id is compared too (against a dummy)


def test_registering_before_start_is_an_error():
    with pytest.raises(RuntimeError):
        ProxyServer().register_session(UpstreamServer("openai-chat").provider(), "m")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_hosts_are_refused(host):
    with pytest.raises(NotLoopbackError, match="loopback"):
        ProxyServer(host=host)


async def test_registration_iterates_as_base_url_and_token():
    async with UpstreamServer("openai-chat") as up, ProxyServer(host="localhost") as server:
        registration = server.register_session(up.provider(), "m", label="pane 1")
        base_url, token = registration
        assert base_url == registration.base_url and base_url.startswith("http://127.0.0.1:")
        assert token == registration.token and token.startswith("amux-")
        assert registration.openai_base_url == base_url + "/v1"
        assert server.session(registration.session_id).label == "pane 1"
