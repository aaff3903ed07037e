"""Hardening (issue 13, item 3): aiohttp's messages about malformed requests go to amux's own log,
one redacted line each, never to stderr (which ``amux launch --with-proxy`` shares with the harness).

aiohttp used to print a traceback quoting the raw header bytes, ``Bearer amux-...`` included, for
every malformed request; any local process could trigger it without a token."""

from __future__ import annotations

import asyncio
import stat

from hardening_proxy import cli_proxy
from test_proxy_fastlane import WAIT
from upstreams import UpstreamServer, read_http_answer


async def _send_malformed(port: int, token: str, number: int) -> int | None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\x01{number}\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        answer = await asyncio.wait_for(read_http_answer(reader), WAIT)
        return answer.status if answer else None
    finally:
        writer.close()


async def test_malformed_requests_are_one_redacted_line_each_in_amuxs_log_and_nothing_on_stderr(tmp_path):
    async with UpstreamServer("openai-chat") as up, cli_proxy(tmp_path, up.base_url, up.api_key) as proxy:
        statuses = [await _send_malformed(proxy.port, proxy.token, number) for number in range(3)]
        assert statuses == [400, 400, 400]
        async with asyncio.timeout(WAIT):  # written by a thread: wait for the three lines
            while not proxy.server_log.exists() or len(proxy.server_log.read_text().splitlines()) < 3:
                await asyncio.sleep(0.05)
        code, stderr = await proxy.stop()
    assert code == 0
    secret = proxy.token.rsplit("-", 1)[1]
    assert secret not in stderr.decode() and "Traceback" not in stderr.decode()
    assert b"Error handling request" not in stderr
    lines = proxy.server_log.read_text().splitlines()
    assert len(lines) == 3, lines
    assert all("Error handling request" in line and "BadHttpMessage" in line for line in lines)
    assert secret not in proxy.server_log.read_text() and "amux-" + secret[:6] not in proxy.server_log.read_text()
    assert stat.S_IMODE(proxy.server_log.stat().st_mode) == 0o600


async def test_launch_and_the_dashboard_route_their_proxy_logs(monkeypatch, tmp_path):
    from amux_tui.harnesses.commands import open_proxy

    server = await open_proxy()
    try:
        assert server.server_log is True
    finally:
        await server.stop()


def test_a_line_keeps_the_message_and_drops_credentials():
    from amux_tui.proxy.serverlog import redact_line

    line = redact_line("400, message:\n  Invalid header value char:\n\n    b'Authorization: Bearer amux-ab12-XYZsecret\\x01'"
                       " x-api-key: sk-live-123 https://user:pw@host/v1?key=k1&x=1"
                       " https://u:at@tail@host/v1?apikey=k2&X-Amz-Signature=k3&client_secret=k4")
    assert "\n" not in line and "Invalid header value char" in line
    for secret in ("XYZsecret", "sk-live-123", "user:pw", "k1", "at@tail", "k2", "k3", "k4"):
        assert secret not in line


async def test_a_malformed_header_holding_both_kinds_of_quote_leaves_nothing_of_it_in_the_log(tmp_path):
    # Python shows such bytes as b'..\'..': the escaped quote must not end what is dropped.
    secret = "CDEFGHsecret42"
    async with UpstreamServer("openai-chat") as up, cli_proxy(tmp_path, up.base_url, up.api_key) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {proxy.token}\x01'\"{secret}\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        answer = await asyncio.wait_for(read_http_answer(reader), WAIT)
        writer.close()
        assert answer is not None and answer.status == 400
        async with asyncio.timeout(WAIT):
            while not proxy.server_log.exists() or not proxy.server_log.read_text().strip():
                await asyncio.sleep(0.05)
        code, stderr = await proxy.stop()
    assert code == 0
    assert secret not in proxy.server_log.read_text() and secret not in stderr.decode()
