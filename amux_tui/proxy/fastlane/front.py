"""The listening side: every connection starts on the lane, and moves to aiohttp for good at the
first request the lane does not take.

`FrontConnection` reads request heads itself. A request the lane takes (`routes`) is served
right there (`FastLane.serve`); at any other request the connection, with every byte it has
buffered, is handed to aiohttp's own protocol (`web.Server()`), which serves it and the rest of
the connection as if it had accepted it. The hand-over happens only between requests, so no
answer is ever split between the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable

from aiohttp import web

from ..errors import ProxyError, guess_protocol_of, unsupported_expectation
from ..state import POOL, SESSIONS
from ..traffic import RequestRecord
from .answer import RelayedAnswer, error_answer
from .head import HEAD_LIMIT, RequestHead, read_request_head, refused_expectation
from .lane import FastLane
from .routes import Refusal, Target

log = logging.getLogger("amux_tui.proxy")

PIPELINE_LIMIT = 1024 * 1024
"""Bytes of later requests buffered while one is served, before reading pauses."""
IDLE_SECONDS = 3630.0
"""A connection with no request in flight and no byte for this long is closed: aiohttp's own
keep-alive default, so lane and aiohttp connections live alike and clients' pools close first."""


class FrontConnection(asyncio.Protocol):
    """One client connection while it is on the lane."""

    def __init__(self, lane: FastLane, connections: set[FrontConnection], max_body: int,
                 aiohttp_protocol: Callable[[], asyncio.Protocol]):
        self.lane = lane
        self.connections = connections
        self.max_body = max_body
        self.aiohttp_protocol = aiohttp_protocol
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.task: asyncio.Task[None] | None = None
        self.answer: RelayedAnswer | None = None
        self.closing = False
        """No new request after the one in flight (the client asked, or the server stops)."""
        self.writing_paused = False
        """The client is not reading: upstream reads pause until it catches up."""
        self.last_active = time.monotonic()
        self._pending: tuple[RequestHead, Target | Refusal, RequestRecord | None] | None = None
        """A request whose head is read and whose body is still arriving (with its record, if relayed)."""
        self._scanned = 0
        """Bytes of ``buffer`` already searched for the end of a head."""
        self._read_paused = False

    @property
    def busy(self) -> bool:
        """A request is being received or served."""
        return self.task is not None or self._pending is not None or bool(self.buffer)

    # asyncio.Protocol ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # asyncio turns Nagle off only for sockets made with proto=IPPROTO_TCP, and ours comes
            # from a stdlib socket (`ProxyServer.bind`): left on, each streamed piece after the
            # first waits for the client's delayed ACK, 40 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.last_active = time.monotonic()
        if self.task is None:
            self._take_request()
        elif len(self.buffer) > PIPELINE_LIMIT and not self._read_paused:
            self._read_paused = True
            self.transport.pause_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        if self.task is not None:
            self.task.cancel()  # the client went away: stop the upstream call too
        if self._pending is not None and self._pending[2] is not None:
            head, target, record = self._pending
            assert isinstance(target, Target)
            self.lane.note_headers(record, head)
            target.session.traffic.finish(record, status=499, error="the client went away")

    def pause_writing(self) -> None:
        self.writing_paused = True
        upstream = self.answer.upstream if self.answer is not None else None
        if upstream is not None:
            upstream.pause_reading()  # a slow client slows the upstream, not our memory

    def resume_writing(self) -> None:
        self.writing_paused = False
        upstream = self.answer.upstream if self.answer is not None else None
        if upstream is not None:
            upstream.resume_reading()

    # for the exchange -----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send_error(self, protocol: str, failure: ProxyError, *, close: bool) -> None:
        self.write(error_answer(protocol, failure, close=close))

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.abort()

    # requests -------------------------------------------------------------------------------------

    def _take_request(self) -> None:
        """Start serving the next buffered request, if it is all here (refusals are answered at once)."""
        while not self.closing and self.task is None:
            if self._pending is None:
                end = self.buffer.find(b"\r\n\r\n", max(0, self._scanned - 3))
                if end < 0:
                    self._scanned = len(self.buffer)
                    if len(self.buffer) > HEAD_LIMIT:
                        self._hand_off()
                    return
                self._scanned = 0
                head = read_request_head(self.buffer, end, self.max_body)
                target = self._route(head) if head is not None else None
                if head is None or target is None:
                    refused = refused_expectation(self.buffer, end)
                    if refused is not None:
                        self._refuse_expectation(*refused)
                    else:
                        self._hand_off()
                    return
                record = self.lane.begin(head, target) if isinstance(target, Target) else None
                self._pending = (head, target, record)
            head, target, record = self._pending
            size = head.size + head.content_length
            if len(self.buffer) < size:
                return
            body = bytes(self.buffer[head.size:size])
            del self.buffer[:size]
            self._pending = None
            self.closing = head.close
            if isinstance(target, Refusal):
                self.send_error(target.protocol, target.failure, close=head.close)
                if self.closing:
                    self.close()
                continue
            assert record is not None
            self.task = self.lane.serve(self, head, body, target, record)
            self.task.add_done_callback(self._served)

    def _refuse_expectation(self, path: str, expectation: str) -> None:
        """417 in the caller's format, then close: the body, if any, was never asked for."""
        self.send_error(guess_protocol_of(path, {}, {}), unsupported_expectation(expectation), close=True)
        self.close()

    def _route(self, head: RequestHead) -> Target | Refusal | None:
        try:
            return self.lane.route(head)
        except Exception:  # noqa: BLE001 - whatever confuses the lane (a provider URL it cannot parse) is aiohttp's
            log.debug("fast lane: routing %s %s failed; aiohttp serves it", head.method, head.path, exc_info=True)
            return None

    def _served(self, task: asyncio.Task[None]) -> None:
        self.task = None
        self.answer = None
        self.last_active = time.monotonic()
        if not task.cancelled() and task.exception() is not None:  # serve answers its own bugs; this is a last resort
            log.error("fast lane: serving failed", exc_info=task.exception())
            self.abort()
            return
        if self.transport is None or self.transport.is_closing():
            return
        if self.closing:
            self.close()
            return
        if self._read_paused:
            self._read_paused = False
            self.transport.resume_reading()
        if self.buffer:
            self._take_request()

    def _hand_off(self) -> None:
        """Give the connection, and what it has sent so far, to aiohttp."""
        transport = self.transport
        assert transport is not None
        self.connections.discard(self)
        handler = self.aiohttp_protocol()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self.writing_paused:
            handler.pause_writing()
        if self.buffer:
            handler.data_received(bytes(self.buffer))
            self.buffer.clear()


