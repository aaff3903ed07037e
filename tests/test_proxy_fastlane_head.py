"""The fast lane's request-head reader (``fastlane/head.py``): it takes only the plain case, and
whatever it takes, llhttp (the parser family aiohttp uses) reads the same way. Random heads sent to a
running proxy never get a 500 and never hang the connection."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import httptools
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from amux_tui.proxy.fastlane.head import HEADER_LIMIT, LINE_LIMIT, RELAYED_METHODS, read_request_head
from amux_tui.proxy.server import ProxyServer
from proxy_client import request_body
from upstreams import Reply, UpstreamServer, read_http_answer

MAX_BODY = 1 << 20


def parse(data: bytes, max_body: int = MAX_BODY):
    end = data.find(b"\r\n\r\n")
    assert end >= 0
    return read_request_head(data, end, max_body)


PLAIN = (b"POST /fx/v1/chat/completions?beta=true&x=a+b&x=2&flag HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
         b"Authorization: Bearer t\r\nX-Empty:\r\nX-Tabbed:\t v \t\r\nContent-Length: 12\r\n\r\n{\"a\": \"b\"}..")


def test_a_plain_head_is_read_whole():
    head = parse(PLAIN)
    assert head is not None
    assert (head.method, head.path) == ("POST", "/fx/v1/chat/completions")
    assert head.query_string == "beta=true&x=a+b&x=2&flag"
    assert head.target == "/fx/v1/chat/completions?beta=true&x=a+b&x=2&flag"
    assert head.headers["authorization"] == "Bearer t"
    assert head.headers["X-Empty"] == "" and head.headers["x-tabbed"] == "v"
    assert head.content_length == 12 and not head.close
    assert head.size == PLAIN.index(b"\r\n\r\n") + 4
    assert head.query() == {"beta": "true", "x": "a b", "flag": ""}
    assert head.query_items() == [("beta", "true"), ("x", "a b"), ("x", "2"), ("flag", "")]


@pytest.mark.parametrize("connection,close", [("close", True), ("keep-alive", False), ("Keep-Alive, CLOSE", True)])
def test_connection_close_is_noticed(connection, close):
    head = parse(b"GET /fx/v1/models HTTP/1.1\r\nHost: h\r\nConnection: %b\r\n\r\n" % connection.encode())
    assert head is not None and head.close is close and head.content_length == 0


def with_host(data: bytes) -> bytes:
    """``data`` with a Host header after its request line (each refusal must be for its own reason)."""
    start = len(data) - len(data.lstrip(b"\r\n"))
    line_end = data.index(b"\r\n", start) + 2
    return data[:line_end] + b"Host: h\r\n" + data[line_end:]


REFUSED = {
    "no Host": b"GET /fx/x HTTP/1.1\r\nAccept: */*\r\n\r\n",
    "HTTP/1.0": b"GET /fx/x HTTP/1.0\r\n\r\n",
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "HEAD": b"HEAD /fx/x HTTP/1.1\r\n\r\n",
    "CONNECT": b"CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n",
    "lower-case method": b"post /fx/x HTTP/1.1\r\n\r\n",
    "absolute form": b"GET http://127.0.0.1/fx/x HTTP/1.1\r\n\r\n",
    "asterisk": b"OPTIONS * HTTP/1.1\r\n\r\n",
    "percent escape": b"GET /fx/%78 HTTP/1.1\r\n\r\n",
    "fragment": b"GET /fx/x#frag HTTP/1.1\r\n\r\n",
    "space in target": b"GET /fx/x y HTTP/1.1\r\n\r\n",
    "two spaces": b"GET  /fx/x HTTP/1.1\r\n\r\n",
    "leading empty line": b"\r\nGET /fx/x HTTP/1.1\r\n\r\n",
    "chunked": b"POST /fx/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    "expect": b"POST /fx/x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
    "upgrade header": b"GET /fx/x HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
    "connection upgrade": b"GET /fx/x HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n",
    "h2c settings": b"GET /fx/x HTTP/1.1\r\nHTTP2-Settings: AAA\r\n\r\n",
    "obs-fold": b"GET /fx/x HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n",
    "space before colon": b"GET /fx/x HTTP/1.1\r\nX-A : a\r\n\r\n",
    "empty name": b"GET /fx/x HTTP/1.1\r\n: a\r\n\r\n",
    "no colon": b"GET /fx/x HTTP/1.1\r\nX-A a\r\n\r\n",
    "bare LF": b"GET /fx/x HTTP/1.1\r\nX-A: a\nX-B: b\r\n\r\n",
    "bare CR": b"GET /fx/x HTTP/1.1\r\nX-A: a\rX-B: b\r\n\r\n",
    "NUL in value": b"GET /fx/x HTTP/1.1\r\nX-A: a\x00b\r\n\r\n",
    "non-ASCII value": b"GET /fx/x HTTP/1.1\r\nX-A: caf\xc3\xa9\r\n\r\n",
    "non-ASCII name": b"GET /fx/x HTTP/1.1\r\nX-\xe9: a\r\n\r\n",
    "duplicate length": b"POST /fx/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
    "signed length": b"POST /fx/x HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
    "hex length": b"POST /fx/x HTTP/1.1\r\nContent-Length: 0x1\r\n\r\n",
    "list length": b"POST /fx/x HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
    "huge length": b"POST /fx/x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "length over max": b"POST /fx/x HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1),
    "long header line": b"GET /fx/x HTTP/1.1\r\nX-A: " + b"a" * LINE_LIMIT + b"\r\n\r\n",
    "long request line": b"GET /fx/" + b"a" * LINE_LIMIT + b" HTTP/1.1\r\n\r\n",
    "too many header lines": b"GET /fx/x HTTP/1.1\r\n" + b"X-A: a\r\n" * HEADER_LIMIT + b"\r\n",
    "dot segment": b"GET /fx/./x HTTP/1.1\r\n\r\n",
    "dot-dot segment": b"GET /fx/v1/../x HTTP/1.1\r\n\r\n",
    "trailing dot-dot": b"GET /fx/v1/.. HTTP/1.1\r\n\r\n",
    "double slash": b"GET /fx//x HTTP/1.1\r\n\r\n",
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_anything_unusual_is_left_to_aiohttp(name):
    data = REFUSED[name] if name == "no Host" else with_host(REFUSED[name])
    assert parse(data) is None


def test_the_limits_are_inclusive():
    assert parse(b"GET /fx/x HTTP/1.1\r\nHost: h\r\nX-A: " + b"a" * (LINE_LIMIT - 5) + b"\r\n\r\n") is not None
    assert parse(b"GET /fx/x HTTP/1.1\r\nHost: h\r\n" + b"X-A: a\r\n" * (HEADER_LIMIT - 1) + b"\r\n") is not None
    length = parse(b"POST /fx/x HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % MAX_BODY).content_length
    assert length == MAX_BODY
    assert parse(b"GET /fx/x.y/.z/..w HTTP/1.1\r\nHost: h\r\n\r\n") is not None  # dots inside names are fine


# --- property: never raises; what it takes, llhttp reads the same -----------------------------------

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
header_names = st.one_of(st.text(TOKEN_CHARS, min_size=1, max_size=12),
                         st.sampled_from(["Content-Length", "Connection", "Transfer-Encoding", "Host", "Expect"]))
header_values = st.one_of(st.binary(max_size=20), st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                                          max_size=20).map(str.encode),
                          st.sampled_from([b"close", b"chunked", b"12", b"0", b" 5 ", b"keep-alive, close"]))
heads = st.builds(
    lambda method, target, version, host, headers: b"%b %b %b\r\n%b" % (method, target, version, host)
    + b"".join(b"%b:%b\r\n" % (name.encode(), value) for name, value in headers) + b"\r\n",
    st.sampled_from([b"GET", b"POST", b"HEAD", b"DELETE", b"PATCH", b"put", b"OPTIONS"]),
    st.one_of(st.sampled_from([b"/fx/v1/models", b"/v1/messages", b"/a?b=c&d", b"*", b"/%41", b"/a/./b"]),
              st.binary(min_size=1, max_size=20).map(lambda b: b"/" + b)),
    st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.11", b"http/1.1"]),
    st.sampled_from([b"Host: 127.0.0.1\r\n", b""]),
    st.lists(st.tuples(header_names, header_values), max_size=6))

printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30).map(str.encode)
plain_heads = st.builds(
    lambda method, target, headers: b"%b %b HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method, target)
    + b"".join(b"%b:%b\r\n" % (name.encode(), value) for name, value in headers) + b"\r\n",
    st.sampled_from(sorted(RELAYED_METHODS)),
    st.text("/abcxyz019-._~!$&'()*+,;=:@?", max_size=25).map(lambda text: b"/" + text.encode()),
    st.lists(st.tuples(st.text(TOKEN_CHARS, min_size=1, max_size=12), st.one_of(printable, header_values)),
             max_size=6))
"""Heads the lane should mostly read: every refusal they meet is a near miss."""


class _Llhttp:
    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.done = False
        self.parser: httptools.HttpRequestParser | None = None
        self.keep_alive: bool | None = None

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.done = True
        # llhttp resets its flags once a bodiless message completes: ask while the head is current
        assert self.parser is not None
        self.keep_alive = self.parser.should_keep_alive()


@settings(max_examples=400, deadline=None)
@given(st.one_of(plain_heads, heads, st.binary(max_size=200)))
@example(b"POST /v1/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")  # once failed by chance
def test_any_head_is_read_or_refused_and_llhttp_agrees_with_what_is_read(data):
    end = data.find(b"\r\n\r\n")
    if end < 0:
        data, end = data + b"\r\n\r\n", len(data)
    head = read_request_head(data, end, MAX_BODY)  # must not raise, whatever the bytes
    event("read" if head is not None else "refused")
    if head is None:
        return
    assert head.method.encode() in RELAYED_METHODS and head.size == end + 4
    assert 0 <= head.content_length <= MAX_BODY
    seen = _Llhttp()
    parser = httptools.HttpRequestParser(seen)
    seen.parser = parser
    parser.feed_data(data[:end + 4])  # raises if llhttp thinks the head is malformed
    assert seen.done
    assert parser.get_method().decode() == head.method
    path, _, query = seen.url.decode().partition("?")
    assert (path, query) == (head.path, head.query_string)
    # llhttp leaves trailing whitespace in a value; it is not part of the value (RFC 9110 5.5)
    assert [(n.decode().lower(), v.decode().rstrip(" \t")) for n, v in seen.headers] == \
        [(n.lower(), v) for n, v in head.headers.items()]
    assert seen.keep_alive is not head.close


# --- property: random heads at a running proxy ------------------------------------------------------


class RunningProxy:
    """A fixture upstream and a proxy with one session, in an event loop on a helper thread
    (hypothesis drives synchronous tests)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.token = ""

    def __enter__(self) -> RunningProxy:
        self.thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def run(self, coroutine: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        self.up = UpstreamServer("openai-chat", [Reply(text="fuzzed")])
        await self.up.start()
        self.server = ProxyServer()
        await self.server.start()
        self.token = self.server.register_session(self.up.provider("fx"), "fixture-model").token

    async def _stop(self) -> None:
        await self.server.stop()
        await self.up.stop()

    async def exchange(self, data: bytes) -> list:
        """Send ``data`` then a last request asking to close, and read answers until the proxy closes
        the connection or goes quiet for a second (it may be waiting for a body the bytes announced)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        last = (b"GET /fx/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %b\r\n"
                b"Connection: close\r\n\r\n" % self.token.encode())
        try:
            writer.write(data + last)
            answers = []
            while True:
                try:
                    answer = await asyncio.wait_for(read_http_answer(reader), 1.0)
                except TimeoutError:
                    return answers
                if answer is None:
                    return answers
                answers.append(answer)
                if not answer.complete:
                    return answers
        finally:
            writer.close()


@pytest.fixture(scope="module")
def running() -> Iterator[RunningProxy]:
    with RunningProxy() as proxy:
        yield proxy


_BODY = json.dumps(request_body("openai-chat", "hi")).encode()
targets = st.sampled_from(["/fx/v1/chat/completions", "/v1/chat/completions", "/v1/messages", "/fx/v1/models",
                           "/v1/models", "/v1beta/models/m:generateContent", "/nothing", "/fx/%76"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(heads, st.binary(max_size=300)).filter(lambda data: not data.startswith(b"HEAD ")),
       st.booleans(), targets, st.binary(max_size=60))
def test_random_heads_never_get_a_500_or_hang(running, fuzzed, with_token, target, tail):
    """(HEAD is left out: which answers have a body is aiohttp's business, and its 400 to a malformed
    HEAD request carries one, which no reader can frame.)"""
    token = running.token if with_token else "amux-nope"
    # half the time a real request (maybe with garbage headers) before the fuzzed bytes
    prefix = (b"POST %b HTTP/1.1\r\nAuthorization: Bearer %b\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n%b" % (target.encode(), token.encode(), len(_BODY), _BODY))
    for data in (fuzzed, prefix + fuzzed + tail):
        answers = running.run(running.exchange(data))
        assert all(answer.status != 500 for answer in answers if answer.complete), \
            [(a.status, a.body[:200]) for a in answers]
    assert answers  # the whole first request was there: it got an answer (or aiohttp's 400 for the lot)
    # and the proxy still serves
    before = running.server.fast_lane.relayed
    answers = running.run(running.exchange(b""))
    assert [answer.status for answer in answers] == [200]
    assert running.server.fast_lane.relayed == before + 1
