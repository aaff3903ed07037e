"""Which requests the fast lane takes: the ones aiohttp would only have relayed.

Two kinds, both of them byte relays where only credentials (and maybe the model name) change:

* passthrough, ``/{provider}/...`` of any method, to the same path under the provider's ``api_base``;
* a protocol route (``/v1/messages``, ``/v1/chat/completions``, ``/v1/responses``,
  ``/v1beta/models/M:generateContent`` (and ``/v1``, ``/v1alpha``), the two count routes) whose provider speaks that protocol
  itself — a harness sent straight to its own kind of provider through the proxy.

A request is taken only when the aiohttp route would have served it the same way: a live
session's token, the route's provider, reachable over plain HTTP(S) without an environment
proxy. Everything else (401s, 404s, translation, LiteLLM, model lists, proxies) is aiohttp's,
so every answer and every error stays the same whichever side serves it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from multidict import MultiDict

from ..auth import presented_tokens, unauthenticated
from ..errors import ProxyError, guess_protocol_of
from ..sessions import Session, SessionTable
from ..upstream import env_proxy, passthrough_url
from .head import RequestHead

_PROTOCOL_PATHS = {
    "/v1/messages": ("anthropic-messages", None), "/messages": ("anthropic-messages", None),
    "/v1/messages/count_tokens": ("anthropic-messages", "count_tokens"),
    "/messages/count_tokens": ("anthropic-messages", "count_tokens"),
    "/v1/chat/completions": ("openai-chat", None), "/chat/completions": ("openai-chat", None),
    "/v1/responses": ("openai-responses", None), "/responses": ("openai-responses", None),
}
_GEMINI_PREFIXES = ("/v1beta/models/", "/v1/models/", "/v1alpha/models/")
"""Every Gemini API version a client may be set to (`inbound.gemini.API_VERSIONS`)."""
_GEMINI_METHODS = {"generateContent": None, "streamGenerateContent": None, "countTokens": "countTokens"}


@dataclass(slots=True, frozen=True)
class ProtocolRoute:
    """A protocol route's request: its protocol, and what the URL says (Gemini names its model,
    streaming and counting there)."""

    inbound: str
    action: str | None = None
    """``count_tokens`` / ``countTokens`` for the count routes."""
    url_model: str | None = None
    url_stream: bool = False


@dataclass(slots=True, frozen=True)
class Refusal:
    """A request answered with an error in the caller's protocol, without going upstream."""

    protocol: str
    failure: ProxyError


@dataclass(slots=True, frozen=True)
class Target:
    """Where a request the lane took goes."""

    session: Session
    protocol: str
    """The caller's protocol: its error format and the error event that ends a broken stream."""
    scheme: str
    host: str
    port: int
    host_header: str
    url: str = ""
    """The passthrough URL (a protocol route's is known once the body named the model)."""
    route: ProtocolRoute | None = None
    """None for passthrough."""


def route_request(sessions: SessionTable, protocol_segments: frozenset[str],
                  head: RequestHead) -> Target | Refusal | None:
    """The target of a request the lane takes, a refusal (no live session's token), or None: aiohttp serves it."""
    protocol_route = _protocol_route(head)
    if protocol_route is None:
        segment, slash, tail = head.path[1:].partition("/")
        if not slash or not segment or segment in protocol_segments:
            return None
    query = head.query() if head.query_string else {}
    session = sessions.authenticate(presented_tokens(head.headers, query))
    if session is None:  # refused here as the auth middleware would: the token is checked once
        protocol = protocol_route.inbound if protocol_route else guess_protocol_of(head.path, head.headers, query)
        return Refusal(protocol, unauthenticated())
    provider = session.provider
    base = _upstream_base(provider.api_base or "")
    if base is None:
        return None
    if protocol_route is not None:
        if not provider.speaks(protocol_route.inbound):  # type: ignore[arg-type]
            return None
        return Target(session, protocol_route.inbound, *base, route=protocol_route)
    if segment != provider.name or provider.via_litellm or not provider.primary_format:
        return None
    url = passthrough_url(provider, tail, MultiDict(head.query_items()) if head.query_string else {})
    return Target(session, provider.primary_format, *base, url=url)


def _protocol_route(head: RequestHead) -> ProtocolRoute | None:
    if head.method != "POST":
        return None
    known = _PROTOCOL_PATHS.get(head.path)
    if known is not None:
        return ProtocolRoute(known[0], known[1])
    prefix = next((p for p in _GEMINI_PREFIXES if head.path.startswith(p)), None)
    if prefix is None:
        return None
    model, _, method = head.path[len(prefix):].rpartition(":")
    if not model or "/" in model or method not in _GEMINI_METHODS:
        return None  # aiohttp serves it (a model id with a slash) or answers a 404 naming what is wrong
    return ProtocolRoute("gemini", _GEMINI_METHODS[method], model, method == "streamGenerateContent")


@functools.lru_cache(maxsize=64)
def _upstream_base(api_base: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, Host header) of a provider the lane can reach itself: plain HTTP(S), no
    credentials in the URL, no HTTP(S)_PROXY for its host (aiohttp's client speaks to proxies)."""
    try:
        parts: SplitResult = urlsplit(api_base)
        default_port = {"http": 80, "https": 443}.get(parts.scheme)
        if default_port is None or not parts.hostname or "@" in parts.netloc or env_proxy(api_base):
            return None
        port = parts.port or default_port
        host = parts.hostname.encode("idna").decode("ascii")  # what aiohttp sends for a non-ASCII name
    except (ValueError, UnicodeError):
        return None  # aiohttp's client says what is wrong with the URL
    shown = f"[{host}]" if ":" in host else host
    return parts.scheme, host, port, shown if port == default_port else f"{shown}:{port}"
