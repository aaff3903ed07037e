"""A connection the lane handed to aiohttp, still watched by the front (`guard`).

aiohttp has an idle keep-alive timeout but no deadline for a request head, no bound on connections
that never showed a token, and it closes a connection at the client's ``shutdown(SHUT_WR)`` before
answering. `HandedOver` sits between the transport and aiohttp's protocol: it forwards every event
and, from what it sees, applies the lane's rules (`guard`): a head must arrive within `HEAD_SECONDS`
of its first byte, an idle connection closes after `IDLE_SECONDS` (`HEAD_SECONDS` before a request
with a token was answered), it counts as unproven until a request shows a live token (`auth`),
and a half-closed client gets the answer to what it sent, then the close. A head aiohttp cannot parse
gets a 400 in the caller's format (`QuietRequestHandler`), not aiohttp's text quoting the head's bytes.
Only connections aiohttp serves pay for the extra call per event; the lane's own never see this class.

Whether aiohttp is between requests is read from its protocol (``_waiter``: a future it parks on
while waiting for the next request); if aiohttp stops exposing it, connections count as busy and no
deadline cuts them (tests/test_hardening_handover.py then fails).
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from ..errors import error_response, guess_protocol_of
from . import guard as limits

if TYPE_CHECKING:
    from .guard import ConnectionGuard

_CLOSE_POLL_SECONDS = 0.02
_SAMPLE_BYTES = 512
_QUOTED_TAIL = re.compile(r":\s*(?:\n|b['\"])|\s+b['\"]")
"""Where aiohttp's parse error messages start quoting the request's bytes."""
ANSWER_PREFIX = b"HTTP/1."
"""How every answer aiohttp writes begins (to an HTTP/1.0 or 1.1 request): sent early to a client that
shut down its sending side before its answer, to learn whether it is still there (as the lane does)."""


def body_unfinished(handler: Any) -> bool:
    """The request aiohttp serves still waits for body bytes: the one its handler runs
    (``_current_request``), else the last one parsed and queued (``_messages``); unknown counts as finished."""
    request = getattr(handler, "_current_request", None)
    if request is not None:
        return not request.content.is_eof()
    queued = getattr(handler, "_messages", None)
    return bool(queued) and not queued[-1][1].is_eof()


def aiohttp_idle(handler: Any) -> bool:
    """aiohttp's protocol is parked waiting for a request, and none has arrived."""
    waiter = getattr(handler, "_waiter", None)
    return waiter is not None and not waiter.done()


