"""Serving a request the fast lane took (`routes`): the same record, request and errors as the
aiohttp routes, without their per-request machinery.

`FastLane.serve` records the request as `inbound.passthrough` / `exchange.forward` do, builds the
upstream request with the same helpers (`upstream.passthrough_headers`,
`exchange.same_protocol_request`), sends it on a pooled connection (`pool`) and writes the answer
through a `RelayedAnswer` (`answer`). Failures map through `errors.upstream_failure`, as on aiohttp.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
import traceback
from typing import TYPE_CHECKING

from multidict import CIMultiDict

from ..errors import ProxyError, scrub, upstream_failure
from ..exchange import choose_model, parse_object, same_protocol_request
from ..sessions import Session, SessionTable
from ..traffic import RequestRecord, redact_headers, redact_url
from ..upstream import HOP_BY_HOP, RETRY_WINDOW, USER_AGENT, passthrough_headers, timeout_for
from ..usage import record_usage
from .answer import RelayedAnswer
from .head import RequestHead
from .pool import UpstreamClosed, UpstreamConnection, UpstreamMalformed, UpstreamPool, UpstreamTimeout
from .routes import Refusal, Target, route_request

if TYPE_CHECKING:
    from .front import FrontConnection

log = logging.getLogger("amux_tui.proxy")

_UPSTREAM_FAILURES = (UpstreamClosed, UpstreamTimeout, UpstreamMalformed, ssl.SSLError, OSError)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class FastLane:
    """Routing and serving for the fast lane of one proxy app."""

    def __init__(self, sessions: SessionTable, pool: UpstreamPool, protocol_segments: frozenset[str]):
        self.sessions = sessions
        self.pool = pool
        self.protocol_segments = protocol_segments
        """First path segments the protocol routes own (``v1``, ``v1beta``, ``messages``...)."""
        self.relayed = 0
        """Requests taken here (a figure for tests: the lane must not be bypassed unnoticed)."""

    def route(self, head: RequestHead) -> Target | Refusal | None:
        """Where ``head``'s request goes, its refusal, or None when it is aiohttp's."""
        return route_request(self.sessions, self.protocol_segments, head)

    def begin(self, head: RequestHead, target: Target) -> RequestRecord:
        """The request's record, in its session's log from the moment its head is read (as on aiohttp:
        the upload counts in its duration, and a client that leaves mid-upload is recorded). Its
        redacted headers come with `note_headers`, once the request is on its way."""
        record = RequestRecord(route=f"{head.method} {redact_url(head.shown_target)}", inbound=target.protocol)
        self.relayed += 1
        return target.session.traffic.begin(record)

    @staticmethod
    def note_headers(record: RequestRecord, head: RequestHead) -> None:
        if not record.request_headers:
            record.request_headers = redact_headers(head.headers)

    def serve(self, front: FrontConnection, head: RequestHead, body: bytes, target: Target,
              record: RequestRecord) -> asyncio.Task[None]:
        """Relay one request; its record (from `begin`) is finished however this ends.

        The request goes upstream before this returns when a pooled connection is idle (most of the
        time): the bookkeeping, and the task that waits for the answer, come after it, not before."""
        answer = front.answer = RelayedAnswer(front, record, target.protocol, close=head.close)
        sent: tuple[UpstreamConnection, asyncio.Future[None], float] | None = None
        prepared: tuple[bytes, bytes] | Exception
        try:
            prepared = self._upstream_request(head, body, target, record)
        except Exception as exc:  # noqa: BLE001 - a 400, or a bug: `_serve` answers either in the caller's format
            prepared = exc
        else:
            connection = self.pool.take_idle(target.scheme, target.host, target.port)
            if connection is not None:
                answer.attach(connection)
                done = connection.send(*prepared, answer, _read_timeout(target.session))
                sent = (connection, done, time.monotonic())
        self.note_headers(record, head)
        task = asyncio.get_running_loop().create_task(self._serve(front, head, target, record, answer, prepared, sent))
        task.add_done_callback(lambda _: self._never_started(target, record, sent))
        return task

    def _never_started(self, target: Target, record: RequestRecord,
                       sent: tuple[UpstreamConnection, asyncio.Future[None], float] | None) -> None:
        """A task cancelled before its first step never ran `_serve`'s clean-up: do it here."""
        if record.in_flight:
            target.session.traffic.finish(record, status=499, error="the client went away")
            if sent is not None:
                self.pool.discard(sent[0])

    async def _serve(self, front: FrontConnection, head: RequestHead, target: Target, record: RequestRecord,
                     answer: RelayedAnswer, prepared: tuple[bytes, bytes] | Exception,
                     sent: tuple[UpstreamConnection, asyncio.Future[None], float] | None) -> None:
        session, protocol = target.session, target.protocol
        status: int | None = None
        error: str | None = None
        try:
            try:
                if isinstance(prepared, Exception):
                    raise prepared
                await self._exchange(target, *prepared, answer, sent)
            except ProxyError as failure:
                front.send_error(protocol, failure, close=head.close)
                status, error = failure.status, failure.message
                return
            except _UPSTREAM_FAILURES as exc:
                failure = upstream_failure(exc, record.upstream_url or "")
                error = failure.message
                if answer.head_sent:
                    answer.fail(failure)
                else:
                    front.send_error(protocol, failure, close=head.close)
                    status = failure.status
            if answer.head_sent:
                if (record.status or 0) >= 400 and error is None:
                    error = record.response.data()[:500].decode("utf-8", "replace")
                record_usage(record, answer.is_sse)
        except asyncio.CancelledError:
            status, error = 499, "the client went away"
            if sent is not None and not sent[1].done():
                self.pool.discard(sent[0])  # sent, never awaited: the connection carries a dead exchange
            raise
        except Exception as exc:  # noqa: BLE001 - as the error middleware: never a traceback to the client
            details = scrub("".join(traceback.format_exception(exc)), self.sessions.secrets_to_redact())
            log.error("proxy bug while relaying %s %s:\n%s", head.method, redact_url(head.path), details)
            status, error = 500, f"internal error: {type(exc).__name__}"
            if answer.head_sent:
                front.close()
            else:
                front.send_error(protocol, ProxyError(500, f"amux proxy internal error ({type(exc).__name__}); "
                                                           "see amux's log"), close=head.close)
        finally:
            session.traffic.finish(record, status=status, error=error)

    def _upstream_request(self, head: RequestHead, body: bytes, target: Target,
                          record: RequestRecord) -> tuple[bytes, bytes]:
        """Head bytes and body of the upstream request, with the record filled in as the aiohttp route
        fills it."""
        session, route = target.session, target.route
        if route is None:
            record.upstream, record.model = "passthrough", session.model
            record.cost_model, record.pricing = session.provider.litellm_model(session.model), session.provider.pricing
            record.request_body = record.upstream_body = body or None
            url, headers, data = target.url, passthrough_headers(session.provider, head.headers), body
        else:
            record.request_body = body
            parsed = parse_object(body)
            model = choose_model(session, record, route.inbound, parsed, route.url_model)
            if route.action is None:
                record.cost_model = session.provider.litellm_model(model)
                record.pricing = session.provider.pricing
                record.stream = route.url_stream or parsed.get("stream") is True
            url, headers, data = same_protocol_request(
                session, record, inbound=route.inbound, raw=body, body=parsed, model=model, stream=record.stream,
                action=route.action, client_headers=head.headers, client_query=head.query_items())
            record.upstream_body = data
        record.upstream_url = redact_url(url)
        return request_head(head.method, url, target.host_header, headers, data), data

    async def _exchange(self, target: Target, request_head: bytes, body: bytes, answer: RelayedAnswer,
                        sent: tuple[UpstreamConnection, asyncio.Future[None], float] | None) -> None:
        """Wait for the answer to what `serve` sent on a pooled connection, or send on a new one; once
        more on a new one when a reused connection closes unanswered right away (a keep-alive timeout
        racing our write, as `upstream.send_upstream`)."""
        session = target.session
        for attempt in (1, 2):
            if sent is not None and attempt == 1:
                connection, done, sent_at = sent
                reused = True
            else:
                connection = await self.pool.connect(target.scheme, target.host, target.port,
                                                     _connect_timeout(session))
                answer.attach(connection)
                done, sent_at, reused = connection.send(request_head, body, answer, _read_timeout(session)), \
                    time.monotonic(), False
            try:
                await connection.wait(done)
            except UpstreamClosed:
                self.pool.discard(connection)
                if reused and connection.bytes_seen == 0 and time.monotonic() - sent_at < RETRY_WINDOW:
                    continue
                raise
            except BaseException:
                self.pool.discard(connection)
                raise
            finally:
                answer.attach(None)
            self.pool.release(connection)
            return


