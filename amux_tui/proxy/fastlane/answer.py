"""Writing answers to a lane client: a relayed upstream answer as it is parsed, or an error.

`RelayedAnswer` keeps what `relay.relay` does on aiohttp: the upstream's status and headers
minus hop-by-hop ones, body bytes untouched; an event stream always goes out chunked (so a
failure can end it with the protocol's error event); a plain answer with a known length up to
`WHOLE_BODY_LIMIT` is held until complete and written at once (one packet for a small answer,
and an answer cut mid-body becomes a clean 502 instead of a truncated 200).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING

from ..errors import ProxyError, is_redirect, redirect_failure, stream_error_event
from ..protocols.errors import error_body
from ..traffic import RequestRecord
from ..upstream import HOP_BY_HOP, WHOLE_BODY_LIMIT

if TYPE_CHECKING:
    from .front import FrontConnection
    from .pool import UpstreamConnection

_NOT_RELAYED = frozenset(name.encode() for name in HOP_BY_HOP)


class RelayedAnswer:
    """An `AnswerSink` writing the upstream's answer to the client, captured for the record."""

    __slots__ = ("front", "record", "protocol", "close", "chunked", "is_sse", "head_sent", "ended", "upstream",
                 "_out", "_held")

    def __init__(self, front: FrontConnection, record: RequestRecord, protocol: str, *, close: bool):
        self.front = front
        self.record = record
        self.protocol = protocol
        self.close = close
        self.chunked = self.is_sse = self.head_sent = self.ended = False
        self.upstream: UpstreamConnection | None = None
        self._out: list[bytes] = []
        self._held: list[bytes] | None = None
        """Head and body of an answer written only once complete."""

    def attach(self, upstream: UpstreamConnection | None) -> None:
        """The connection the answer comes from: paused at once if the client is not reading."""
        self.upstream = upstream
        if upstream is not None and self.front.writing_paused:
            upstream.pause_reading()

    def answer_head(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], framed: bool) -> None:
        record = self.record
        if is_redirect(status):  # never relayed: see `errors.redirect_failure` (raised out of the parser)
            location = next((value for name, value in headers if name.lower() == b"location"), None)
            raise redirect_failure(status, location.decode("latin-1") if location is not None else None,
                                   record.upstream_url or "")
        record.first_byte()
        record.status = status
        lines = [b"HTTP/1.1 %d %s" % (status, reason or phrase(status).encode())]
        length = None
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-type":
                self.is_sse = value.split(b";", 1)[0].strip().lower() == b"text/event-stream"
            elif lowered == b"content-length":
                length = value.strip()
            if lowered not in _NOT_RELAYED:
                lines.append(name + b": " + value)
        bodyless = status in (204, 304)
        self.chunked = not bodyless and (framed or self.is_sse)
        if self.chunked:
            lines.append(b"Transfer-Encoding: chunked")
        elif length is not None:
            lines.append(b"Content-Length: " + length)
        if self.close:
            lines.append(b"Connection: close")
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        if not self.chunked and not bodyless and length is not None and length.isdigit() \
                and int(length) <= WHOLE_BODY_LIMIT:
            self._held = [head]
            return
        self.head_sent = True
        self._out.append(head)

    def answer_body(self, data: bytes) -> None:
        if not data:
            return
        if self._held is not None:
            self._held.append(data)
            return
        self.record.response.add(data)
        self._out.append(b"%x\r\n%b\r\n" % (len(data), data) if self.chunked else data)

    def answer_end(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            self.head_sent = True
            for piece in held[1:]:
                self.record.response.add(piece)
            self._out.append(b"".join(held))
        elif self.chunked:
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
    head = [f"HTTP/1.1 {failure.status} {phrase(failure.status)}", "Content-Type: application/json",
            f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in failure.headers.items()]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