class HandedOver(limits.GuardedConnection, asyncio.Protocol):
    """The transport's protocol once aiohttp serves the connection (see the module docstring)."""

    task = None
    """Never a lane task (`FastLaneSite.stop` gathers those)."""

    def __init__(self, handler: asyncio.Protocol, guard: ConnectionGuard, transport: asyncio.Transport, *,
                 served: bool):
        self.handler = handler
        self.guard = guard
        self.transport: asyncio.Transport | None = transport
        self.served = served
        self.closing = False
        self.half_closed = False
        self.last_active = self.head_started = time.monotonic()
        self.head_pending = False
        """Bytes of a head arrived while aiohttp was between requests, and no whole request yet."""
        self.was_busy = True
        self.answer_started = False
        """aiohttp wrote bytes since the current request began."""
        self._prefix_sent = False
        self.head_sample = b""
        """The first bytes of the head being received (its request line names the caller's protocol)."""

    def attach(self) -> None:
        """Let aiohttp's writes pass through `_WatchedWrites` (it reads ``transport`` at each write)."""
        self.handler.transport = _WatchedWrites(self.transport, self)  # type: ignore[attr-defined]

    def malformed(self, status: int, text: str) -> web.Response:
        """The answer to a head aiohttp cannot parse: its plain-text 400 quotes the offending line (which may
        hold a token); the caller gets the reason alone, in the format its path suggests, then the close."""
        reason = _QUOTED_TAIL.split(text, maxsplit=1)[0].strip() or "unparseable request"
        request_line = self.head_sample.split(b"\r\n", 1)[0].split(b" ")
        path = request_line[1].decode("latin-1") if len(request_line) > 1 else "/"
        response = error_response(guess_protocol_of(path, {}, {}), status, f"malformed request head: {reason}",
                                  "invalid_request_error")
        response.force_close()
        return response

    def strip_prefix(self, data: bytes) -> bytes:
        """The answer's first write without the `ANSWER_PREFIX` that went out early (`eof_received`)."""
        self._prefix_sent = False  # only the first write can carry it
        return data[len(ANSWER_PREFIX):] if data.startswith(ANSWER_PREFIX) else data

    @property
    def busy(self) -> bool:
        return not aiohttp_idle(self.handler)

    # asyncio.Protocol: forwarded to aiohttp ---------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.last_active = now
        if not self.head_pending and not self.busy:
            self.begin_head(now, data)
        self.handler.data_received(data)
        if self.head_pending and getattr(self.handler, "_messages", None):
            self.head_pending = False  # a whole head (or aiohttp's error for it): aiohttp serves it now

    def begin_head(self, started: float, data: bytes) -> None:
        """A request head starts arriving (the front calls this for the one it hands over)."""
        self.head_pending, self.head_started = True, started
        self.answer_started = False
        self.head_sample = data[:_SAMPLE_BYTES]

    def eof_received(self) -> bool:
        """A client that shut down its sending side after a request still gets the answer (aiohttp
        alone closes at once); with nothing being served, or a body that can no longer arrive (its
        handler would wait for it forever), the connection closes now."""
        self.half_closed = True
        if not self.busy or self.answer_started or self.transport is None or body_unfinished(self.handler):
            return False  # idle, or mid-answer (a half-closing client does so before its answer): gone
        asyncio.get_running_loop().call_later(_CLOSE_POLL_SECONDS, self._watch, _CLOSE_POLL_SECONDS)
        return True

    def _watch(self, delay: float) -> None:
        """Until the answer is out: close once aiohttp is idle again, or its handler (started after the
        end of input) waits for body bytes; abort on a reset. A half-close or a client that has gone (its
        upstream call must stop) look alike: the answer's first bytes go out early; a closed socket
        answers them with a reset."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not self.busy:
            self.close()
            return
        if body_unfinished(self.handler):
            self.abort() if self._prefix_sent else self.close()
            return
        if not self._prefix_sent and not self.answer_started:
            transport.write(ANSWER_PREFIX)
            self._prefix_sent = True
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.abort()  # the client has gone: aiohttp cancels the handler and its upstream call
            return
        delay = min(delay * 2, 0.5)
        asyncio.get_running_loop().call_later(delay, self._watch, delay)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.leave(self)  # type: ignore[arg-type]
        self.transport = None
        self.handler.connection_lost(exc)

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()

    # for the front's guard ------------------------------------------------------------------------

    def check_deadlines(self, now: float) -> None:
        if self.busy:
            self.was_busy = True
            self.head_pending = False
            return
        if self.was_busy:  # an answer ended since the last sweep: idle time counts from now
            self.was_busy = False
            self.served = True
            self.last_active = max(self.last_active, now)
            return
        if self.head_pending:
            if now - self.head_started > limits.HEAD_SECONDS:
                self.abort()
        elif now - self.last_active > (limits.IDLE_SECONDS if self.served and self.proven else limits.HEAD_SECONDS):
            self.close()  # a connection that never showed a token is not kept waiting (as on the lane)

    @property
    def proven(self) -> bool:
        return self not in self.guard.unproven



class _WatchedWrites:
    """The transport as aiohttp's writer sees it: each write marks the answer started (and the first
    loses the `ANSWER_PREFIX` already sent, `HandedOver.strip_prefix`)."""

    def __init__(self, transport: Any, watcher: HandedOver):
        self._transport = transport
        self._watcher = watcher

    def write(self, data: bytes) -> None:
        watcher = self._watcher
        watcher.answer_started = True
        if watcher._prefix_sent:  # noqa: SLF001 - the two classes are one mechanism
            data = watcher.strip_prefix(bytes(data))
        self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class QuietRequestHandler(RequestHandler):
    """aiohttp's protocol, but a head it cannot parse is answered by `HandedOver.malformed`."""

    __slots__ = ()

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        transport = self.transport
        watcher = transport._watcher if isinstance(transport, _WatchedWrites) else None
        if watcher is not None and isinstance(exc, HttpProcessingError) and 400 <= status < 500:
            self.log_exception("Error handling request", exc_info=exc)  # one redacted line (`serverlog`)
            return watcher.malformed(status, message or str(exc))
        return super().handle_error(request, status, exc, message)


def aiohttp_protocol_factory(server: web.Server) -> Callable[[], asyncio.Protocol]:
    """What ``server()`` makes (`web.Server.__call__`), as a `QuietRequestHandler`."""
    loop, kwargs = server._loop, server._kwargs  # noqa: SLF001 - the arguments __call__ passes

    def make() -> asyncio.Protocol:
        return QuietRequestHandler(server, loop=loop, **kwargs)

    return make
