"""Typed keys for what the proxy app and its requests carry (aiohttp `AppKey` / `RequestKey`)."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from .fastlane.pool import UpstreamPool
from .sessions import Session, SessionTable
from .traffic import RequestRecord

SESSIONS = web.AppKey("amux_sessions", SessionTable)
"""Live sessions; shared with `ProxyServer`."""
HTTP = web.AppKey("amux_http", aiohttp.ClientSession)
"""The one pooled client for every upstream call (made and closed by `app.http_client_ctx`)."""
POOL = web.AppKey("amux_pool", UpstreamPool)
"""The fast lane's pooled upstream connections (made and closed by `app.upstream_pool_ctx`)."""
ROUTE_PROTOCOLS = web.AppKey("amux_route_protocols", dict[Any, str])
"""Route object → the protocol its callers speak (for errors in the caller's own format)."""

SESSION = web.RequestKey("amux_session", Session)
"""Set by the auth middleware once the token checked out."""
PROTOCOL = web.RequestKey("amux_protocol", str)
"""The caller's protocol, when a handler knows it better than the route table (passthrough)."""
RECORD = web.RequestKey("amux_record", RequestRecord)
"""The traffic record of the request, once a handler started one."""