class FastLaneSite(web.BaseSite):
    """`web.SockSite` with the lane in front: serves a bound socket. Stopping gives requests in flight
    (being received or served) ``grace`` seconds, then cuts what is left."""

    def __init__(self, runner: web.AppRunner, sock: socket.socket, lane: FastLane, *, max_body: int,
                 backlog: int = 128, grace: float = 2.0):
        super().__init__(runner, backlog=backlog)
        self._sock = sock
        self._lane = lane
        self._max_body = max_body
        self._grace = grace
        self._connections: set[FrontConnection] = set()
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self) -> None:
        await super().start()
        aiohttp_protocol = self._runner.server
        assert aiohttp_protocol is not None
        lane, connections, max_body = self._lane, self._connections, self._max_body
        self._server = await asyncio.get_running_loop().create_server(
            lambda: FrontConnection(lane, connections, max_body, aiohttp_protocol), sock=self._sock,
            backlog=self._backlog)
        self._sweeper = asyncio.create_task(self._close_idle_connections())

    async def _close_idle_connections(self) -> None:
        while True:
            await asyncio.sleep(IDLE_SECONDS / 10)
            expired = time.monotonic() - IDLE_SECONDS
            for connection in list(self._connections):
                if connection.task is None and connection.last_active < expired:
                    connection.close()

    async def stop(self) -> None:
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        await super().stop()  # no new connections
        deadline = time.monotonic() + self._grace
        while True:
            for connection in list(self._connections):
                connection.closing = True
                if not connection.busy:
                    connection.close()
            busy = [connection for connection in self._connections if connection.busy]
            if not busy or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        tasks = [connection.task for connection in self._connections if connection.task is not None]
        for connection in list(self._connections):
            connection.abort()  # a client that stopped reading must not hold the shutdown
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def fast_lane_for(app: web.Application) -> FastLane:
    """The lane for a started ``app`` (its sessions and upstream pool); it yields to every other route."""
    return FastLane(app[SESSIONS], app[POOL], protocol_segments(app))


def protocol_segments(app: web.Application) -> frozenset[str]:
    """First path segments of the app's fixed routes: a request under them is never passthrough."""
    segments = set()
    for resource in app.router.resources():
        first = resource.canonical.lstrip("/").split("/", 1)[0]
        if first and not first.startswith("{"):
            segments.add(first)
    return frozenset(segments)
