"""Pooled HTTP/1.1 connections to upstreams, read with llhttp (httptools) as the bytes arrive.

An `UpstreamConnection` sends one request at a time and hands every piece of the answer, as
llhttp parses it, to the `AnswerSink` of the exchange in progress: the head, then body pieces
(de-chunked), then the end. The sink writes them to the client straight from
``data_received``, so a relayed stream costs no task switch per chunk. Connections go back to
`UpstreamPool` only when the answer ended cleanly, both sides keep the connection alive and
reading is not paused.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import Protocol

import httptools

KEEPALIVE_SECONDS = 15.0
"""An idle pooled connection older than this is closed rather than reused (servers time them out)."""
IDLE_PER_HOST = 64
SMALL_BODY = 64 * 1024
"""A body up to this goes out in the same write as its head (one packet); a larger one is not copied."""


class UpstreamClosed(ConnectionError):
    """The upstream closed the connection before its answer was complete."""


class UpstreamTimeout(TimeoutError):
    """No byte from the upstream for the read timeout (or no connection in the connect timeout)."""


class UpstreamMalformed(ConnectionError):
    """The upstream's bytes are not an HTTP answer the lane can relay."""


class AnswerSink(Protocol):
    """Where an upstream answer goes, piece by piece (all called from ``data_received``)."""

    def answer_head(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], framed: bool) -> None: ...
    def answer_body(self, data: bytes) -> None: ...
    def answer_end(self) -> None: ...
    def flush(self) -> None: ...


def _framing(headers: list[tuple[bytes, bytes]], status: int) -> str:
    """``chunked``, ``length`` or ``close`` (the body ends when the connection does), as llhttp reads it."""
    codings = [token.strip().lower() for name, value in headers if name.lower() == b"transfer-encoding"
               for token in value.split(b",")]
    codings = [coding for coding in codings if coding and coding != b"identity"]
    if codings == [b"chunked"]:
        return "chunked"
    if codings:
        raise UpstreamMalformed(f"transfer coding {b', '.join(codings).decode('latin-1')!r} is not supported")
    if status in (204, 304) or any(name.lower() == b"content-length" for name, _ in headers):
        return "length"
    return "close"


