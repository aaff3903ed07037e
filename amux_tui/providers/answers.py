"""Reading providers' HTTP answers: JSON or not, auth failure or not, and a short, safe summary of an
error (the key scrubbed, terminal control characters escaped) for messages and `--json` output."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import TYPE_CHECKING, Any

import httpx

from ..config.problems import printable
from .resolved import mask_secret

if TYPE_CHECKING:
    import ssl

# One SSL context for every probe client: building one loads the whole CA bundle (~30-40 ms of CPU),
# and httpx builds one per client (and per proxy mount) unless it is handed one. Keyed by the
# variables httpx reads when it builds its own, so SSL_CERT_FILE / SSL_CERT_DIR work as they do there.
_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()  # the context may be built in a worker thread (see `prepare_ssl_context`)


def _context_key() -> tuple[str | None, str | None]:
    return os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None


def shared_ssl_context() -> ssl.SSLContext:
    """The SSL context probe clients share, built on first use exactly as httpx builds its default
    (certifi's CA bundle, or $SSL_CERT_FILE / $SSL_CERT_DIR). Blocks while it is built: in the event
    loop, `await prepare_ssl_context()` first (or use `open_client`)."""
    key = _context_key()
    context = _contexts.get(key)
    if context is None:
        with _contexts_lock:
            context = _contexts.get(key)
            if context is None:
                context = _contexts[key] = httpx.create_ssl_context()
    return context


async def prepare_ssl_context() -> ssl.SSLContext:
    """The shared context, built in a worker thread when it is not there yet: OpenSSL loads the CA
    bundle without the GIL, so the event loop keeps painting and answering meanwhile."""
    context = _contexts.get(_context_key())
    if context is not None:
        return context
    return await asyncio.to_thread(shared_ssl_context)


def make_client(timeout: float) -> httpx.AsyncClient:
    """The client for probing providers, over the shared SSL context (built here if it is not yet:
    async code uses `open_client`). It honours HTTP(S)_PROXY, ALL_PROXY and NO_PROXY like any tool;
    proxy transports share the context too."""
    return httpx.AsyncClient(timeout=timeout, verify=shared_ssl_context())


async def open_client(timeout: float) -> httpx.AsyncClient:
    """`make_client`, with the shared SSL context built off the event loop first."""
    await prepare_ssl_context()
    return make_client(timeout)


def response_json(response: httpx.Response) -> Any | None:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return None


def is_auth_failure(response: httpx.Response) -> bool:
    """401/403, or Google's way of rejecting a key: 400 with reason API_KEY_INVALID."""
    if response.status_code in (401, 403):
        return True
    if response.status_code == 400:
        return "API_KEY_INVALID" in response.text
    return False


def error_summary(response: httpx.Response, secret: str | None = None) -> str:
    """``HTTP 401: invalid x-api-key`` from any provider's error body."""
    body = response_json(response)
    if body is not None:
        message = _message_in(body)
    else:
        lines = response.text.strip().splitlines()
        message = lines[0] if lines else ""
    summary = f"HTTP {response.status_code}"
    if message:
        summary += f": {scrub(message, secret)[:200]}"
    return summary


def scrub(text: str, secret: str | None) -> str:
    """Never echo a key back, even when a server quotes it in an error; escape control characters."""
    if secret and secret in text:
        text = text.replace(secret, mask_secret(secret))
    return printable(text)


def _message_in(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
        if isinstance(body.get("message"), str):
            return body["message"]
        if isinstance(body.get("detail"), str):
            return body["detail"]
    return ""


def transport_problem(exc: Exception, timeout: float) -> tuple[bool, str]:
    """(unreachable?, what happened) for an exception raised while sending a request."""
    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return True, f"no answer within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or "connection failed"
        return True, f"cannot connect: {printable(reason)[:160]}"
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return False, f"bad api_base: {printable(str(exc))[:160]}"
    return False, f"{type(exc).__name__}: {printable(str(exc))[:160]}"
