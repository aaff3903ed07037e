"""One model request through a protocol route: read it, pick the model, record it, and send it
down one of three paths::

    provider.speaks(caller's API)  → relay_same_protocol                    (bytes through, key swapped)
    provider.via_litellm           → litellm_backend.complete_via_litellm   (translate to chat, LiteLLM)
    otherwise                      → translate.translate_and_forward        (our translators)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import CIMultiDict

from . import protocols
from .errors import ProxyError
from .protocols.errors import TranslationError
from .litellm_backend import complete_via_litellm
from .relay import relay
from .sessions import Session
from .state import RECORD, SESSION
from .traffic import RequestRecord, redact_headers, redact_url
from .translate import encode, translate_and_forward
from .upstream import protocol_request_headers, upstream_url


async def read_object(request: web.Request) -> tuple[bytes, dict[str, Any]]:
    """The request body as bytes and as a JSON object; 400 (caller's format) when it is not one."""
    raw = await request.read()
    return raw, parse_object(raw)


def parse_object(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object, or a 400 `ProxyError` saying what is wrong with it."""
    if not raw.strip():
        raise ProxyError(400, "the request body is empty: send a JSON object", "invalid_request_error")
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProxyError(400, f"the request body is not valid JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}", "invalid_request_error") from None
    except (ValueError, RecursionError):  # bad UTF-8, absurd nesting
        raise ProxyError(400, "the request body is not valid UTF-8 JSON", "invalid_request_error") from None
    if not isinstance(body, dict):
        raise ProxyError(400, f"the request body must be a JSON object, not {type(body).__name__}",
                         "invalid_request_error")
    return body


def new_record(request: web.Request, inbound: str) -> RequestRecord:
    return RequestRecord(route=f"{request.method} {redact_url(request.path_qs)}", inbound=inbound,
                         request_headers=redact_headers(request.headers))


async def recorded(request: web.Request, session: Session, record: RequestRecord,
                   work: Callable[[], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Run ``work`` with ``record`` in the session's traffic log, closing it however work ends."""
    traffic = session.traffic
    traffic.begin(record)
    request[RECORD] = record
    try:
        response = await work()
    except (ProxyError, TranslationError) as exc:
        traffic.finish(record, status=exc.status, error=exc.message)
        raise
    except (asyncio.CancelledError, ConnectionResetError):
        traffic.finish(record, status=499, error="the client went away")
        raise
    except web.HTTPException as exc:
        # aiohttp's own answers (413 for a body over the size limit...) are not proxy bugs.
        traffic.finish(record, status=exc.status, error=exc.reason)
        raise
    except BaseException as exc:
        traffic.finish(record, status=500, error=f"internal error: {type(exc).__name__}")
        raise
    traffic.finish(record, status=response.status)
    return response


def requested_model(body: dict[str, Any]) -> str | None:
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise ProxyError(400, f"model must be a string, not {type(model).__name__}", "invalid_request_error")
    return model


async def read_model_request(request: web.Request, session: Session, record: RequestRecord, inbound: str,
                             url_model: str | None) -> tuple[bytes, dict[str, Any], str]:
    """Read the body into ``record`` and pick the model: raw bytes, the object, the session's model.
    A body that is not a JSON object stays in the record too: the 400 is easier to debug with it."""
    raw = record.request_body = await request.read()
    body = parse_object(raw)
    return raw, body, choose_model(session, record, inbound, body, url_model)


def choose_model(session: Session, record: RequestRecord, inbound: str, body: dict[str, Any],
                 url_model: str | None) -> str:
    """The model to call (`Session.resolve_model` of the one asked for), noted in ``record``."""
    asked = url_model if inbound == "gemini" else requested_model(body)
    model = session.resolve_model(asked)
    record.requested_model, record.model = asked, model
    return model


async def forward(request: web.Request, inbound: str, *, url_model: str | None = None,
                  url_stream: bool = False) -> web.StreamResponse:
    """Serve a generation request in ``inbound`` (Gemini names its model and streaming in the URL)."""
    session = request[SESSION]
    record = new_record(request, inbound)

    async def work() -> web.StreamResponse:
        raw, body, model = await read_model_request(request, session, record, inbound, url_model)
        provider = session.provider
        record.cost_model, record.pricing = provider.litellm_model(model), provider.pricing
        if provider.speaks(inbound):
            # The upstream judges the body; streaming only matters for the record (and Gemini's URL).
            record.stream = url_stream or body.get("stream") is True
            return await relay_same_protocol(request, session, record, inbound=inbound, raw=raw, body=body,
                                             model=model, stream=record.stream)
        record.stream = stream = protocols.is_streaming(body, inbound, url_stream=url_stream)
        if provider.via_litellm:
            return await complete_via_litellm(request, session, record, inbound=inbound, body=body, model=model,
                                              stream=stream)
        return await translate_and_forward(request, session, record, inbound=inbound, body=body, model=model,
                                           stream=stream)

    return await recorded(request, session, record, work)


async def relay_same_protocol(request: web.Request, session: Session, record: RequestRecord, *, inbound: str,
                              raw: bytes, body: dict[str, Any], model: str, stream: bool,
                              action: str | None = None) -> web.StreamResponse:
    """The provider speaks the caller's API: relay, changing only credentials and the model name."""
    url, headers, data = same_protocol_request(session, record, inbound=inbound, raw=raw, body=body, model=model,
                                               stream=stream, action=action, client_headers=request.headers,
                                               client_query=request.query.items())
    return await relay(request, session, record, method="POST", url=url, headers=headers, body=data,
                       protocol=inbound)


def same_protocol_request(session: Session, record: RequestRecord, *, inbound: str, raw: bytes, body: dict[str, Any],
                          model: str, stream: bool, action: str | None, client_headers: Mapping[str, str],
                          client_query: Iterable[tuple[str, str]]) -> tuple[str, CIMultiDict[str], bytes]:
    """URL, headers and body of a same-protocol relay: the model name changes (in the URL for Gemini;
    in the body, re-encoded once, only when it differs), the credentials are the provider's, and
    the caller's query (``?beta=true``, ``alt=sse``, ``api-version``) is kept minus its ``key``."""
    record.upstream = inbound
    if inbound == "gemini":
        method = action or ("streamGenerateContent" if stream else "generateContent")
        data, url = raw, upstream_url(session.provider, "gemini", model, stream=False, action=method).partition("?")[0]
    else:
        data = raw if body.get("model") == model else encode({**body, "model": model})
        url = upstream_url(session.provider, inbound, model, stream=stream, action=action)
    query = [(name, value) for name, value in client_query if name != "key"]
    if query:
        url = f"{url}?{urlencode(query)}"
    return url, protocol_request_headers(session.provider, inbound, client_headers), data
