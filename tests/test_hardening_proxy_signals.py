"""Hardening (issue 13, item 12): ``amux proxy`` treats SIGHUP like SIGTERM (traffic log flushed,
exit 0), and its ``--log`` gets each line as its request ends, before any signal."""

from __future__ import annotations

import asyncio
import json
import signal

import aiohttp

from hardening_proxy import cli_proxy
from test_proxy_fastlane import WAIT
from upstreams import Reply, UpstreamServer


async def _chat(proxy, path: str) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{proxy.url}{path}", headers={"Authorization": f"Bearer {proxy.token}"},
                             json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
                             timeout=aiohttp.ClientTimeout(total=WAIT)) as response:
            await response.read()
            return response.status


async def test_sighup_stops_amux_proxy_cleanly_and_every_line_was_already_written(tmp_path):
    log = tmp_path / "traffic.jsonl"
    async with UpstreamServer("openai-chat", [Reply(text="logged")]) as up, \
            cli_proxy(tmp_path, up.base_url, up.api_key, "--log", str(log)) as proxy:
        for count, path in enumerate(["/v1/chat/completions", "/fx/chat/completions"], 1):
            assert await _chat(proxy, path) == 200
            async with asyncio.timeout(WAIT):  # written as the request ends, not at exit
                while not log.exists() or len(log.read_text().splitlines()) < count:
                    await asyncio.sleep(0.02)
        code, stderr = await proxy.stop(signal.SIGHUP)
    assert code == 0, stderr.decode()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["status"] for line in lines] == [200, 200]
