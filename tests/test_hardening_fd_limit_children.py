"""Hardening (issue 13, item 7), its other side: the proxy lifts amux's own soft descriptor limit to the
hard one, but the sessions it starts keep the limit amux was given. A harness and its tools inherit
their limits from amux; a soft limit of a million makes programs that close every possible descriptor
(or use select()) slow or broken, so amux must not hand its raised limit on."""

from __future__ import annotations

import asyncio
import resource
import sys

import pytest

from amux_tui.proxy.server import ProxyServer
from amux_tui.terminal.pty_session import PtySession
from test_terminal_pty import Output

REPORT = "import resource; print('SOFT', resource.getrlimit(resource.RLIMIT_NOFILE)[0])"


@pytest.fixture
def low_soft_limit(monkeypatch):
    from amux_tui import processes

    monkeypatch.setattr(processes, "_children_fd_limit", None)  # what an earlier proxy in this process kept
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 300:
        pytest.skip("the hard descriptor limit leaves no room to raise")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        yield 256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_a_session_started_after_the_proxy_keeps_amuxs_original_soft_limit(low_soft_limit):
    server = ProxyServer()
    await server.start()
    try:
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] > low_soft_limit  # the proxy raised its own
        session = PtySession([sys.executable, "-c", REPORT])
        out = Output(session)
        session.start()
        try:
            found = await out.wait_for(r"SOFT (\d+)")
            await asyncio.wait_for(session.wait(), 15)
        finally:
            await session.close()
    finally:
        await server.stop()
    assert int(found.group(1)) == low_soft_limit
