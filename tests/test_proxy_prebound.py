"""`ProxyServer.bind` before `start`: the port and session tokens exist before aiohttp is imported
(``amux launch --with-proxy`` spawns the harness in between); a request made meanwhile waits in the
socket's backlog and is answered once the server starts."""

import asyncio
import subprocess
import sys

import pytest

from amux_tui.proxy.server import ProxyServer
from proxy_client import post, request_body
from upstreams import Reply, UpstreamServer


async def test_a_request_made_before_start_is_answered_after_it():
    async with UpstreamServer("openai-chat", [Reply(text="hello")]) as up:
        server = ProxyServer()
        port = server.bind()
        try:
            assert server.port == port and server.url.endswith(f":{port}") and not server.running
            session = server.register_session(up.provider(), "fixture-model")
            asking = asyncio.create_task(post(session, "openai-chat", request_body("openai-chat", "hi")))
            await asyncio.sleep(0.2)
            assert not asking.done()  # nothing serves yet: it waits in the backlog
            await server.start()
            status, body = await asyncio.wait_for(asking, 10)
        finally:
            await server.stop()
    assert status == 200 and b"hello" in body


async def test_stop_without_start_frees_the_port():
    server = ProxyServer()
    port = server.bind()
    await server.stop()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)


async def test_bind_refuses_a_taken_port():
    async with ProxyServer() as first:
        with pytest.raises(OSError):
            ProxyServer(port=first.port).bind()


def test_binding_and_registering_import_neither_aiohttp_nor_the_translators():
    code = ("import sys; from amux_tui.proxy import preflight, server, sessions; "
            "print(sorted(m for m in ('aiohttp', 'amux_tui.proxy.protocols', 'amux_tui.proxy.app') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
