"""Registering a route together with the protocol its callers speak (for errors in their format)."""

from __future__ import annotations

from aiohttp import web

from ..errors import Handler, caller_protocol, error_response, unsupported_expectation
from ..state import ROUTE_PROTOCOLS

VERSION_PREFIXES = ("/v1", "")
"""OpenAI and Anthropic routes are served with and without ``/v1``: clients differ in whether
their base URL ends in ``/v1`` (Codex appends ``/responses`` to the ``.../v1`` we give it)."""


async def expect_continue(request: web.Request) -> web.StreamResponse | None:
    """``Expect: 100-continue`` as aiohttp answers it; any other expectation is a 417 in the caller's
    format (aiohttp's own handler answers 500 when the header is not UTF-8)."""
    expect = request.headers.get("Expect", "")
    if expect.lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the interim answer is not part of the body's size
        return None
    failure = unsupported_expectation(expect.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace"))
    return error_response(caller_protocol(request), failure.status, failure.message)


def add(app: web.Application, method: str, path: str, handler: Handler, protocol: str | None) -> None:
    route = app.router.add_route(method, path, handler, expect_handler=expect_continue)
    if protocol is not None:
        app[ROUTE_PROTOCOLS][route] = protocol
