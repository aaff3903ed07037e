"""Fuzzed bodies and headers on every route: the proxy answers a 4xx in the caller's format (or
a success), never a 500 of its own, and keeps serving.

The proxy and fixture upstreams run in their own event loop in a helper thread (hypothesis
drives synchronous tests); requests go over real HTTP with httpx.
"""

from __future__ import annotations

import asyncio
import json
import string
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amux_tui.proxy.server import ProxyServer
from proxy_client import PROTOCOLS, error_shape_ok, request_body
from upstreams import Reply, UpstreamServer

ROUTES = [
    ("anthropic-messages", "POST", "/v1/messages?beta=true"),
    ("anthropic-messages", "POST", "/v1/messages/count_tokens"),
    ("openai-chat", "POST", "/v1/chat/completions"),
    ("openai-chat", "POST", "/chat/completions"),
    ("openai-chat", "GET", "/v1/models"),
    ("openai-responses", "POST", "/v1/responses"),
    ("openai-responses", "POST", "/responses"),
    ("gemini", "POST", "/v1beta/models/m:generateContent"),
    ("gemini", "POST", "/v1beta/models/m:streamGenerateContent?alt=sse"),
    ("gemini", "POST", "/v1beta/models/m:countTokens"),
    ("gemini", "GET", "/v1beta/models"),
]


class Running:
    """Fixture upstreams (one per protocol) and a proxy with one session each, in a thread's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sessions: dict[str, Any] = {}

    def __enter__(self) -> Running:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _start(self) -> None:
        self.upstreams = [UpstreamServer(p, [Reply(text="fine", thinking="hm")], token_count=5) for p in PROTOCOLS]
        for up in self.upstreams:
            await up.start()
        self.server = ProxyServer()
        await self.server.start()
        for up in self.upstreams:
            self.sessions[up.protocol] = self.server.register_session(up.provider(f"p-{up.protocol}"), "m")

    async def _stop(self) -> None:
        await self.server.stop()
        for up in self.upstreams:
            await up.stop()


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    with Running() as env:
        yield env


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20, trust_env=False) as client:
        yield client


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False),
                      st.text(max_size=20))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
FIELDS = ["model", "messages", "stream", "tools", "system", "max_tokens", "input", "contents", "tool_choice",
          "systemInstruction", "generationConfig", "instructions", "stream_options", "thinking", "reasoning",
          "temperature", "generateContentRequest", "role", "content", "parts", "type", "text"]


@st.composite
def bodies(draw, protocol: str) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "mutated", "deep"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_value)).encode()
    base = request_body(protocol, draw(st.text(max_size=30)), stream=draw(st.booleans()))
    if kind == "deep":
        # Replace something nested inside the first message / item / content.
        holder = next(iter(v for v in base.values() if isinstance(v, list)))
        if holder and isinstance(holder[0], dict):
            holder[0][draw(st.sampled_from(FIELDS))] = draw(json_value)
        return json.dumps(base).encode()
    for _ in range(draw(st.integers(1, 3))):
        base[draw(st.sampled_from(FIELDS))] = draw(json_value)
    return json.dumps(base).encode()


header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True).filter(
    lambda n: n.lower() not in {"content-length", "transfer-encoding", "host", "connection", "authorization",
                                "x-api-key", "x-goog-api-key", "api-key", "expect", "upgrade", "te", "trailer",
                                "keep-alive", "content-encoding"})
header_values = st.text(alphabet=string.ascii_letters + string.digits + " -_.,;=/:", max_size=40).map(str.strip)


def _check(protocol: str, response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert error_shape_ok(protocol, body, response.status_code), body
        assert "Traceback" not in response.text


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzzed_bodies_never_cause_a_server_error(running, http, data):
    protocol, method, path = data.draw(st.sampled_from(ROUTES))
    upstream = data.draw(st.sampled_from(PROTOCOLS))
    session = running.sessions[upstream]
    body = data.draw(bodies(protocol)) if method == "POST" else b""
    headers = {"Content-Type": data.draw(st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])),
               "x-api-key": session.token, "anthropic-version": "2023-06-01"}
    response = http.request(method, session.base_url + path, content=body, headers=headers)
    _check(protocol, response)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzzed_headers_and_credentials(running, http, data):
    protocol, method, path = data.draw(st.sampled_from(ROUTES))
    session = running.sessions[data.draw(st.sampled_from(PROTOCOLS))]
    headers = data.draw(st.dictionaries(header_names, header_values, max_size=6))
    credential = data.draw(st.sampled_from(["good", "none", "garbage", "other-prefix"]))
    value = {"good": session.token, "none": None, "garbage": data.draw(header_values),
             "other-prefix": "amux-" + data.draw(header_values)}[credential]
    style = data.draw(st.sampled_from(["x-api-key", "authorization", "x-goog-api-key", "query"]))
    params = {}
    if value is not None:
        if style == "query":
            params["key"] = value
        elif style == "authorization":
            headers["Authorization"] = (data.draw(st.sampled_from(["Bearer ", "bearer ", "Basic ", ""])) + value).strip()
        else:
            headers[style] = value
    body = json.dumps(request_body(protocol, "hi")).encode() if method == "POST" else b""
    response = http.request(method, session.base_url + path.partition("?")[0], params=params or None,
                            content=body, headers=headers)
    _check(protocol, response)
    if credential != "good" or (style == "authorization" and not headers["Authorization"].lower().startswith("bearer ")):
        assert response.status_code == 401


def test_still_serving_after_the_fuzzing(running, http):
    session = running.sessions["openai-chat"]
    response = http.post(session.base_url + "/v1/chat/completions", json=request_body("openai-chat", "hi"),
                         headers={"Authorization": f"Bearer {session.token}"})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "fine"
