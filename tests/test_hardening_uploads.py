"""Hardening (issue 13, item 5): a request without a live session token is refused on its head.

The lane used to read a refused request's whole body before its 401 (16 connections announcing
60 MiB each took the proxy from 50 MB to ~1 GB). Now the 401 (in the caller's format, with
``Connection: close``) goes out as soon as the head is read, the body is never buffered, and the
connection is closed: on the lane and on aiohttp's path (a chunked upload)."""

from __future__ import annotations

import asyncio
import json

import pytest

from proxy_client import error_shape_ok, post, proxy_for, request_body
from test_proxy_fastlane import WAIT, next_answer, raw_connection
from upstreams import Reply, UpstreamServer

ANNOUNCED = 60 * 1024 * 1024
SENT = 256 * 1024


def upload_head(path: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(), WAIT)
    except ConnectionResetError:
        return b""  # cut after the linger: what was read before is what counts


@pytest.mark.parametrize("path,protocol,credential", [
    ("/v1/messages", "anthropic-messages", ("x-api-key", "amux-wrong")),
    ("/fx/v1/chat/completions", "openai-chat", ("Authorization", "Bearer amux-wrong")),
    ("/v1/chat/completions", "openai-chat", None),
])
async def test_the_lane_refuses_an_unauthenticated_upload_before_its_body(path, protocol, credential):
    async with UpstreamServer("openai-chat", [Reply(text="fine")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        headers = [("Content-Type", "application/json"), ("Content-Length", str(ANNOUNCED))]
        if credential:
            headers.append(credential)
        uploads = []
        for _ in range(16):
            connection = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", server.port), WAIT)
            connection[1].write(upload_head(path, headers) + b"{" + b" " * SENT)  # a sliver of the 60 MiB
            uploads.append(connection)
        try:
            for reader, _ in uploads:
                answer = await next_answer(reader)  # came without the body: it used to wait for all of it
                assert answer.status == 401
                assert error_shape_ok(protocol, json.loads(answer.body), 401)
                assert answer.header("Connection") == "close"
                assert await read_until_closed(reader) == b""
        finally:
            for _, writer in uploads:
                writer.close()
        status, _ = await post(session, "openai-chat", request_body("openai-chat", "still there?"))
        assert status == 200
        assert len(up.requests) == 1


async def test_aiohttps_path_refuses_a_chunked_unauthenticated_upload_and_closes():
    async with UpstreamServer("openai-chat", [Reply(text="fine")]) as up, \
            proxy_for(up.provider("fx")) as (server, session):
        async with raw_connection(server) as (reader, writer):
            head = upload_head("/v1/messages", [("x-api-key", "amux-wrong"), ("Content-Type", "application/json"),
                                                ("Transfer-Encoding", "chunked")])
            writer.write(head + b"%x\r\n%b\r\n" % (SENT, b" " * SENT))  # and never the last chunk
            answer = await next_answer(reader)
            assert server.fast_lane.relayed == 0  # chunked: aiohttp's
            assert answer.status == 401
            assert error_shape_ok("anthropic-messages", json.loads(answer.body), 401)
            assert answer.header("Connection") == "close"  # not kept alive to read the rest of the body
            assert await read_until_closed(reader) == b""
        assert not up.requests
