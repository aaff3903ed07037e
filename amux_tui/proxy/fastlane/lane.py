"""Serving a request the fast lane took (`routes`): the same record, relay and errors as the
aiohttp routes, without their per-request machinery.

`FastLane.serve` records the request as `inbound.passthrough` / `exchange.forward` do, relays
it over a pooled connection (`pool`) and writes the answer through a `RelayedAnswer`: the
upstream's status and headers (minus hop-by-hop ones) and its body bytes untouched, re-framed as
chunks when the upstream chunked them or sent no length.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from http import HTTPStatus
from typing import TYPE_CHECKING

from multidict import CIMultiDict

from ..errors import ProxyError, scrub, stream_error_event
from ..exchange import choose_model, parse_object, same_protocol_request
from ..protocols.errors import error_body
from ..sessions import Session, SessionTable
from ..traffic import RequestRecord, redact_headers, redact_url
from ..upstream import HOP_BY_HOP, passthrough_headers, timeout_for
from ..usage import record_usage
from .head import RequestHead
from .pool import UpstreamClosed, UpstreamConnection, UpstreamMalformed, UpstreamPool, UpstreamTimeout
from .routes import Refusal, Target, route_request

if TYPE_CHECKING:
    from .front import FrontConnection

log = logging.getLogger("amux_tui.proxy")

_NOT_RELAYED = frozenset(name.encode() for name in HOP_BY_HOP)
_UPSTREAM_FAILURES = (UpstreamClosed, UpstreamTimeout, UpstreamMalformed, OSError)


class FastLane:
    """Routing and serving for the fast lane of one proxy app."""

    def __init__(self, sessions: SessionTable, pool: UpstreamPool, protocol_segments: frozenset[str]):
        self.sessions = sessions
        self.pool = pool
        self.protocol_segments = protocol_segments
        """First path segments the protocol routes own (``v1``, ``v1beta``, ``messages``...)."""
        self.relayed = 0
        """Requests served here (a figure for tests and benches: the lane must not be bypassed unnoticed)."""

    def route(self, head: RequestHead) -> Target | Refusal | None:
        """Where ``head``'s request goes, its refusal, or None when it is aiohttp's."""
        return route_request(self.sessions, self.protocol_segments, head)

    async def serve(self, front: FrontConnection, head: RequestHead, body: bytes, target: Target) -> None:
        """Relay one request and record it in its session's traffic log."""
        session, protocol = target.session, target.protocol
        record = RequestRecord(route=f"{head.method} {redact_url(head.target)}", inbound=protocol,
                               request_headers=redact_headers(head.headers))
        self.relayed += 1
        session.traffic.begin(record)
        answer = front.answer = RelayedAnswer(front, record, protocol, close=head.close)
        shown_url = ""
        try:
            request = self._upstream_request(head, body, target, record)
            shown_url = record.upstream_url or ""
            await self._exchange(target, request, answer, session)
        except _UPSTREAM_FAILURES as exc:
            failure = _failure(exc, shown_url)
            if answer.head_sent:
                answer.fail(failure)
                session.traffic.finish(record, error=failure.message)
            else:
                front.send_error(protocol, failure, close=head.close)
                session.traffic.finish(record, status=failure.status, error=failure.message)
            return
        except ProxyError as failure:  # a malformed body (400), a provider header that cannot be sent
            front.send_error(protocol, failure, close=head.close)
            session.traffic.finish(record, status=failure.status, error=failure.message)
            return
        except (asyncio.CancelledError, ConnectionResetError):
            session.traffic.finish(record, status=499, error="the client went away")
            raise
        except Exception as exc:  # noqa: BLE001 - as the error middleware: never a traceback to the client
            details = scrub("".join(traceback.format_exception(exc)), self.sessions.secrets_to_redact())
            log.error("proxy bug while relaying %s %s:\n%s", head.method, redact_url(head.target), details)
            session.traffic.finish(record, status=500, error=f"internal error: {type(exc).__name__}")
            failure = ProxyError(500, f"amux proxy internal error ({type(exc).__name__}); see amux's log")
            if answer.head_sent:
                front.close()
            else:
                front.send_error(protocol, failure, close=head.close)
            return
        if record.status is not None and record.status >= 400 and record.error is None:
            record.error = record.response.data()[:500].decode("utf-8", "replace")
        record_usage(record, answer.is_sse)
        session.traffic.finish(record, status=record.status)

    def _upstream_request(self, head: RequestHead, body: bytes, target: Target, record: RequestRecord) -> bytes:
        """The bytes to send, with the record filled in as the aiohttp route fills it."""
        session, route = target.session, target.route
        if route is None:
            record.upstream, record.model = "passthrough", session.model
            record.request_body = record.upstream_body = body or None
            headers = passthrough_headers(session.provider, head.headers)
            data = body
        else:
            record.request_body = body
            parsed = parse_object(body)
            model = choose_model(session, record, route.inbound, parsed, route.url_model)
            if route.action is None:
                record.cost_model = session.provider.litellm_model(model)
                record.stream = route.url_stream or parsed.get("stream") is True
            target.url, headers, data = same_protocol_request(
                session, record, inbound=route.inbound, raw=body, body=parsed, model=model, stream=record.stream,
                action=route.action, client_headers=head.headers, client_query=head.query_items())
            record.upstream_body = data
        record.upstream_url = redact_url(target.url)
        return upstream_request(head.method, target, headers, data)

    async def _exchange(self, target: Target, request: bytes, answer: RelayedAnswer, session: Session) -> None:
        """Send on a pooled connection; once more on a new one when a reused connection turns out to
        have been closed by the server before it answered (as `upstream.send_upstream` does)."""
        timeout = timeout_for(session.params)
        connect_timeout = timeout.sock_connect or 10.0
        read_timeout = timeout.sock_read or 600.0
        for attempt in (1, 2):
            connection, reused = await self.pool.acquire(target.scheme, target.host, target.port, connect_timeout)
            answer.upstream = connection
            try:
                await connection.exchange(request, answer, read_timeout)
            except UpstreamClosed:
                self.pool.discard(connection)
                if reused and attempt == 1 and connection.bytes_seen == 0:
                    continue
                raise
            except BaseException:
                self.pool.discard(connection)
                raise
            finally:
                answer.upstream = None
            self.pool.release(connection)
            return


