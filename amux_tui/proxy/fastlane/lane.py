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
from .pool import UpstreamClosed, UpstreamMalformed, UpstreamPool, UpstreamTimeout
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
        the upload counts in its duration, and a client that leaves mid-upload is recorded)."""
        record = RequestRecord(route=f"{head.method} {redact_url(head.shown_target)}", inbound=target.protocol,
                               request_headers=redact_headers(head.headers))
        self.relayed += 1
        return target.session.traffic.begin(record)

    async def serve(self, front: FrontConnection, head: RequestHead, body: bytes, target: Target,
                    record: RequestRecord) -> None:
        """Relay one request; its record (from `begin`) is finished however this ends."""
        session, protocol = target.session, target.protocol
        answer = front.answer = RelayedAnswer(front, record, protocol, close=head.close)
        status: int | None = None
        error: str | None = None
        try:
            try:
                head_bytes, data = self._upstream_request(head, body, target, record)
                await self._exchange(target, head_bytes, data, answer, session)
            except ProxyError as failure:  # a malformed body (400), a provider header that cannot be sent
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
            record.request_body = record.upstream_body = body or None
            url, headers, data = target.url, passthrough_headers(session.provider, head.headers), body
        else:
            record.request_body = body
            parsed = parse_object(body)
            model = choose_model(session, record, route.inbound, parsed, route.url_model)
            if route.action is None:
                record.cost_model = session.provider.litellm_model(model)
                record.stream = route.url_stream or parsed.get("stream") is True
            url, headers, data = same_protocol_request(
                session, record, inbound=route.inbound, raw=body, body=parsed, model=model, stream=record.stream,
                action=route.action, client_headers=head.headers, client_query=head.query_items())
            record.upstream_body = data
        record.upstream_url = redact_url(url)
        return request_head(head.method, url, target.host_header, headers, data), data

    async def _exchange(self, target: Target, request_head: bytes, body: bytes, answer: RelayedAnswer,
                        session: Session) -> None:
        """Send on a pooled connection; once more on a new one when a reused connection closes
        unanswered right away (a keep-alive timeout racing our write, as `upstream.send_upstream`)."""
        timeout = timeout_for(session.params)
        connect_timeout = timeout.sock_connect or 10.0
        read_timeout = timeout.sock_read or 600.0
        for attempt in (1, 2):
            connection, reused = await self.pool.acquire(target.scheme, target.host, target.port, connect_timeout,
                                                         fresh=attempt == 2)
            answer.attach(connection)
            sent = time.monotonic()
            try:
                await connection.exchange(request_head, body, answer, read_timeout)
            except UpstreamClosed:
                self.pool.discard(connection)
                if reused and attempt == 1 and connection.bytes_seen == 0 \
                        and time.monotonic() - sent < RETRY_WINDOW:
                    continue
                raise
            except BaseException:
                self.pool.discard(connection)
                raise
            finally:
                answer.attach(None)
            self.pool.release(connection)
            return


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
