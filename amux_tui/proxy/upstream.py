"""Where and how the proxy calls a provider: URLs, credentials in the provider's header style,
the headers forwarded from the client, and timeouts from the provider's params."""

from __future__ import annotations

import functools
import ipaddress
import re
import time
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from multidict import CIMultiDict

from .. import __version__
from ..providers.resolved import ResolvedProvider
from .errors import ProxyError, is_redirect, redirect_failure
from .protocols.sse import size_text
from .traffic import redact_url

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 600.0
"""Seconds without a byte from the upstream; long because a model may think for minutes."""

CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade", "host", "content-length", "expect"})
"""Headers about one connection, not the message: never relayed either way. ``Expect`` included: the
proxy has already answered ``100-continue`` itself and sends the whole body upstream."""
WHOLE_BODY_LIMIT = 4 * 1024 * 1024
"""A plain (not event-stream) answer up to this size is read whole and sent in one write: headers
and body in one packet instead of two is most of a small request's cost on a busy machine, and an
answer cut mid-body becomes a clean 502 instead of a truncated 200."""
RETRY_WINDOW = 0.25
"""A pooled connection that closes unanswered this soon after the request went out was already
closing (a keep-alive timeout racing our write), so the request is sent once more on a new one.
Later, the upstream may have acted on it: the failure is reported rather than risk a second call."""
MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest whole answer read into memory to be translated (``AMUX_PROXY_MAX_BODY``, `limits`)."""
USER_AGENT = f"amux/{__version__}"
"""Sent upstream when the client sent none (some CDNs refuse requests without one)."""
FORWARDED_ON_PROTOCOL_ROUTES = ("anthropic-version", "anthropic-beta", "openai-beta")
"""Client headers worth keeping when a protocol route relays to a provider speaking the same API."""


def upstream_url(provider: ResolvedProvider, protocol: str, model: str, *, stream: bool,
                 action: str | None = None) -> str:
    """The endpoint URL for ``protocol`` on ``provider``. ``action`` overrides the Gemini method
    (``countTokens``) or picks Anthropic's ``count_tokens``."""
    base = (provider.api_base or "").rstrip("/")
    if protocol == "openai-chat":
        return f"{base}/chat/completions"
    if protocol == "openai-responses":
        return f"{base}/responses"
    if protocol == "anthropic-messages":
        return f"{base}/v1/messages/count_tokens" if action == "count_tokens" else f"{base}/v1/messages"
    if protocol == "gemini":
        name = quote(model.removeprefix("models/"), safe="-._~@")
        method = action or ("streamGenerateContent" if stream else "generateContent")
        suffix = "?alt=sse" if method == "streamGenerateContent" else ""
        return f"{base}/v1beta/models/{name}:{method}{suffix}"
    raise ValueError(f"unknown protocol {protocol!r}")


def auth_headers(provider: ResolvedProvider, protocol: str | None = None) -> dict[str, str]:
    """The provider's key in its own header style (``protocol`` defaults to its preferred API)."""
    protocol = protocol or provider.primary_format or "openai-chat"
    headers: dict[str, str] = {}
    if protocol == "anthropic-messages":
        headers["anthropic-version"] = ANTHROPIC_VERSION
        if provider.api_key:
            headers["x-api-key"] = provider.api_key
    elif protocol == "gemini":
        if provider.api_key:
            headers["x-goog-api-key"] = provider.api_key
    elif provider.api_key:
        headers["Authorization"] = f"Bearer {provider.api_key}"
    return headers


def extra_headers(provider: ResolvedProvider) -> dict[str, str]:
    extra = provider.params.get("extra_headers")
    if not isinstance(extra, Mapping):
        return {}
    return {str(name): str(value) for name, value in extra.items()}


def protocol_request_headers(provider: ResolvedProvider, protocol: str,
                             client_headers: Mapping[str, str] | None = None) -> CIMultiDict[str]:
    """Headers for a request the proxy makes in ``protocol``: JSON, no compression (we parse the
    answer), the provider's key, the client's API-version headers, then ``params.extra_headers``."""
    headers: CIMultiDict[str] = CIMultiDict({"Content-Type": "application/json", "Accept-Encoding": "identity"})
    headers.update(auth_headers(provider, protocol))
    if client_headers is not None:
        for name in FORWARDED_ON_PROTOCOL_ROUTES:
            if name in client_headers:
                headers[name] = client_headers[name]
    headers.update(extra_headers(provider))
    return headers


