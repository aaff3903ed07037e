"""Session tokens, accepted the way each harness sends its API key.

``x-api-key`` (Anthropic SDKs), ``Authorization: Bearer`` (OpenAI SDKs, Claude Code's
``ANTHROPIC_AUTH_TOKEN``), ``x-goog-api-key`` and ``?key=`` (Gemini), ``api-key`` (Azure
style). The first presented value that is a live session's token wins.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from .errors import Handler, ProxyError
from .state import SESSION, SESSIONS

_KEY_HEADERS = ("x-api-key", "x-goog-api-key", "api-key")


def presented_tokens(headers: Mapping[str, str], query: Mapping[str, str]) -> list[str]:
    """Every credential a request carries (``headers`` case-insensitive), in the order they are tried."""
    found = [value.strip() for name in _KEY_HEADERS if (value := headers.get(name))]
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            found.append(value.strip())
    key = query.get("key")
    if key:
        found.append(key.strip())
    return found


def unauthenticated() -> ProxyError:
    return ProxyError(401, "missing or invalid amux session token: send the token amux printed as the API key",
                      "authentication_error")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every matched route needs a live session's token; the session goes to ``request[SESSION]``."""
    if getattr(request.match_info, "http_exception", None) is not None:
        return await handler(request)  # no such route: 404/405, nothing to protect
    session = request.app[SESSIONS].authenticate(presented_tokens(request.headers, request.query))
    if session is None:
        raise unauthenticated()
    request[SESSION] = session
    _prove_connection(request)
    return await handler(request)


def _prove_connection(request: web.Request) -> None:
    """A connection the lane handed to aiohttp leaves the bound on unproven connections (`fastlane.guard`)."""
    transport = request.transport
    connection = transport.get_protocol() if transport is not None else None
    guard = getattr(connection, "guard", None)
    if guard is not None:
        guard.prove(connection)
