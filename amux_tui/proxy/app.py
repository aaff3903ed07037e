"""The proxy's aiohttp application factory, shared by `ProxyServer`, `amux proxy` and tests.

Middlewares (outermost first): errors → the caller's protocol; auth → ``request[SESSION]``.
Resources live in ``cleanup_ctx``: one pooled `aiohttp.ClientSession` for every upstream call,
made at start-up and closed at clean-up; ``on_shutdown`` flushes traffic logs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from .auth import auth_middleware
from .errors import error_middleware
from .fastlane.pool import UpstreamPool
from .inbound import add_routes
from .sessions import SessionTable
from .state import HTTP, POOL, ROUTE_PROTOCOLS, SESSIONS
from .upstream import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, USER_AGENT

MAX_REQUEST_BYTES = 64 * 1024 * 1024
"""Long agent conversations with images get big; aiohttp's 1 MiB default is far too small."""


async def http_client_ctx(app: web.Application) -> AsyncIterator[None]:
    """The pooled upstream client: no total timeout (streams last), no decompression (relays are
    byte for byte), no cookie jar (sessions must not share upstream cookies). Not ``trust_env``:
    it costs two thread-pool round trips per request; `upstream.env_proxy` reads the proxy
    variables once instead."""
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=DEFAULT_CONNECT_TIMEOUT, sock_read=DEFAULT_READ_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False,
                                     cookie_jar=aiohttp.DummyCookieJar(), headers={"User-Agent": USER_AGENT}) as http:
        app[HTTP] = http
        yield


async def upstream_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """The fast lane's connections to upstreams (see `fastlane`), closed at clean-up."""
    pool = app[POOL] = UpstreamPool()
    try:
        yield
    finally:
        pool.close()


async def flush_traffic_logs(app: web.Application) -> None:
    sinks = {id(session.traffic.sink): session.traffic.sink for session in app[SESSIONS] if session.traffic.sink}
    for sink in sinks.values():
        await sink.aclose()


def create_app(sessions: SessionTable | None = None) -> web.Application:
    """A proxy application serving ``sessions`` (a new, empty table by default)."""
    app = web.Application(middlewares=[error_middleware, auth_middleware], client_max_size=MAX_REQUEST_BYTES)
    app[SESSIONS] = sessions if sessions is not None else SessionTable()
    app[ROUTE_PROTOCOLS] = {}
    add_routes(app)
    app.cleanup_ctx.append(http_client_ctx)
    app.cleanup_ctx.append(upstream_pool_ctx)
    app.on_shutdown.append(flush_traffic_logs)
    return app