def passthrough_headers(provider: ResolvedProvider, client_headers: Mapping[str, str]) -> CIMultiDict[str]:
    """The client's headers minus hop-by-hop ones and its (session) credentials, plus the provider's key."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in client_headers.items():
        lowered = name.lower()
        if lowered not in HOP_BY_HOP and lowered not in CREDENTIAL_HEADERS:
            headers.add(name, value)
    if "accept-encoding" not in headers:
        headers["Accept-Encoding"] = "identity"  # relayed raw: only what the client itself accepts
    for name, value in auth_headers(provider).items():
        if name.lower() == "anthropic-version" and name in headers:
            continue  # the client's own API version wins on passthrough
        headers[name] = value
    headers.update(extra_headers(provider))
    return headers


def passthrough_url(provider: ResolvedProvider, tail: str, query: Mapping[str, str]) -> str:
    """Join a passthrough path onto ``api_base`` without doubling the version path.

    The longest end of the base path that the tail starts with is not repeated:
    ``https://api.openai.com/v1`` + ``v1/chat/completions`` → ``.../v1/chat/completions``, and
    ``https://openrouter.ai/api/v1`` + ``chat/completions`` → ``.../api/v1/chat/completions``.
    The session's ``key=`` query parameter is dropped (Gemini's key goes in a header instead), and
    a tail climbing above the base path with ``..`` is a 400 (`_inside_base`).
    """
    kept = tuple((name, value) for name, value in query.items() if name != "key")
    return _passthrough_url(provider.api_base or "", tail, kept)


@functools.lru_cache(maxsize=256)
def _passthrough_url(api_base: str, tail: str, kept: tuple[tuple[str, str], ...]) -> str:
    """`passthrough_url`, remembered: a harness calls the same few paths all session long."""
    base = api_base.rstrip("/")
    scheme_host, _, base_path = base.partition("://")[2].partition("/")
    base_parts = [part for part in base_path.split("/") if part]
    tail_parts = _inside_base(tail)
    overlap = 0
    for size in range(min(len(base_parts), len(tail_parts)), 0, -1):
        if base_parts[-size:] == tail_parts[:size]:
            overlap = size
            break
    url = base + "/" + "/".join(quote(part, safe=":@-._~!$&'()*+,;=") for part in tail_parts[overlap:])
    if kept:
        from urllib.parse import urlencode

        url += "?" + urlencode(kept)
    return url


def _inside_base(tail: str) -> list[str]:
    """The tail's segments with ``.`` and ``..`` resolved; a 400 when ``..`` climbs above ``api_base``'s
    path (``/gw/%2e%2e/%2e%2e/team-b/v1/models`` would reach another team's API with this key)."""
    parts: list[str] = []
    for part in tail.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise ProxyError(400, "the passthrough path climbs above the provider's api_base with '..': "
                                      "send paths under it", "invalid_request_error")
            parts.pop()
        elif _DISGUISED_DOTS.search(part):
            raise ProxyError(400, "the passthrough path has a disguised '..' or '.' segment ('..;', '..\\'): "
                                  "send plain paths under the provider's api_base", "invalid_request_error")
        else:
            parts.append(part)
    return parts


_DISGUISED_DOTS = re.compile(r"(?:^|\\)\.{1,2}(?:[;\\]|$)")
"""A dot segment some upstream servers still resolve: ``..;x`` (matrix parameters: Tomcat, Spring) or
between backslashes (IIS, some gateways read ``\\`` as ``/``). Relayed, it would climb past api_base."""


def timeout_for(params: Mapping[str, Any]) -> aiohttp.ClientTimeout:
    """``params.timeout`` (seconds, as LiteLLM means it: per connect and per read, not the whole
    stream) or the defaults."""
    value = params.get("timeout")
    seconds = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None
    return _timeout(seconds)


@functools.lru_cache(maxsize=64)
def _timeout(seconds: float | None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, sock_connect=seconds or DEFAULT_CONNECT_TIMEOUT,
                                 sock_read=seconds or DEFAULT_READ_TIMEOUT)


@functools.cache
def _env_proxies() -> dict[str, str]:
    return urllib.request.getproxies_environment()


@functools.lru_cache(maxsize=256)
def _proxy_for(scheme: str, host: str) -> str | None:
    if not host or host == "localhost" or _is_loopback(host):
        return None
    proxies = _env_proxies()
    if not proxies or urllib.request.proxy_bypass_environment(host, proxies):
        return None
    return proxies.get(scheme) or None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def env_proxy(url: str) -> str | None:
    """The HTTP(S)_PROXY to use for ``url`` (NO_PROXY and loopback honoured), looked up once per host."""
    parts = urlsplit(url)
    return _proxy_for(parts.scheme, parts.hostname or "")


async def read_capped(response: aiohttp.ClientResponse, shown_url: str) -> bytes:
    """The whole body, or a 502 once it passes `MAX_BODY_BYTES` (a 2 GiB answer took 4 GB of memory)."""
    limit = MAX_BODY_BYTES
    if response.content_length is not None and response.content_length > limit:
        raise _too_large(shown_url, limit)
    pieces: list[bytes] = []
    size = 0
    async for piece in response.content.iter_any():
        size += len(piece)
        if size > limit:
            raise _too_large(shown_url, limit)
        pieces.append(piece)
    return b"".join(pieces)


def _too_large(shown_url: str, limit: int) -> ProxyError:
    return ProxyError(502, f"the upstream {shown_url} answered with more than {size_text(limit)}; amux "
                           "stopped reading it (raise AMUX_PROXY_MAX_BODY if that is expected)")


async def send_upstream(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> aiohttp.ClientResponse:
    """``http.request`` that never follows a redirect (a 3xx is `errors.redirect_failure`, a 502) and retries once when the upstream closed the connection before answering:
    a pooled keep-alive connection the server had just timed out, seen as a disconnect or, when the
    close raced our write, a reset or broken pipe (the body is bytes, so it can be sent again; the
    OpenAI and Anthropic SDKs retry the same cases), only within `RETRY_WINDOW`. A failure to connect
    is not retried."""
    sent = time.monotonic()
    try:
        response = await http.request(method, url, proxy=env_proxy(url), allow_redirects=False, **kwargs)
    except aiohttp.ClientConnectorError:
        raise
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
        if time.monotonic() - sent > RETRY_WINDOW:
            raise
        response = await http.request(method, url, proxy=env_proxy(url), allow_redirects=False, **kwargs)
    if is_redirect(response.status):
        response.close()
        raise redirect_failure(response.status, response.headers.get("Location"), redact_url(url))
    return response
