"""Local fixture upstreams: real aiohttp model servers on 127.0.0.1 for tests and benches.

One `UpstreamServer` answers all four wire APIs, picked by the request path, from a script of
`Reply`s, and records every request it receives::

    from upstreams import Reply, ToolCall, UpstreamServer

    async with UpstreamServer("openai-chat", script=[Reply(text="hello there")]) as up:
        provider = up.provider()          # ResolvedProvider pointing at it (api_key included)
        ...                               # talk to up.base_url directly or through the proxy
        assert up.requests[0].json["model"] == "m"
        assert up.requests[0].headers["authorization"] == f"Bearer {up.api_key}"

Routes (any path prefix is accepted, only the ending matters):

=============================  ============================================================
``.../chat/completions``       OpenAI Chat Completions (``stream``, ``stream_options``)
``.../responses``              OpenAI Responses
``.../messages``               Anthropic Messages; ``.../messages/count_tokens`` counts
``...:generateContent``        Gemini; ``:streamGenerateContent?alt=sse``; ``:countTokens``
``GET .../models``             a model list in the protocol of ``protocol``
=============================  ============================================================

``protocol`` only chooses ``base_url`` (OpenAI ones end in ``/v1``, as real ones do) and what
`provider()` says the endpoint speaks. The script: the n-th model request gets ``script[n]``;
past the end the last reply repeats. ``script`` may also be a callable
``(RecordedRequest) -> Reply`` (answer by content, e.g. text once a tool result came back).

With ``api_key`` set (the default) a request without that key in its protocol's header style
(Bearer / x-api-key / x-goog-api-key / ?key=) gets 401 and the provider's error body: a proxy
that forgot to swap credentials fails loudly. ``disconnects`` counts requests whose client went
away before the answer was complete (`wait_for_disconnects` awaits them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from upstream_wire import (
    Reply, ToolCall, anthropic_events, anthropic_json, error_body, gemini_events, gemini_json, openai_chat_events,
    openai_chat_json, responses_events, responses_json,
)

__all__ = ["RecordedRequest", "Reply", "ToolCall", "UpstreamServer"]

Script = Sequence[Reply] | Callable[["RecordedRequest"], Reply]

_PROVIDER_TYPE = {"openai-chat": "openai", "openai-responses": "openai", "anthropic-messages": "anthropic",
                  "gemini": "gemini"}


@dataclass
class RecordedRequest:
    """What the upstream received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased header names."""
    body: bytes
    protocol: str | None
    """Which API the path belongs to (None for an unknown path)."""

    @classmethod
    def received(cls, request: web.Request, body: bytes, protocol: str | None) -> RecordedRequest:
        return cls(request.method, request.path, dict(request.query),
                   {k.lower(): v for k, v in request.headers.items()}, body, protocol)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class UpstreamServer:
    """A scripted model server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, protocol: str = "openai-chat", script: Script = (), *, api_key: str | None = "upstream-key",
                 models: Sequence[str] = ("fixture-model",), token_count: int = 42):
        if protocol not in _PROVIDER_TYPE:
            raise ValueError(f"unknown protocol {protocol!r}")
        self.protocol = protocol
        self.script = script
        self.api_key = api_key
        self.models = list(models)
        self.token_count = token_count
        self.count_reply: Reply | None = None
        """When set, count endpoints answer with this reply (e.g. ``Reply.error(503)``) instead of the count."""
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self._answered = 0
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._changed = asyncio.Condition()
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> UpstreamServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- what tests use -------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The api_base a client of ``protocol`` uses (OpenAI-style ones include ``/v1``)."""
        return self.root_url + ("/v1" if self.protocol.startswith("openai") else "")

    def provider(self, name: str = "fixture", **overrides: Any):
        """A `ResolvedProvider` for this server (``protocol`` as its only api_format)."""
        from amux_tui.providers.resolved import ResolvedProvider

        fields: dict[str, Any] = {
            "name": name, "type": _PROVIDER_TYPE[self.protocol], "api_base": self.base_url,
            "api_formats": (self.protocol,), "api_key": self.api_key, "models": tuple(self.models),
            "default_model": self.models[0] if self.models else None, "litellm_prefix": _PROVIDER_TYPE[self.protocol],
            "local": True,
        }
        fields.update(overrides)
        return ResolvedProvider(**fields)

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:
        await self._wait(lambda: len(self.requests) >= count, timeout)

    async def wait_for_disconnects(self, count: int = 1, timeout: float = 5.0) -> None:
        await self._wait(lambda: self.disconnects >= count, timeout)

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- serving --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        known = _protocol_of(request.method, path, self.protocol)
        record = RecordedRequest.received(request, await request.read(), known)
        self.requests.append(record)
        await self._notify()
        protocol = record.protocol or self.protocol
        if self.api_key is not None and not self._authorized(request, protocol):
            return _error(protocol, 401, "invalid api key (fixture upstream)")
        if record.protocol is None:
            return _error(self.protocol, 404, f"no route {request.method} {path}")
        if request.method == "GET":
            return web.json_response(self._model_list())
        try:
            body = record.json
        except ValueError:
            return _error(protocol, 400, "body is not JSON")
        if self.count_reply is not None and path.endswith(("count_tokens", ":countTokens")):
            return await self._answer(request, record, {}, self.count_reply)
        if path.endswith("count_tokens"):
            return web.json_response({"input_tokens": self.token_count})
        if path.endswith(":countTokens"):
            return web.json_response({"totalTokens": self.token_count})
        reply = self._next_reply(record)
        try:
            return await self._answer(request, record, body if isinstance(body, dict) else {}, reply)
        except (ConnectionError, asyncio.CancelledError):
            self.disconnects += 1
            await self._notify()
            raise

    def _authorized(self, request: web.Request, protocol: str) -> bool:
        if protocol == "anthropic-messages":
            return request.headers.get("x-api-key") == self.api_key
        if protocol == "gemini":
            return self.api_key in (request.headers.get("x-goog-api-key"), request.query.get("key"))
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def _next_reply(self, record: RecordedRequest) -> Reply:
        if callable(self.script):
            return self.script(record)
        script = list(self.script) or [Reply(text="ok")]
        reply = script[min(self._answered, len(script) - 1)]
        self._answered += 1
        return reply

    def _model_list(self) -> dict[str, Any]:
        if self.protocol == "gemini":
            return {"models": [{"name": f"models/{m}", "displayName": m} for m in self.models]}
        if self.protocol == "anthropic-messages":
            return {"data": [{"type": "model", "id": m, "display_name": m} for m in self.models], "has_more": False}
        return {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "fixture"} for m in self.models]}

    async def _answer(self, request: web.Request, record: RecordedRequest, body: dict[str, Any],
                      reply: Reply) -> web.StreamResponse:
        if reply.first_delay:
            await asyncio.sleep(reply.first_delay)
        if reply.hang:
            await self._until_client_leaves(request)
        protocol = record.protocol or self.protocol
        if reply.status >= 400 and reply.raw is None:
            return _error(protocol, reply.status, reply.error_message or "scripted failure", reply.headers)
        if reply.raw is not None:  # with a status >= 400: a provider's own error body
            return web.Response(status=reply.status, body=reply.raw, content_type=reply.content_type,
                                headers=dict(reply.headers))
        model = _model_of(record, body)
        streaming = ":streamGenerateContent" in record.path if protocol == "gemini" else bool(body.get("stream"))
        if not streaming:
            build = {"openai-chat": openai_chat_json, "openai-responses": responses_json,
                     "anthropic-messages": anthropic_json, "gemini": gemini_json}[protocol]
            return web.json_response(build(reply, model), headers=dict(reply.headers))
        if protocol == "openai-chat":
            options = body.get("stream_options")  # fuzzed bodies send anything here
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            events = openai_chat_events(reply, model, include_usage=include_usage)
        else:
            events = {"openai-responses": responses_events, "anthropic-messages": anthropic_events,
                      "gemini": gemini_events}[protocol](reply, model)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                               **dict(reply.headers)})
        await response.prepare(request)
        for sent, event in enumerate(events):
            if reply.cut_after is not None and sent >= reply.cut_after:
                request.transport.close()  # a broken stream: the connection just ends
                return response
            if reply.stall_after is not None and sent >= reply.stall_after:
                await self._until_client_leaves(request)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            await response.write(event)
        await response.write_eof()
        return response

    async def _until_client_leaves(self, request: web.Request) -> None:
        """Wait (without answering) until the client closes the connection or the server stops."""
        while not self._closing.is_set():
            transport = request.transport
            if transport is None or transport.is_closing():
                raise ConnectionResetError("client went away")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 0.02)
        raise ConnectionResetError("upstream fixture stopping")


def _protocol_of(method: str, path: str, default: str) -> str | None:
    if method == "GET":
        return default if path.endswith("/models") else None
    if path.endswith("/chat/completions"):
        return "openai-chat"
    if path.endswith("/responses"):
        return "openai-responses"
    if path.endswith(("/messages", "/messages/count_tokens")):
        return "anthropic-messages"
    if path.endswith((":generateContent", ":streamGenerateContent", ":countTokens")):
        return "gemini"
    return None


def _model_of(record: RecordedRequest, body: dict[str, Any]) -> str:
    if record.protocol == "gemini":
        return record.path.rsplit("/", 1)[-1].split(":", 1)[0]
    model = body.get("model")
    return model if isinstance(model, str) else "unknown"


def _error(protocol: str, status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> web.Response:
    return web.json_response(error_body(protocol, status, message), status=status, headers=dict(headers))


# --- byte-exact HTTP/1.1 on raw sockets (for tests of connection handling) ----------------------

@dataclass
class RawRequest:
    """One request a `RawUpstream` read: the connection's number (0-based), head and body bytes."""

    connection: int
    head: bytes
    body: bytes


