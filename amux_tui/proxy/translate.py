"""The translating path: the caller speaks one protocol, the provider another.

Request: `protocols.translate_request` into the provider's preferred API, one JSON encode, one
upstream call. Answer: an error status becomes the caller's error (provider message kept); a
stream goes chunk by chunk through a `protocols.StreamTranslator`; a full body through
`protocols.translate_response`. A failure after the stream started ends it with the caller's
error event (`StreamTranslator.fail`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web

from . import protocols
from .errors import ProxyError, upstream_failure, upstream_status_error
from .model_facts import options_for
from .protocols.errors import TranslationError
from .sessions import Session
from .state import HTTP
from .traffic import RequestRecord, redact_url
from .upstream import protocol_request_headers, read_capped, send_upstream, timeout_for, upstream_url
from .usage import cache_from_object, model_from_object, usage_from_object

MAX_ERROR_BODY = 1024 * 1024
SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
               "X-Accel-Buffering": "no"}


def upstream_protocol_for(session: Session, inbound: str) -> str:
    """The provider API a translated request goes to: its preferred one."""
    provider = session.provider
    if provider.primary_format is None:
        raise ProxyError(500, f"provider {provider.name!r} has no wire API (it should go through LiteLLM)")
    return provider.primary_format


def set_streaming(upstream_body: dict[str, Any], target: str, stream: bool) -> None:
    """Make the upstream body stream exactly when the caller's request does. A Gemini caller asks
    in its URL, which `translate_request` never sees; Gemini upstreams are told by their URL."""
    if target == "gemini":
        return
    if stream:
        upstream_body["stream"] = True
        if target == "openai-chat":
            upstream_body.setdefault("stream_options", {"include_usage": True})
    else:
        upstream_body.pop("stream", None)
        upstream_body.pop("stream_options", None)


def encode(body: Any) -> bytes:
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except ValueError as exc:
        raise ProxyError(400, f"the request cannot be encoded as JSON: {exc}") from None


async def translate_and_forward(request: web.Request, session: Session, record: RequestRecord, *, inbound: str,
                                body: dict[str, Any], model: str, stream: bool) -> web.StreamResponse:
    target = upstream_protocol_for(session, inbound)
    record.upstream = target
    report = protocols.TranslationReport()
    record.dropped = report.dropped
    options = await options_for(target, model, session.provider.litellm_model(model), session.translate_options)
    upstream_body = protocols.translate_request(body, source=inbound, target=target, model=model, report=report,
                                                options=options)
    set_streaming(upstream_body, target, stream)
    data = encode(upstream_body)
    record.upstream_body = data
    url = upstream_url(session.provider, target, model, stream=stream)
    shown_url = redact_url(url)
    record.upstream_url = shown_url
    try:
        upstream = await send_upstream(request.app[HTTP], "POST", url, data=data,
                                       headers=protocol_request_headers(session.provider, target),
                                       timeout=timeout_for(session.params))
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise upstream_failure(exc, shown_url) from None
    try:
        if upstream.status >= 400:
            raw = await upstream.content.read(MAX_ERROR_BODY)
            record.response.add(raw)
            raise upstream_status_error(target, upstream.status, raw, upstream.headers)
        if not stream:
            return await _translate_body(upstream, record, target=target, inbound=inbound, model=model,
                                         report=report, shown_url=shown_url)
        return await _translate_stream(request, upstream, record, target=target, inbound=inbound, model=model,
                                       report=report, shown_url=shown_url, include_usage=protocols.client_wants_usage(body, inbound))
    except BaseException:
        upstream.close()
        raise
    finally:
        upstream.release()


async def _translate_body(upstream: aiohttp.ClientResponse, record: RequestRecord, *, target: str, inbound: str,
                          model: str, report: Any, shown_url: str) -> web.Response:
    try:
        raw = await read_capped(upstream, shown_url)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise upstream_failure(exc, shown_url) from None
    record.first_byte()
    try:
        answer = json.loads(raw)
    except ValueError:
        raise ProxyError(502, f"the upstream {shown_url} answered with something that is not JSON: "
                              f"{raw[:200].decode('utf-8', 'replace')}") from None
    if not isinstance(answer, dict):
        raise ProxyError(502, f"the upstream {shown_url} answered with JSON that is not an object")
    translated = protocols.translate_response(answer, source=target, target=inbound, model=model, report=report)
    out = encode(translated)
    record.response.add(out)
    _usage_from_body(record, answer)
    record.status = 200
    return web.Response(body=out, content_type="application/json")


async def _translate_stream(request: web.Request, upstream: aiohttp.ClientResponse, record: RequestRecord, *,
                            target: str, inbound: str, model: str, report: Any,
                            shown_url: str, include_usage: bool) -> web.StreamResponse:
    translator = protocols.StreamTranslator(upstream=target, client=inbound, model=model, report=report,
                                            include_usage=include_usage)
    response = web.StreamResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    record.status = 200
    capture = record.response
    try:
        async for chunk in upstream.content.iter_any():
            out = translator.feed(chunk)
            if out:
                if record.ttfb_ms is None:
                    record.first_byte()
                capture.add(out)
                await response.write(out)
        tail = translator.finish()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        failure = upstream_failure(exc, shown_url)
        record.error = failure.message
        tail = translator.fail(failure.status, failure.message)
    except TranslationError as exc:
        record.error = exc.message
        tail = translator.fail(exc.status, exc.message, exc.error_type)
    if tail:
        capture.add(tail)
        await response.write(tail)
    await response.write_eof()
    _usage_from_translator(record, translator)
    return response


def _usage_from_translator(record: RequestRecord, translator: Any) -> None:
    usage = getattr(translator, "usage", None)
    if usage is None:
        return
    record.input_tokens = getattr(usage, "input_tokens", None)
    record.output_tokens = getattr(usage, "output_tokens", None)
    record.cache_read_tokens = getattr(usage, "cached_tokens", None)
    record.cache_write_tokens = getattr(usage, "cache_write_tokens", None)


def _usage_from_body(record: RequestRecord, answer: dict[str, Any]) -> None:
    record.input_tokens, record.output_tokens = usage_from_object(answer)
    record.cache_read_tokens, record.cache_write_tokens = cache_from_object(answer)
    record.reported_model = model_from_object(answer)