def _read_timeout(session: Session) -> float:
    return timeout_for(session.params).sock_read or 600.0


def _connect_timeout(session: Session) -> float:
    return timeout_for(session.params).sock_connect or 10.0


def request_head(method: str, url: str, host_header: str, headers: CIMultiDict[str], body: bytes) -> bytes:
    """The request line and headers: the relayed headers, never a second framing header (a provider's
    ``extra_headers`` naming ``Host`` or ``Content-Length`` cannot smuggle a request onto a shared
    connection), aiohttp's ``Accept`` and an amux ``User-Agent`` when the client sent none."""
    path, _, query = url.partition("://")[2].partition("/")[2].partition("?")
    target = "/" + path + (f"?{query}" if query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}"]
    for name, value in headers.items():
        if name.lower() in HOP_BY_HOP:
            continue
        if not _TOKEN.fullmatch(name) or "\r" in value or "\n" in value:
            raise ProxyError(500, f"the {name!r} header for the provider is not a valid HTTP header: "
                                  "fix it in providers.json")
        lines.append(f"{name}: {value}")
    if "accept" not in headers:
        lines.append("Accept: */*")
    if "user-agent" not in headers:
        lines.append(f"User-Agent: {USER_AGENT}")
    if body or method in ("POST", "PUT", "PATCH", "DELETE"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