@dataclass(frozen=True)
class RawReply:
    """What a `RawUpstream` writes: ``data`` as is (after ``delay`` seconds); then ``close`` the
    connection, ``reset`` it (RST instead of FIN), or ``hang`` (write nothing more until the client
    closes it)."""

    data: bytes
    close: bool = False
    hang: bool = False
    reset: bool = False
    delay: float = 0.0


class RawUpstream:
    """A hand-written HTTP/1.1 server on 127.0.0.1 (or ``host``): ``answer(request)`` gives the `RawReply` for
    each request (None: close the connection without answering). Counts connections and the ones
    the client closed (``closed_by_client``)."""

    def __init__(self, answer: Callable[[RawRequest], RawReply | None], ssl_context: Any = None, *,
                 host: str = "127.0.0.1"):
        self.answer = answer
        self.ssl_context = ssl_context
        self.host = host
        self.requests: list[RawRequest] = []
        self.connections = 0
        self.closed_by_client = 0
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> RawUpstream:
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.wait_for(self._server.wait_closed(), 5)

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.ssl_context else 'http'}://{host}:{self.port}"

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.closed_by_client += 1
                    return
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = RawRequest(number, head, await reader.readexactly(length))
                self.requests.append(request)
                reply = self.answer(request)
                if reply is None:
                    return
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                writer.write(reply.data)
                await writer.drain()
                if reply.reset:
                    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                               struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if reply.hang:
                    if not await reader.read(65536):
                        self.closed_by_client += 1
                    return
                if reply.close:
                    return
        except ConnectionError:
            self.closed_by_client += 1
        finally:
            self._writers.discard(writer)
            writer.close()


