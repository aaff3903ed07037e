"""`ProxyServer`: the proxy running in the caller's event loop, on loopback only.

    server = ProxyServer()                   # 127.0.0.1, any free port
    await server.start()
    base_url, token = server.register_session(provider, model)
    ...
    server.unregister_session(registration.session_id)
    await server.stop()

The dashboard runs one server for all its sessions; ``amux proxy`` runs one for one session.

Importing this module does not import aiohttp (170 ms): `bind` takes the port with the stdlib and
sessions can be registered right away; `start` imports the app and serves the bound socket. So
``amux launch --with-proxy`` spawns the harness between the two, and a request that arrives
before `start` waits in the socket's backlog instead of failing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..providers.resolved import ResolvedProvider
from .sessions import Session, SessionRegistration, SessionTable
from .traffic import DEFAULT_CAPACITY, JsonLinesSink, TrafficLog

if TYPE_CHECKING:
    from aiohttp import web

    from .fastlane.guard import ConnectionGuard
    from .fastlane.lane import FastLane

SHUTDOWN_GRACE = 2.0
"""Seconds in-flight requests get to finish when the server stops."""
BACKLOG = 128
"""Connections the kernel queues between `bind` and `start` (and under load)."""


def import_serving_code() -> None:
    """Import what `ProxyServer.start` serves with (aiohttp, the app, the fast lane): a few tenths of a
    second of blocking work. Safe in a worker thread, so a loop that must keep painting can do it first."""
    from . import app  # noqa: F401
    from .fastlane import front  # noqa: F401


class NotLoopbackError(ValueError):
    """The proxy refuses to listen where another machine could reach it."""


def check_loopback(host: str) -> str:
    """The host to bind, or NotLoopbackError naming the fix. ``localhost`` means 127.0.0.1."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise NotLoopbackError(f"refusing to listen on {host!r}: the amux proxy serves loopback only "
                               "(use --host 127.0.0.1 or ::1); its sessions' tokens guard provider keys")
    return str(address)


class ProxyServer:
    """The translation proxy: an aiohttp app on a loopback port, serving registered sessions."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, log_path: str | Path | None = None,
                 traffic_capacity: int = DEFAULT_CAPACITY, server_log: bool | Path = False):
        self.host = check_loopback(host)
        self.requested_port = port
        self.port: int | None = None
        self.sessions = SessionTable()
        self.traffic_capacity = traffic_capacity
        self.sink = JsonLinesSink(log_path) if log_path else None
        self.server_log = server_log
        """True (amux's log under its state directory) or a path: where aiohttp's and the proxy's own
        messages go, one redacted line each (`serverlog`), instead of stderr. False leaves logging alone."""
        self._app: web.Application | None = None
        self._socket: socket.socket | None = None
        self._runner: web.AppRunner | None = None
        self._prices_loading: Any = None
        self.fast_lane: FastLane | None = None
        """The lane relaying passthrough and same-protocol requests (`fastlane`), once started."""
        self.connection_guard: ConnectionGuard | None = None
        """Every open client connection, its deadlines and the bound on unproven ones, once started."""

    @property
    def app(self) -> web.Application:
        """The aiohttp application (made, and aiohttp imported, on first use)."""
        if self._app is None:
            from .app import create_app

            self._app = create_app(self.sessions)
        return self._app

    async def __aenter__(self) -> ProxyServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the proxy is not started: await server.start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def bind(self) -> int:
        """Take the port and start queueing connections, without serving yet (cheap: no aiohttp).
        `port`, `url` and `register_session` work from here on. Raises OSError when the port is taken."""
        if self._socket is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does: quick restarts
                sock.bind((self.host, self.requested_port))
                sock.listen(BACKLOG)
            except BaseException:
                sock.close()
                raise
            self._socket = sock
            self.port = sock.getsockname()[1]
        assert self.port is not None
        return self.port

    async def start(self) -> None:
        """Bind (unless `bind` did) and serve. Raises OSError when the port is taken."""
        if self._runner is not None:
            return
        self.bind()
        from aiohttp import web

        from .fastlane.guard import IDLE_SECONDS, LINGER_SECONDS, raise_fd_limit

        raise_fd_limit()
        from .limits import configure_from_env

        configure_from_env()
        if self.server_log:
            from .serverlog import route_server_logs

            route_server_logs(self.server_log if isinstance(self.server_log, Path) else None)
        # handler_cancellation: a client that hangs up cancels its handler, which cancels the upstream call.
        # lingering_time: a body left unread (a 401 on the head) is discarded this long, not aiohttp's 10 s.
        runner = web.AppRunner(self.app, handler_cancellation=True, access_log=None, shutdown_timeout=SHUTDOWN_GRACE,
                               keepalive_timeout=IDLE_SECONDS, lingering_time=LINGER_SECONDS)
        await runner.setup()
        try:
            from .app import MAX_REQUEST_BYTES
            from .fastlane.front import FastLaneSite, fast_lane_for

            self.fast_lane = fast_lane_for(self.app)
            site = FastLaneSite(runner, self._socket, self.fast_lane, max_body=MAX_REQUEST_BYTES, backlog=BACKLOG,
                                grace=SHUTDOWN_GRACE)
            await site.start()
            self.connection_guard = site.guard
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        # Costs need LiteLLM's price table (a 1 MB data file): read it in a worker thread, off the loop.
        from ..providers.prices import load_price_table

        self._prices_loading = asyncio.get_running_loop().run_in_executor(None, load_price_table)

    async def stop(self) -> None:
        """Stop serving (in-flight requests get `SHUTDOWN_GRACE`), close the upstream pool, flush logs."""
        runner, self._runner = self._runner, None
        sock, self._socket = self._socket, None
        if runner is not None:
            await runner.cleanup()
        if sock is not None:
            sock.close()  # bound but never served, or already closed with the site (closing twice is harmless)
        if self.sink is not None:
            await self.sink.aclose()

    def register_session(self, provider: ResolvedProvider, model: str, params: dict[str, Any] | None = None, *,
                         label: str | None = None,
                         model_aliases: Mapping[str, str] | None = None,
                         max_output_tokens: int | None = None) -> SessionRegistration:
        """A new session with its own token, valid until `unregister_session`.

        ``params`` are merged over the provider's; ``model_aliases`` maps model names a harness sends
        (Claude Code's haiku name) to the model to use instead; ``max_output_tokens`` (the model's real
        output limit) clamps what a harness asks for when a request is translated (Claude Code asks for
        32k and more, which smaller models reject).
        """
        session = self.sessions.add(provider, model, params, label=label, model_aliases=model_aliases,
                                    traffic=TrafficLog(self.traffic_capacity, sink=self.sink),
                                    max_output_tokens=max_output_tokens)
        return SessionRegistration(self.url, session.token, session.id, session.traffic, provider.name)

    def unregister_session(self, session_id: str) -> bool:
        """Revoke the session's token at once; True when it existed."""
        return self.sessions.remove(session_id) is not None

    def session(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)