def upstream_request(method: str, target: Target, headers: CIMultiDict[str], body: bytes) -> bytes:
    """The request's bytes: HTTP/1.1, the provider's host, the relayed headers, the body as is."""
    lines = [f"{method} {target.request_target()} HTTP/1.1", f"Host: {target.host_header}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ProxyError(500, f"the {name} header for the provider contains a line break: fix it in providers.json")
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def _failure(exc: BaseException, where: str) -> ProxyError:
    """Failures mapped as `errors.upstream_failure` maps aiohttp's."""
    if isinstance(exc, (UpstreamTimeout, TimeoutError)):
        return ProxyError(504, f"the upstream {where} did not answer in time")
    if isinstance(exc, UpstreamClosed):
        return ProxyError(502, f"the upstream {where} closed the connection before the answer was complete")
    if isinstance(exc, UpstreamMalformed):
        return ProxyError(502, f"the upstream {where} failed: its answer is not valid HTTP ({exc})")
    if isinstance(exc, OSError):
        return ProxyError(502, f"cannot connect to the upstream {where}: {exc.strerror or exc}")
    return ProxyError(502, f"the upstream {where} failed: {type(exc).__name__}")


class RelayedAnswer:
    """An `AnswerSink` writing the upstream's answer to the client as it is parsed, captured for the record."""

    __slots__ = ("front", "record", "protocol", "close", "chunked", "is_sse", "head_sent", "ended", "upstream",
                 "_out")

    def __init__(self, front: FrontConnection, record: RequestRecord, protocol: str, *, close: bool):
        self.front = front
        self.record = record
        self.protocol = protocol
        self.close = close
        self.chunked = self.is_sse = self.head_sent = self.ended = False
        self.upstream: UpstreamConnection | None = None
        self._out: list[bytes] = []

    def answer_head(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], chunked: bool) -> None:
        record = self.record
        record.first_byte()
        record.status = status
        lines = [b"HTTP/1.1 %d %s" % (status, reason or _phrase(status).encode())]
        length = None
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-type":
                self.is_sse = value.split(b";", 1)[0].strip().lower() == b"text/event-stream"
            elif lowered == b"content-length":
                length = value
            if lowered not in _NOT_RELAYED:
                lines.append(name + b": " + value)
        if chunked:
            lines.append(b"Transfer-Encoding: chunked")
        elif length is not None:
            lines.append(b"Content-Length: " + length)
        if self.close:
            lines.append(b"Connection: close")
        self.chunked = chunked
        self.head_sent = True
        self._out.append(b"\r\n".join(lines) + b"\r\n\r\n")

    def answer_body(self, data: bytes) -> None:
        if not data:
            return
        self.record.response.add(data)
        if self.chunked:
            self._out.append(b"%x\r\n%b\r\n" % (len(data), data))
        else:
            self._out.append(data)

    def answer_end(self) -> None:
        if self.chunked:
            self._out.append(b"0\r\n\r\n")
        self.ended = True

    def flush(self) -> None:
        if self._out:
            self.front.write(b"".join(self._out))
            self._out.clear()

    def fail(self, failure: ProxyError) -> None:
        """The upstream failed after the head went out: end an event stream with the protocol's error
        event; anything else can only be cut, which the client sees as an incomplete answer."""
        self.flush()
        if self.ended:
            return
        if self.is_sse and self.chunked:
            event = stream_error_event(self.protocol, failure.status, failure.message)
            self.record.response.add(event)
            self.front.write(b"%x\r\n%b\r\n0\r\n\r\n" % (len(event), event))
            self.ended = True
        else:
            self.front.close()


def error_answer(protocol: str, failure: ProxyError, *, close: bool) -> bytes:
    """A whole error answer in the caller's protocol, as `errors.error_response` makes it."""
    body = json.dumps(error_body(protocol, failure.status, failure.message, failure.error_type)).encode()
    head = [f"HTTP/1.1 {failure.status} {_phrase(failure.status)}", "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in failure.headers.items()]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