def http_answer(status: int = 200, body: bytes = b"", *, headers: Sequence[tuple[str, str]] = (),
                length: bool = True, version: str = "1.1") -> bytes:
    """An HTTP answer's bytes: ``Content-Length`` framing unless ``length`` is False (then the body
    ends with the connection)."""
    lines = [f"HTTP/{version} {status} {'OK' if status < 400 else 'Error'}",
             *(f"{name}: {value}" for name, value in headers)]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class RawAnswer:
    """An answer read off a raw socket by `read_http_answer`; ``complete`` is False when the
    connection ended before the answer did."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    complete: bool
    keep_alive: bool

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


async def read_http_answer(reader: asyncio.StreamReader, *, head_request: bool = False) -> RawAnswer | None:
    """The next final (non-1xx) answer on ``reader``, parsed by llhttp; None when the connection
    ended before any byte of it. Reads no byte past the answer's end."""
    import httptools

    class Collect:
        def __init__(self) -> None:
            self.headers: list[tuple[str, str]] = []
            self.body = bytearray()
            self.done = self.head_done = self.keep_alive = False

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

        def on_headers_complete(self) -> None:
            self.head_done = True
            if head_request:  # a HEAD answer has no body, whatever its length says
                self.done = True
                self.keep_alive = parser.should_keep_alive()

        def on_body(self, data: bytes) -> None:
            self.body += data

        def on_message_complete(self) -> None:
            self.done = True
            self.keep_alive = parser.should_keep_alive()  # llhttp forgets it once the message ended

    while True:
        collect = Collect()
        parser = httptools.HttpResponseParser(collect)
        seen = False
        while not collect.done:
            data = await reader.read(1)  # one byte at a time: never read into the next answer
            if not data:
                if not seen:
                    return None
                return RawAnswer(parser.get_status_code() if collect.head_done else 0, collect.headers,
                                 bytes(collect.body), False, False)
            seen = True
            parser.feed_data(data)
        status = parser.get_status_code()
        if status >= 200:
            return RawAnswer(status, collect.headers, bytes(collect.body), True, collect.keep_alive)


_REFUSING: list[socket.socket] = []


def refused_port() -> int:
    """A loopback port where connections are refused, for the rest of the test run: the socket stays
    bound and never listens, so no server started later (the proxy itself, with port 0) can take it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _REFUSING.append(sock)
    return sock.getsockname()[1]
