"""Every failure becomes a well-formed error in the caller's own protocol.

What each failure becomes (status; the body is `protocols.error_body` of the caller's protocol,
keeping the provider's own message where there is one)::

    ProxyError                      raised by our own code: its status, message, type
    ├── bad request                 400 (malformed JSON, wrong types: `protocols.RequestError`)
    ├── missing / wrong token       401
    ├── unknown route / provider    404 (405 for a wrong method)
    ├── upstream said N             N   (401, 403, 404, 413, 429, 5xx ... message from its body)
    ├── upstream unreachable        502 (connection refused, DNS, TLS, reset before an answer)
    ├── upstream timed out          504
    └── mid-stream failure          the stream ends with the protocol's error event instead
    anything else (a bug)           500, logged with secrets scrubbed, never a traceback to the client
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp import web

from ..url_masking import mask_url
from .fastlane.pool import UpstreamClosed, UpstreamMalformed
from .protocols.errors import TranslationError, error_body, parse_error_body, upstream_error_details
from .protocols.sse import format_event
from .state import PROTOCOL, ROUTE_PROTOCOLS, SESSION, SESSIONS

log = logging.getLogger("amux_tui.proxy")


class ProxyError(Exception):
    """A failure with the status and message the client should see."""

    def __init__(self, status: int, message: str, error_type: str | None = None,
                 headers: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.headers = headers or {}
        """Headers worth passing on (an upstream's ``retry-after``)."""
        self.code = code
        """An OpenAI-family provider's own error code (``context_length_exceeded``)."""


def upstream_failure(exc: BaseException, where: str) -> ProxyError:
    """`_upstream_failure` with any URL in the message masked (aiohttp's own messages quote the URL)."""
    failure = _upstream_failure(exc, where)
    failure.message = mask_url(failure.message, "[redacted]")
    return failure


def _upstream_failure(exc: BaseException, where: str) -> ProxyError:
    """Map a client-side exception talking to ``where`` (a redacted URL) to what the caller sees:
    aiohttp's, or the fast lane's own (`fastlane.pool`) and the OS errors of connecting."""
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return ProxyError(504, f"the upstream {where} did not answer in time")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ProxyError(502, f"cannot connect to the upstream {where}: {exc.os_error.strerror or exc}")
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, UpstreamClosed)):
        return ProxyError(502, f"the upstream {where} closed the connection before the answer was complete")
    if isinstance(exc, UpstreamMalformed):
        return ProxyError(502, f"the upstream {where} failed: its answer cannot be relayed ({exc})")
    if isinstance(exc, aiohttp.ClientError):
        return ProxyError(502, f"the upstream {where} failed: {type(exc).__name__}: {exc}")
    if isinstance(exc, OSError):
        return ProxyError(502, f"cannot connect to the upstream {where}: {exc.strerror or exc}")
    return ProxyError(502, f"the upstream {where} failed: {type(exc).__name__}")


def is_redirect(status: int) -> bool:
    """An upstream answer that points elsewhere (304 Not Modified is not: it is an answer)."""
    return 300 <= status < 400 and status != 304


def redirect_failure(status: int, location: str | None, shown_url: str) -> ProxyError:
    """The 502 for an upstream redirect. The proxy never follows one: the provider's key (in
    ``x-api-key`` or ``x-goog-api-key``, which clients keep across hosts) and the body would go to
    whatever host it names. Only that host is shown, never the rest of the ``Location``."""
    host = None
    if location:
        try:
            host = urlsplit(urljoin(shown_url, location)).hostname
        except ValueError:
            host = None
    where = f"a redirect to {host}" if host else "a redirect without a usable Location"
    return ProxyError(502, f"the upstream {shown_url} answered {status}, {where}; amux does not follow upstream "
                           "redirects (the provider's key would go along): set api_base to the address that "
                           "answers without redirecting")


def unsupported_expectation(shown: str) -> ProxyError:
    """417 for an ``Expect`` other than ``100-continue`` (``shown``: its value, printable)."""
    return ProxyError(417, f"unsupported Expect header {shown!r}: only 100-continue is understood")


def upstream_status_error(upstream_protocol: str, status: int, body: bytes,
                          headers: Mapping[str, str] | None = None) -> ProxyError:
    """An upstream error answer, with its own message (and ``retry-after``) kept."""
    try:
        message = parse_error_body(upstream_protocol, body)
    except Exception:  # noqa: BLE001 - a parser bug must not hide the upstream's status
        message = body[:500].decode("utf-8", "replace")
    kept = {name: headers[name] for name in _KEPT_ERROR_HEADERS if headers and name in headers}
    code, retry_after = upstream_error_details(body)
    if retry_after is not None and "retry-after" not in kept:
        kept["retry-after"] = retry_after  # Gemini's RetryInfo.retryDelay, for clients that read the header
    return ProxyError(status, message or f"the upstream answered {status}", headers=kept, code=code)


_KEPT_ERROR_HEADERS = ("retry-after", "retry-after-ms")


