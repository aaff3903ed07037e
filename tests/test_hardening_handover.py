"""Hardening (issue 13, items 7 and 8) for connections the lane hands to aiohttp.

The lane serves most requests itself; at the first one it does not take (a translation, a model
list, an unknown route) it hands the connection to aiohttp for good. The lane's rules must hold
there too: a head that never ends is cut, an idle connection is closed, a connection that never
showed a token counts against the bound on unproven ones, and a client that shuts down its sending
side after its request (``SHUT_WR``) still gets its answer. Real sockets against a real proxy."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from proxy_client import error_shape_ok, proxy_for, read_answer_text, request_body
from test_hardening_connections import closed
from test_proxy_fastlane import json_headers, next_answer, raw_connection, raw_request
from upstreams import Reply, UpstreamServer

MESSAGES = json.dumps(request_body("anthropic-messages", "hi")).encode()
STREAMED_MESSAGES = json.dumps(request_body("anthropic-messages", "hi", stream=True)).encode()
ENDLESS_HEAD = b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(
    b"X-Pad-%d: %s\r\n" % (number, b"a" * 1000) for number in range(70))
"""No token, and a head longer than the lane reads (`HEAD_LIMIT`) that never ends: aiohttp waits for the rest."""


@pytest.fixture
def quick_deadlines(monkeypatch):
    from amux_tui.proxy.fastlane import front, guard

    for module in (front, guard):
        monkeypatch.setattr(module, "HEAD_SECONDS", 0.3)
        monkeypatch.setattr(module, "IDLE_SECONDS", 30.0)
    monkeypatch.setattr(front, "SWEEP_SECONDS", 0.05)


def translated(token: str, body: bytes = MESSAGES) -> bytes:
    """An Anthropic Messages request to an OpenAI-chat provider: aiohttp translates it."""
    return raw_request("POST", "/v1/messages", json_headers("anthropic-messages", token), body)


async def test_a_head_that_never_ends_after_the_hand_over_is_cut(quick_deadlines):
    async with UpstreamServer("openai-chat", [Reply(text="one"), Reply(text="two")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (cut_reader, cut_writer), \
                raw_connection(server) as (kept_reader, kept_writer):
            for writer in (cut_writer, kept_writer):
                writer.write(translated(session.token))
            for reader in (cut_reader, kept_reader):
                assert (await next_answer(reader)).status == 200
            cut_writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends
            assert await closed(cut_reader)
            # an idle connection that showed a token is kept past the head deadline (not past the idle one)
            await asyncio.sleep(0.5)
            kept_writer.write(translated(session.token))
            assert (await next_answer(kept_reader)).status == 200
        assert server.fast_lane.relayed == 0


async def test_an_endless_head_handed_to_aiohttp_is_cut_at_the_head_deadline(quick_deadlines):
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, _):
        async with raw_connection(server) as (reader, writer):
            writer.write(ENDLESS_HEAD)
            assert await closed(reader)  # aiohttp alone kept it for its keep-alive time
        assert server.fast_lane.relayed == 0


async def test_connections_held_after_the_hand_over_count_against_the_unproven_bound():
    async with UpstreamServer("openai-chat", [Reply(text="kept"), Reply(text="still")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        server.connection_guard.limit = 4
        async with raw_connection(server) as (reader, writer):
            writer.write(translated(session.token))
            assert (await next_answer(reader)).status == 200  # proven by its token
            held = []
            try:
                for _ in range(8):
                    held.append(await asyncio.open_connection("127.0.0.1", server.port))
                    held[-1][1].write(ENDLESS_HEAD)
                    await held[-1][1].drain()
                    await asyncio.sleep(0.05)  # handed to aiohttp before the next one comes
                cut = [await closed(held_reader) for held_reader, _ in held[:4]]
                assert all(cut), cut  # the oldest made room for the newer ones
                assert server.connection_guard.evicted >= 4
            finally:
                for _, held_writer in held:
                    held_writer.close()
            writer.write(translated(session.token))  # the proven connection was never at risk
            assert (await next_answer(reader)).status == 200


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_a_half_closed_client_gets_its_translated_answer(stream):
    async with UpstreamServer("openai-chat", [Reply(text="after the shutdown", delay=0.2)]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(translated(session.token, STREAMED_MESSAGES if stream else MESSAGES))
            await writer.drain()
            writer.get_extra_info("socket").shutdown(socket.SHUT_WR)
            answer = await next_answer(reader)
            assert answer is not None and answer.status == 200 and answer.complete
            assert read_answer_text("anthropic-messages", answer.body, stream) == "after the shutdown"
            assert await closed(reader)  # and then the close
        assert server.fast_lane.relayed == 0
    assert [record.status for record in session.traffic.records()] == [200]


async def test_a_client_gone_before_its_translated_answer_still_stops_the_upstream_call():
    """Keeping a half-closed connection open must not keep a vanished client's upstream call running."""
    async with UpstreamServer("openai-chat", [Reply(hang=True)]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (_, writer):
            writer.write(translated(session.token))
            await up.wait_for_requests(1)
        await up.wait_for_disconnects(1, timeout=5)
    assert session.traffic.records()[-1].status == 499


@pytest.mark.parametrize("bad_line", [b"Authorization: Bearer TOKEN\x01", b"X-Api-Key TOKEN: v", b"X-Pad: a\x7fTOKEN"])
async def test_a_head_aiohttp_cannot_parse_is_refused_without_echoing_its_bytes(bad_line):
    """aiohttp's plain-text 400 quoted the offending header line, a token with it."""
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         + bad_line.replace(b"TOKEN", session.token.encode()) + b"\r\nContent-Length: 2\r\n\r\n{}")
            answer = await next_answer(reader)
            assert answer.status == 400
            assert session.token.encode() not in answer.body and b"\\x" not in answer.body
            body = json.loads(answer.body)
            assert error_shape_ok("anthropic-messages", body, 400), body
            assert body["error"]["message"].startswith("malformed request head: ")
            assert await closed(reader)
    assert not up.requests


async def test_a_client_that_half_closes_in_the_middle_of_its_body_is_not_kept_waiting():
    """The rest of the body can no longer come: the connection closes (aiohttp's handler waited for it forever)."""
    async with UpstreamServer("openai-chat", [Reply(text="first")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            writer.write(translated(session.token))
            assert (await next_answer(reader)).status == 200  # handed to aiohttp, proven
            writer.write(translated(session.token)[:-10])  # all but the body's last bytes
            await writer.drain()
            writer.get_extra_info("socket").shutdown(socket.SHUT_WR)
            assert await closed(reader)
        assert len(up.requests) == 1
        assert len(server.connection_guard) == 0
