"""Registering a route together with the protocol its callers speak (for errors in their format)."""

from __future__ import annotations

from aiohttp import web

from ..errors import Handler
from ..state import ROUTE_PROTOCOLS

VERSION_PREFIXES = ("/v1", "")
"""OpenAI and Anthropic routes are served with and without ``/v1``: clients differ in whether
their base URL ends in ``/v1`` (Codex appends ``/responses`` to the ``.../v1`` we give it)."""


def add(app: web.Application, method: str, path: str, handler: Handler, protocol: str | None) -> None:
    route = app.router.add_route(method, path, handler)
    if protocol is not None:
        app[ROUTE_PROTOCOLS][route] = protocol