class UpstreamConnection(asyncio.Protocol):
    """One keep-alive connection; `exchange` sends a request and resolves when the answer ended."""

    def __init__(self, key: tuple[str, str, int]) -> None:
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self.bytes_seen = 0
        self._parser = httptools.HttpResponseParser(self)
        self._sink: AnswerSink | None = None
        self._done: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._read_timeout = 0.0
        self._last_read = 0.0
        self._paused = False
        self._reset_answer()

    def _reset_answer(self) -> None:
        self._headers: list[tuple[bytes, bytes]] = []
        self._reason = b""
        self._head_seen = self._complete = self._keep_alive = self._trailing = False
        self._framing = "length"

    # asyncio.Protocol ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._sink is None:
            self.close()  # bytes nobody asked for: this connection cannot be trusted again
            return
        self.bytes_seen += len(data)
        self._last_read = time.monotonic()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            self._finish(exc.__context__ or UpstreamMalformed(str(exc)))
        except httptools.HttpParserError as exc:
            self._finish(UpstreamMalformed(str(exc)))
        sink = self._sink
        if sink is not None:
            sink.flush()
        if self._complete:
            self._finish(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._done is not None and not self._done.done():
            if self._head_seen and self._framing == "close" and not self._complete:
                self._complete = True  # the end of a body without length or chunks is the close itself
                if self._sink is not None:
                    self._sink.answer_end()
                    self._sink.flush()
                self._finish(None)
            else:
                self._finish(UpstreamClosed("closed before the answer was complete"))

    # llhttp callbacks -----------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:
            self._trailing = True  # bytes past the end of the answer: never reuse this connection

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            self._headers, self._reason = [], b""  # an interim answer (103 Early Hints): wait for the real one
            return
        self._framing = _framing(self._headers, status)
        self._head_seen = True
        if self._sink is not None:
            self._sink.answer_head(status, self._reason, self._headers, self._framing != "length")

    def on_body(self, data: bytes) -> None:
        if self._sink is not None:
            self._sink.answer_body(data)

    def on_message_complete(self) -> None:
        if self._head_seen and not self._complete:
            self._complete = True
            self._keep_alive = self._parser.should_keep_alive()  # llhttp forgets it once the message ends
            if self._sink is not None:
                self._sink.answer_end()

    # the exchange ---------------------------------------------------------------------------------

    def send(self, head: bytes, body: bytes, sink: AnswerSink, read_timeout: float) -> asyncio.Future[None]:
        """Write a request now; the answer goes to ``sink``. Then `wait` for the future returned."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self._sink, self._done = sink, loop.create_future()
        self._reset_answer()
        self.bytes_seen = 0
        self._read_timeout = read_timeout
        self._last_read = time.monotonic()
        self._timer = loop.call_later(read_timeout, self._check_read_timeout)
        if len(body) <= SMALL_BODY:
            self.transport.write(head + body)  # one packet
        else:
            self.transport.write(head)
            self.transport.write(body)  # not copied when the socket takes it whole
        return self._done

    async def wait(self, done: asyncio.Future[None]) -> None:
        """The answer to what `send` sent has ended; raises `UpstreamClosed`, `UpstreamTimeout` or
        `UpstreamMalformed`; cancelling it closes the connection."""
        try:
            await done
        except BaseException:
            self.close()
            raise
        finally:
            self._sink = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._paused:
                self.resume_reading()  # paused for a slow client: idle in the pool it must see a close

    @property
    def reusable(self) -> bool:
        return (self._complete and not self.closed and self._framing != "close" and not self._trailing
                and self._keep_alive)

    def pause_reading(self) -> None:
        if self.transport is not None and not self.closed and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.closed and self._paused:
            self._paused = False
            self._last_read = time.monotonic()  # a slow client's wait is not the upstream's silence
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _check_read_timeout(self) -> None:
        idle = 0.0 if self._paused else time.monotonic() - self._last_read
        if idle >= self._read_timeout:
            self._timer = None
            self._finish(UpstreamTimeout(f"no answer byte for {self._read_timeout:g} s"))
        else:
            self._timer = asyncio.get_running_loop().call_later(self._read_timeout - idle, self._check_read_timeout)

    def _finish(self, error: BaseException | None) -> None:
        done = self._done
        if done is not None and not done.done():
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


class UpstreamPool:
    """Idle keep-alive connections per (scheme, host, port); TLS with one shared default context."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], deque[UpstreamConnection]] = {}
        self._busy: set[UpstreamConnection] = set()
        self._tls: asyncio.Future[ssl.SSLContext] | None = None

    def take_idle(self, scheme: str, host: str, port: int) -> UpstreamConnection | None:
        """A pooled connection, at once, if one is idle (it may turn out closed: retry once on a new one)."""
        idle = self._idle.get((scheme, host, port))
        if idle:
            expired = time.monotonic() - KEEPALIVE_SECONDS
            while idle and (idle[0].closed or idle[0].idle_since < expired):
                idle.popleft().close()  # oldest first: they would hold sockets until the server closes them
            while idle:
                connection = idle.pop()  # the newest: the least likely to be timed out by the server
                if not connection.closed:
                    self._busy.add(connection)
                    return connection
        return None

    async def connect(self, scheme: str, host: str, port: int, connect_timeout: float) -> UpstreamConnection:
        """A new connection."""
        connection = await self._connect((scheme, host, port), connect_timeout)
        self._busy.add(connection)
        return connection

    def release(self, connection: UpstreamConnection) -> None:
        self._busy.discard(connection)
        idle = self._idle.setdefault(connection.key, deque())
        if connection.reusable and len(idle) < IDLE_PER_HOST:
            connection.idle_since = time.monotonic()
            idle.append(connection)
        else:
            connection.close()

    def discard(self, connection: UpstreamConnection) -> None:
        self._busy.discard(connection)
        connection.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        for connection in list(self._busy):
            connection.close()
        self._busy.clear()

    async def _connect(self, key: tuple[str, str, int], connect_timeout: float) -> UpstreamConnection:
        scheme, host, port = key
        tls = await self._tls_context() if scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_timeout):
                # Happy eyeballs as aiohttp does: one blackholed address must not eat the whole timeout.
                _, connection = await loop.create_connection(
                    lambda: UpstreamConnection(key), host, port, ssl=tls, server_hostname=host if tls else None,
                    happy_eyeballs_delay=0.25, interleave=1)
        except TimeoutError:
            raise UpstreamTimeout(f"no connection in {connect_timeout:g} s") from None
        return connection

    async def _tls_context(self) -> ssl.SSLContext:
        """Built once, in a thread: loading the CA store reads files for tens of milliseconds."""
        if self._tls is None:
            self._tls = asyncio.ensure_future(asyncio.to_thread(ssl.create_default_context))
        return await asyncio.shield(self._tls)
