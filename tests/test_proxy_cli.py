"""``amux proxy`` as a separate process: the ready line, serving, the log file, clean SIGTERM exit;
and the start-up preflight."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import aiohttp
import pytest

from amux_tui.proxy.preflight import check_proxy_can_start
from upstreams import Reply, UpstreamServer


async def _start_proxy(tmp_path, up: UpstreamServer, *extra: str) -> asyncio.subprocess.Process:
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"version": 1, "providers": {"fx": {
        "type": "openai", "api_base": up.base_url, "api_key": "${FX_KEY}", "api_format": "openai-chat"}}}))
    env = {**os.environ, "FX_KEY": up.api_key, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("AMUX_CONFIG", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", "proxy", "--config", str(config), "--provider", "fx",
        "--model", "fx-model", *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_amux_proxy_prints_its_url_serves_and_exits_cleanly(tmp_path, signum):
    log_file = tmp_path / "traffic.jsonl"
    async with UpstreamServer("openai-chat", [Reply(text="from the cli proxy")]) as up:
        proc = await _start_proxy(tmp_path, up, "--log", str(log_file), "--provider-arg", "extra_headers.X-Team=ml")
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            ready = json.loads(line)
            assert set(ready) == {"url", "token"}
            assert ready["url"].startswith("http://127.0.0.1:")
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{ready['url']}/v1/chat/completions",
                                     headers={"Authorization": f"Bearer {ready['token']}"},
                                     json={"model": "whatever", "messages": [{"role": "user", "content": "hi"}]}) as r:
                    assert r.status == 200
                    assert (await r.json())["choices"][0]["message"]["content"] == "from the cli proxy"
            proc.send_signal(signum)
            code = await asyncio.wait_for(proc.wait(), 15)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert code == 0, (await proc.stderr.read()).decode()
    assert up.requests[0].json["model"] == "fx-model"
    assert up.requests[0].headers["x-team"] == "ml"
    lines = [json.loads(text) for text in log_file.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["status"] == 200 and lines[0]["model"] == "fx-model" and lines[0]["route"].startswith("POST ")
    assert ready["token"] not in log_file.read_text()
    assert up.api_key not in log_file.read_text()


async def test_amux_proxy_refuses_a_public_host(tmp_path):
    async with UpstreamServer("openai-chat") as up:
        proc = await _start_proxy(tmp_path, up, "--host", "0.0.0.0")
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert b"loopback" in err and out == b""


async def test_amux_proxy_reports_a_taken_port(tmp_path):
    async with UpstreamServer("openai-chat") as up:
        proc = await _start_proxy(tmp_path, up, "--port", str(up.port))
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert b"cannot listen" in err and out == b""


async def test_preflight():
    assert await check_proxy_can_start() == []
    problems = await check_proxy_can_start("0.0.0.0")
    assert len(problems) == 1 and "loopback" in problems[0]
