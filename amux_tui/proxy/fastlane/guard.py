"""What keeps the proxy serving while some clients misbehave: deadlines for every connection on the
lane, and a bound on the connections that have not yet shown a session's token.

* A request head must arrive whole within `HEAD_SECONDS` of its first byte, and a new connection's
  first head within `HEAD_SECONDS` of the connection (a silent connection costs a descriptor and
  nothing else, so thousands of them are how a local process would stop the proxy).
* A connection idle between requests is closed after `IDLE_SECONDS` (clients' pools close theirs
  sooner: undici after 4 s, httpx after 5 s, aiohttp after 15 s).
* At most `unproven_limit()` connections may be open without having sent a request with a live
  token; past that the oldest such connection is closed. A harness's connection proves itself with
  its first request, a few milliseconds after connecting, so a flood only ever evicts itself.
* `raise_fd_limit` lifts the soft descriptor limit to the hard one when the proxy starts.
"""

from __future__ import annotations

import asyncio
import resource
from typing import TYPE_CHECKING

from ... import processes

if TYPE_CHECKING:
    from .front import FrontConnection
    from .handover import HandedOver

HEAD_SECONDS = 10.0
IDLE_SECONDS = 60.0
LINGER_SECONDS = 1.0
"""How long a connection refused on its head (an unauthenticated upload) keeps discarding what the
client still sends, so the client gets to read the answer before the connection is reset."""
SWEEP_SECONDS = 1.0
FD_LIMIT_CAP = 1 << 20
"""Used as the target when the hard limit is unlimited."""


def raise_fd_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (the default soft 1024 is a few hundred idle
    keep-alive connections away); returns the soft limit now in force. The sessions amux starts get
    the old one back (`processes.remember_fd_limit`)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = FD_LIMIT_CAP if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        processes.remember_fd_limit()
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # a container may refuse: the bound below still keeps service going
    return soft


def unproven_limit(soft_fd_limit: int | None = None) -> int:
    """A quarter of the descriptors, between 64 and 4096: room for the proxy's upstream connections,
    the harness's own files and the authenticated clients, whatever a flood does."""
    if soft_fd_limit is None:
        soft_fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft_fd_limit == resource.RLIM_INFINITY:
        soft_fd_limit = FD_LIMIT_CAP
    return max(64, min(4096, soft_fd_limit // 4))


class GuardedConnection:
    """What the guard may end: a connection on the lane or one handed over to aiohttp."""

    closing: bool
    transport: asyncio.Transport | None

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.abort()


class ConnectionGuard:
    """The lane's open connections (in the order they came) and the ones not yet proven."""

    def __init__(self, limit: int | None = None) -> None:
        self.connections: dict[FrontConnection, None] = {}
        self.unproven: dict[FrontConnection, None] = {}
        self.limit = limit if limit is not None else unproven_limit()
        self.evicted = 0
        """Unproven connections closed to make room (a figure for tests and the soak bench)."""

    def __len__(self) -> int:
        return len(self.connections)

    def __iter__(self):
        return iter(list(self.connections))

    def admit(self, connection: FrontConnection) -> None:
        self.connections[connection] = None
        self.unproven[connection] = None
        excess = len(self.unproven) - self.limit
        if excess > 0:
            for oldest in list(self.unproven)[:excess]:
                self.unproven.pop(oldest, None)
                self.evicted += 1
                oldest.abort()

    def prove(self, connection: FrontConnection) -> None:
        self.unproven.pop(connection, None)

    def replace(self, old: FrontConnection, new: HandedOver) -> None:
        """``new`` watches the connection ``old`` did (handed to aiohttp): same place, same proof."""
        self.connections.pop(old, None)
        self.connections[new] = None  # type: ignore[index]
        if old in self.unproven:
            del self.unproven[old]
            self.unproven[new] = None  # type: ignore[index]

    def leave(self, connection: FrontConnection) -> None:
        self.connections.pop(connection, None)
        self.unproven.pop(connection, None)

    def sweep(self, now: float) -> None:
        for connection in list(self.connections):
            connection.check_deadlines(now)
