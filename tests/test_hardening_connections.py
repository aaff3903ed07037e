"""Hardening (issue 13, items 7 and 8): connections that are slow, silent, half-closed or malformed.

* a request head must arrive whole within a deadline, and a silent connection is closed;
* a flood of silent connections past the descriptor limit no longer stops the proxy serving
  authenticated requests (the soft fd limit is raised, unproven connections are bounded);
* a client that shuts down its sending side after its request (``SHUT_WR``) still gets the answer;
* a head with bare-LF line ends gets a 400 instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket

import aiohttp
import pytest

from hardening_proxy import cli_proxy
from proxy_client import error_shape_ok, proxy_for, read_answer_text, request_body
from test_proxy_fastlane import WAIT, json_headers, next_answer, raw_connection, raw_request
from upstreams import Reply, UpstreamServer

CHAT = json.dumps(request_body("openai-chat", "hi")).encode()


@pytest.fixture
def quick_deadlines(monkeypatch):
    from amux_tui.proxy.fastlane import front

    monkeypatch.setattr(front, "HEAD_SECONDS", 0.3)
    monkeypatch.setattr(front, "SWEEP_SECONDS", 0.05)


async def closed(reader: asyncio.StreamReader) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), WAIT) == b""
    except ConnectionResetError:
        return True


async def test_a_slow_head_and_a_silent_connection_are_closed_but_a_served_one_stays(quick_deadlines):
    async with UpstreamServer("openai-chat", [Reply(text="fine")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (slow_reader, slow_writer), \
                raw_connection(server) as (silent_reader, _), \
                raw_connection(server) as (used_reader, used_writer):
            slow_writer.write(b"POST /fx/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends
            used_writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                          CHAT))
            assert (await next_answer(used_reader)).status == 200
            assert await closed(slow_reader)
            assert await closed(silent_reader)
            await asyncio.sleep(0.5)  # past the head deadline, far below the idle time: kept for the next request
            used_writer.write(raw_request("POST", "/fx/v1/chat/completions", json_headers("openai-chat", session.token),
                                          CHAT))
            assert (await next_answer(used_reader)).status == 200


@pytest.mark.parametrize("path", ["/fx/v1/chat/completions", "/v1/chat/completions"])
async def test_a_half_closed_client_gets_its_answer(path):
    async with UpstreamServer("openai-chat", [Reply(text="after the shutdown", delay=0.2)]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(raw_request("POST", path, json_headers("openai-chat", session.token), CHAT))
            await writer.drain()
            writer.get_extra_info("socket").shutdown(socket.SHUT_WR)
            answer = await next_answer(reader)
            assert answer is not None and answer.status == 200 and answer.complete
            assert read_answer_text("openai-chat", answer.body, False) == "after the shutdown"
            assert await closed(reader)  # and then the close
    assert [record.status for record in session.traffic.records()] == [200]


@pytest.mark.parametrize("head", [
    b"POST /v1/messages HTTP/1.1\nHost: 127.0.0.1\nx-api-key: TOKEN\nContent-Length: 2\n\n{}",
    b"GET /fx/v1/models HTTP/1.1\r\nHost: 127.0.0.1\n\n",
])
async def test_a_bare_lf_head_gets_a_400_not_a_hang(head):
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(head.replace(b"TOKEN", session.token.encode()))
            answer = await next_answer(reader)
            assert answer is not None and answer.status == 400
            protocol = "anthropic-messages" if b"/messages" in head else "openai-chat"
            assert error_shape_ok(protocol, json.loads(answer.body), 400)
            assert "CRLF" in json.loads(answer.body)["error"]["message"]
            assert await closed(reader)
    assert not up.requests


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 512))


def _open_files(pid: int) -> int:
    import os

    return len(os.listdir(f"/proc/{pid}/fd"))


async def _settled(pid: int, quiet: float = 0.5, most: float = 15.0) -> None:
    """Until the proxy's count of open files has not moved for ``quiet`` seconds: on a loaded machine
    the flood's refused SYNs come back for a while, and a fixed sleep let them land mid-request."""
    loop = asyncio.get_running_loop()
    deadline, last, still_since = loop.time() + most, -1, loop.time()
    while loop.time() < deadline:
        count = _open_files(pid)
        if count != last:
            last, still_since = count, loop.time()
        elif loop.time() - still_since >= quiet:
            return
        await asyncio.sleep(0.05)


async def test_a_flood_of_silent_connections_does_not_stop_authenticated_requests(tmp_path):
    """The proxy starts with soft fd limit 256 (hard 512) and gets 700 connections that never send a
    byte: it used to run out of descriptors and stop accepting anyone. Now its soft limit is the hard
    one, the oldest silent connections are closed to make room, and requests with a token are served."""
    async with UpstreamServer("openai-chat", [Reply(text="served")]) as up, \
            cli_proxy(tmp_path, up.base_url, up.api_key, preexec=_low_fd_limit) as proxy:
        limits = open(f"/proc/{proxy.process.pid}/limits").read()
        soft = next(line for line in limits.splitlines() if line.startswith("Max open files")).split()[3]
        assert soft == "512"
        flood: list[socket.socket] = []
        try:
            for _ in range(700):
                sock = socket.socket()
                sock.setblocking(False)
                try:
                    sock.connect(("127.0.0.1", proxy.port))
                except BlockingIOError:
                    pass
                flood.append(sock)
            await _settled(proxy.process.pid)  # the proxy accepts (and evicts) what the backlog holds
            async with aiohttp.ClientSession() as http:
                for _ in range(3):
                    async with http.post(f"{proxy.url}/v1/chat/completions", data=CHAT,
                                         headers={"Authorization": f"Bearer {proxy.token}",
                                                  "Content-Type": "application/json"},
                                         timeout=aiohttp.ClientTimeout(total=WAIT)) as response:
                        assert response.status == 200
                        assert read_answer_text("openai-chat", await response.read(), False) == "served"
            assert _open_files(proxy.process.pid) < 400
        finally:
            for sock in flood:
                sock.close()
        code, stderr = await proxy.stop()
        assert code == 0, stderr.decode()


@pytest.mark.parametrize("request_bytes", [
    raw_request("POST", "/v1/chat/completions", [("Authorization", "Bearer amux-wrong")], CHAT),  # the lane's 401
    raw_request("POST", "/v1/chat/completions", [("Authorization", "Bearer amux-wrong")], CHAT, chunked=True),
    raw_request("GET", "/no/such%20route", [], None),  # aiohttp's 404
])
async def test_a_connection_without_a_token_is_closed_after_its_answer(request_bytes):
    """Keep-alive is for clients with a token: a flood of refused requests cannot hold connections
    open on aiohttp's side (where the lane's bound on unproven connections does not reach)."""
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        for _ in range(3):
            async with raw_connection(server) as (reader, writer):
                writer.write(request_bytes)
                answer = await next_answer(reader)
                assert answer.status in (401, 404) and answer.header("Connection") == "close"
                assert await closed(reader)
        async with raw_connection(server) as (reader, writer):  # with a token: kept
            for _ in range(2):
                writer.write(raw_request("GET", "/fx/v1/models", json_headers("openai-chat", session.token), None))
                answer = await next_answer(reader)
                assert answer.status == 200 and answer.keep_alive
