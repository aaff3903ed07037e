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
from .guard import HEAD_SECONDS, IDLE_SECONDS, LINGER_SECONDS, SWEEP_SECONDS, ConnectionGuard, GuardedConnection
from .handover import HandedOver, aiohttp_protocol_factory
from .head import HEAD_LIMIT, RequestHead, read_request_head, refused_expectation
from .lane import FastLane
from .routes import Refusal, Target

log = logging.getLogger("amux_tui.proxy")

PIPELINE_LIMIT = 1024 * 1024
"""Bytes of later requests buffered while one is served, before reading pauses."""
ANSWER_PREFIX = b"HTTP/1.1 "
"""How every answer the lane writes begins: sent early to a client that shut down its sending side
before its answer, to learn whether it is still there (`eof_received`)."""


class FrontConnection(GuardedConnection, asyncio.Protocol):
    """One client connection while it is on the lane."""

    def __init__(self, lane: FastLane, guard: ConnectionGuard, max_body: int,
                 aiohttp_protocol: Callable[[], asyncio.Protocol]):
        self.lane = lane
        self.guard = guard
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
        self.last_active = self.head_started = time.monotonic()
        self.served = False
        """A request was answered on this connection (idle time is then `IDLE_SECONDS`, not `HEAD_SECONDS`)."""
        self.half_closed = False
        """The client shut down its sending side: it gets the answers to what it sent, then the close."""
        self._prefix_sent = False
        """`ANSWER_PREFIX` went out ahead of the answer: the answer's first write leaves it out."""
        self._lingering: asyncio.TimerHandle | None = None
        """Set while the connection only discards what arrives before it is cut (`refuse_on_head`)."""
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
        self.guard.admit(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # asyncio turns Nagle off only for sockets made with proto=IPPROTO_TCP, and ours comes
            # from a stdlib socket (`ProxyServer.bind`): left on, each streamed piece after the
            # first waits for the client's delayed ACK, 40 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None:
            return  # refused on its head: the rest is discarded, never kept
        if not self.buffer:
            self.head_started = time.monotonic()
        self.buffer += data
        self.last_active = time.monotonic()
        if self.task is None:
            self._take_request()
        elif len(self.buffer) > PIPELINE_LIMIT and not self._read_paused:
            self._read_paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        """A client that shut down its sending side after a request (``shutdown(SHUT_WR)``) still gets
        the answer; the connection closes after it. With nothing to answer it closes now."""
        self.half_closed = True
        if self._lingering is not None or self.task is None:
            return False  # nothing being served: whatever is buffered is a request that cannot complete now
        if self.answer is not None and self.answer.head_sent:
            return False  # mid-answer: the client has gone (a half-closing one does so before its answer)
        # Before the answer the end of input may be a half-close or a client that has gone (an abort:
        # its upstream call must stop). The answer's first bytes go out now; a closed socket answers
        # them with a reset, which `_probe_client` sees. A half-closed client just has them early.
        self.write(ANSWER_PREFIX)
        self._prefix_sent = True
        asyncio.get_running_loop().call_later(0.05, self._probe_client, 0.05)
        return True

    def _probe_client(self, delay: float) -> None:
        transport = self.transport
        if transport is None or transport.is_closing() or self.task is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.abort()  # reset: the client has gone, and `connection_lost` stops its upstream call
        elif self.answer is None or not self.answer.head_sent:
            delay = min(delay * 2, 1.0)
            asyncio.get_running_loop().call_later(delay, self._probe_client, delay)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.leave(self)
        if self._lingering is not None:
            self._lingering.cancel()
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
        if self._prefix_sent and data.startswith(ANSWER_PREFIX):
            self._prefix_sent = False
            data = data[len(ANSWER_PREFIX):]
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send_error(self, protocol: str, failure: ProxyError, *, close: bool) -> None:
        self.write(error_answer(protocol, failure, close=close))


    def check_deadlines(self, now: float) -> None:
        """Close the connection when a head is too slow or it has been idle too long (see `guard`)."""
        if self.task is not None or self._lingering is not None:
            return
        if self._pending is not None:  # an authenticated body arriving: as slow as it likes, but not silent
            if now - self.last_active > IDLE_SECONDS:
                self.close()
        elif self.buffer:
            if now - self.head_started > HEAD_SECONDS:
                self.abort()
        elif now - self.last_active > (IDLE_SECONDS if self.served else HEAD_SECONDS):
            self.close()

    def refuse_on_head(self, protocol: str, failure: ProxyError) -> None:
        """Answer now and close, without reading the body the head announced: what the client still
        sends is discarded for `LINGER_SECONDS` (so it can read the answer), then the connection is cut."""
        self._pending = None
        self.buffer.clear()
        self.send_error(protocol, failure, close=True)
        self.closing = True
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self._read_paused:
            self._read_paused = False
            transport.resume_reading()
        if transport.can_write_eof():
            transport.write_eof()
        self._lingering = asyncio.get_running_loop().call_later(LINGER_SECONDS, self.abort)

    # requests -------------------------------------------------------------------------------------

    def _take_request(self) -> None:
        """Start serving the next buffered request, if it is all here (refusals are answered at once)."""
        while not self.closing and self.task is None:
            if self._pending is None:
                end = self.buffer.find(b"\r\n\r\n", max(0, self._scanned - 3))
                if end < 0:
                    if self.buffer.find(b"\n\n", max(0, self._scanned - 1)) >= 0:
                        self._refuse_bare_newlines()
                        return
                    self._scanned = len(self.buffer)
                    if len(self.buffer) > HEAD_LIMIT:
                        self._hand_off()
                    return
                if self.buffer.find(b"\n\n", 0, end) >= 0:
                    self._refuse_bare_newlines()
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
                if isinstance(target, Target):
                    self.guard.prove(self)
                    record = self.lane.begin(head, target)
                else:
                    record = None
                self._pending = (head, target, record)
            head, target, record = self._pending
            size = head.size + head.content_length
            if len(self.buffer) < size:
                if isinstance(target, Refusal):
                    self.refuse_on_head(target.protocol, target.failure)  # never buffer a refused upload
                return
            body = bytes(self.buffer[head.size:size])
            del self.buffer[:size]
            self._pending = None
            self.closing = head.close
            if isinstance(target, Refusal):
                # No token, no keep-alive: a connection that never proved itself is not kept (see `guard`).
                self.send_error(target.protocol, target.failure, close=True)
                self.close()
                return
            assert record is not None
            self.task = self.lane.serve(self, head, body, target, record)
            self.task.add_done_callback(self._served)

    def _refuse_bare_newlines(self) -> None:
        """A head whose lines end in a bare LF: 400 and close (waiting for a CRLF one would hang)."""
        line = bytes(self.buffer[:self.buffer.find(b"\n")])
        parts = line.split(b" ")
        path = parts[1].decode("latin-1") if len(parts) > 1 else "/"
        self.send_error(guess_protocol_of(path, {}, {}), ProxyError(
            400, "malformed request head: its lines must end in CRLF, not a bare LF", "invalid_request_error"),
            close=True)
        self.buffer.clear()
        self.close()

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
        self.served = True
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
        if self.half_closed and self.task is None:
            self.close()  # everything the client sent before its shutdown is answered

    def _hand_off(self) -> None:
        """Give the connection, and what it has sent so far, to aiohttp; `HandedOver` keeps the lane's
        deadlines and bound on it."""
        transport = self.transport
        assert transport is not None
        handler = self.aiohttp_protocol()
        watched = HandedOver(handler, self.guard, transport, served=self.served)
        self.guard.replace(self, watched)
        transport.set_protocol(watched)
        handler.connection_made(transport)
        watched.attach()
        if self.writing_paused:
            handler.pause_writing()
        if self.buffer:
            data = bytes(self.buffer)
            self.buffer.clear()
            watched.begin_head(self.head_started, data)  # the deadline counts from the head's first byte
            watched.data_received(data)


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
        self.guard = ConnectionGuard()
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self) -> None:
        await super().start()
        assert self._runner.server is not None
        aiohttp_protocol = aiohttp_protocol_factory(self._runner.server)
        lane, guard, max_body = self._lane, self.guard, self._max_body
        self._server = await asyncio.get_running_loop().create_server(
            lambda: FrontConnection(lane, guard, max_body, aiohttp_protocol), sock=self._sock,
            backlog=self._backlog)
        self._sweeper = asyncio.create_task(self._enforce_deadlines())

    async def _enforce_deadlines(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            self.guard.sweep(time.monotonic())

    async def stop(self) -> None:
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        await super().stop()  # no new connections
        deadline = time.monotonic() + self._grace
        while True:
            for connection in list(self.guard):
                connection.closing = True
                if not connection.busy:
                    connection.close()
            busy = [connection for connection in self.guard if connection.busy]
            if not busy or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        tasks = [connection.task for connection in self.guard if connection.task is not None]
        for connection in list(self.guard):
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