def error_response(protocol: str, status: int, message: str, error_type: str | None = None,
                   headers: Mapping[str, str] | None = None, code: str | None = None) -> web.Response:
    body = error_body(protocol, status, message, error_type, code=code, retry_after=_retry_after(headers))
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json",
                        headers=headers)


def _retry_after(headers: Mapping[str, str] | None) -> str | None:
    """Seconds to wait, from ``retry-after`` or ``retry-after-ms`` (a Gemini caller gets RetryInfo)."""
    if not headers:
        return None
    if "retry-after" in headers:
        return headers["retry-after"]
    try:
        return f"{float(headers['retry-after-ms']) / 1000:g}" if "retry-after-ms" in headers else None
    except ValueError:
        return None


def stream_error_event(protocol: str, status: int, message: str) -> bytes:
    """The event that ends a relayed (untranslated) stream in ``protocol`` after a failure."""
    body = error_body(protocol, status, message)
    if protocol == "anthropic-messages":
        return format_event("error", _compact(body))
    if protocol == "openai-responses":
        error = body.get("error", {})
        # the nested error is what makes the openai SDK raise its APIError instead of a RuntimeError
        return format_event("error", _compact({"type": "error", "code": error.get("type"), "message": message,
                                               "param": None, "error": error}))
    done = b"data: [DONE]\n\n" if protocol == "openai-chat" else b""
    return format_event(None, _compact(body)) + done


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def guess_protocol(request: web.Request) -> str:
    """The caller's protocol when no route says it (unknown paths): from its path and headers."""
    return guess_protocol_of(request.path, request.headers, request.query)


_GEMINI_PATH = re.compile(r"^/v1(?:alpha|beta)/|/models/[^/]+:[A-Za-z]+$")


def guess_protocol_of(path: str, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
    """`guess_protocol` from the parts (``headers`` case-insensitive): the path first, then the key style."""
    if _GEMINI_PATH.search(path) or "x-goog-api-key" in headers or "key" in query:
        return "gemini"
    if "/messages" in path or "anthropic-version" in headers or "x-api-key" in headers:
        return "anthropic-messages"
    if path.rstrip("/").endswith("/responses"):
        return "openai-responses"
    return "openai-chat"


def caller_protocol(request: web.Request) -> str:
    protocol = request.get(PROTOCOL)
    if protocol:
        return protocol
    route = request.match_info.route
    return request.app[ROUTE_PROTOCOLS].get(route) or guess_protocol(request)


_API_VERSION = re.compile(r"^/v1(?:alpha|beta)?/models")


def route_listing(app: web.Application) -> str:
    """The routes the proxy serves, for the 404 of any other one: each once (the ``/v1``-less copies
    and Gemini's three API versions folded)."""
    seen: dict[str, None] = {}
    for resource in app.router.resources():
        path = resource.canonical
        if not path.startswith("/v1"):
            continue  # the copies without /v1, and the passthrough catch-all: named in words
        path = _API_VERSION.sub("/{version}/models", path).replace("{name}", "{model}")
        path = path.replace("{target}", "{model}:generateContent|streamGenerateContent|countTokens")
        for route in resource:
            if route.method != "HEAD":
                seen[f"{route.method} {path}"] = None
    return ", ".join(seen) + " ({version}: v1, v1beta or v1alpha; the OpenAI and Anthropic routes also without /v1)"


def unknown_route(request: web.Request, hint: str = "") -> ProxyError:
    """404 for a route the proxy does not serve, naming the ones it does (in the caller's format:
    `caller_protocol` infers it from the path and the key's header)."""
    return ProxyError(404, f"no such route: {request.method} {request.path}.{hint} The amux proxy serves "
                           f"{route_listing(request.app)}, and /{{provider}}/... passes the session's provider "
                           "API through.", "not_found_error")


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: turn every exception into an error response in the caller's protocol."""
    try:
        return await handler(request)
    except ProxyError as exc:
        response = error_response(caller_protocol(request), exc.status, exc.message, exc.error_type, exc.headers,
                                  exc.code)
        if SESSION not in request:
            # No token, no keep-alive (as on the lane): the body is not read, the connection not kept.
            response.force_close()
        return response
    except TranslationError as exc:
        return error_response(caller_protocol(request), exc.status, exc.message, exc.error_type)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = {404: unknown_route(request).message,
                   405: f"{request.method} is not allowed on {request.path}",
                   413: "the request body is too large"}.get(exc.status, exc.reason)
        response = error_response(caller_protocol(request), exc.status, message)
        if SESSION not in request:
            response.force_close()
        return response
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as exc:  # noqa: BLE001 - the whole point: nothing escapes as a traceback
        details = scrub("".join(traceback.format_exception(exc)), request.app[SESSIONS].secrets_to_redact())
        log.error("proxy bug while serving %s %s:\n%s", request.method, request.path, details)
        return error_response(caller_protocol(request), 500,
                              f"amux proxy internal error ({type(exc).__name__}); see amux's log")
