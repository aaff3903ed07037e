"""The byte relay: send a request upstream and stream the answer back untouched.

Used by the passthrough routes (``/{provider}/...``) and by every protocol route whose
provider speaks the caller's protocol, where only the credentials (and maybe the model name)
change. The client gets the upstream's status, headers and bytes as they arrive; the pooled
client session does not decompress, so even a gzip body is relayed byte for byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp
from aiohttp import web

from .errors import stream_error_event, upstream_failure
from .sessions import Session
from .state import HTTP
from .traffic import RequestRecord, redact_url
from .upstream import HOP_BY_HOP, WHOLE_BODY_LIMIT, send_upstream, timeout_for
from .usage import record_usage



async def relay(request: web.Request, session: Session, record: RequestRecord, *, method: str, url: str,
                headers: Mapping[str, str], body: bytes | None, protocol: str | None) -> web.StreamResponse:
    """Forward and relay. ``protocol`` (the caller's, which the upstream also speaks) decides the
    error event that ends a stream broken mid-way; None for raw passthrough of unknown content."""
    shown_url = redact_url(url)
    record.upstream_url = shown_url
    record.upstream_body = body
    try:
        upstream = await send_upstream(request.app[HTTP], method, url, headers=headers, data=body,
                                       timeout=timeout_for(session.params))
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise upstream_failure(exc, shown_url) from None
    try:
        record.first_byte()
        record.status = upstream.status
        is_sse = upstream.content_type == "text/event-stream"
        if not is_sse and upstream.content_length is not None and upstream.content_length <= WHOLE_BODY_LIMIT:
            return await _relay_whole(upstream, record, shown_url)
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        _copy_headers(upstream, response)
        if upstream.content_length is not None and not is_sse:
            response.content_length = upstream.content_length
        await response.prepare(request)
        capture = record.response
        try:
            async for chunk in upstream.content.iter_any():
                capture.add(chunk)
                await response.write(chunk)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            failure = upstream_failure(exc, shown_url)
            record.error = failure.message
            if not (is_sse and protocol):
                # Not an event stream: the only honest signal is a connection cut before the end.
                if request.transport is not None:
                    request.transport.close()
                return response
            event = stream_error_event(protocol, failure.status, failure.message)
            capture.add(event)
            await response.write(event)
        await response.write_eof()
        if upstream.status >= 400 and record.error is None:
            record.error = capture.data()[:500].decode("utf-8", "replace")
        record_usage(record, is_sse)
        return response
    except BaseException:
        upstream.close()
        raise
    finally:
        upstream.release()  # back to the pool when the body was read to the end, else closed


def _copy_headers(upstream: aiohttp.ClientResponse, response: web.StreamResponse) -> None:
    for name, value in upstream.headers.items():
        if name.lower() not in HOP_BY_HOP:
            response.headers.add(name, value)


async def _relay_whole(upstream: aiohttp.ClientResponse, record: RequestRecord, shown_url: str) -> web.Response:
    try:
        body = await upstream.read()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise upstream_failure(exc, shown_url) from None
    response = web.Response(status=upstream.status, reason=upstream.reason, body=body)
    _copy_headers(upstream, response)
    record.response.add(body)
    if upstream.status >= 400:
        record.error = body[:500].decode("utf-8", "replace")
    record_usage(record, False)
    return response

