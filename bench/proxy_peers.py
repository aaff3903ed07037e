"""Peers for ``proxy_overhead.py --peers``: claude-code-router (npm) and LiteLLM's proxy (a venv of
its own), installed on demand under ``.cache/bench-peers`` and pointed at the same local upstream.
A peer that cannot be installed or started is skipped with a message."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench-peers"
CCR_PACKAGE = "@musistudio/claude-code-router"
CCR_VERSION = "2.0.0"  # 3.x depends on a package missing from the registry


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_for_port(port: int, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return True
        except OSError:
            await asyncio.sleep(0.2)
    return False


def _run(argv: list[str], timeout: float, **kwargs: Any) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=timeout, **kwargs).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def install_ccr() -> Path | None:
    binary = CACHE / "ccr" / "node_modules" / ".bin" / "ccr"
    if binary.exists():
        return binary
    if not shutil.which("npm"):
        print("peers: npm not found, skipping claude-code-router")
        return None
    if not _run(["npm", "view", f"{CCR_PACKAGE}@{CCR_VERSION}", "version"], 60):
        print(f"peers: {CCR_PACKAGE}@{CCR_VERSION} not found in the registry, skipping it")
        return None
    (CACHE / "ccr").mkdir(parents=True, exist_ok=True)
    print(f"peers: installing {CCR_PACKAGE}@{CCR_VERSION} ...", flush=True)
    if not _run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", f"{CCR_PACKAGE}@{CCR_VERSION}"],
                600, cwd=CACHE / "ccr") or not binary.exists():
        print("peers: claude-code-router did not install, skipping it")
        return None
    return binary


def install_litellm_proxy() -> Path | None:
    venv = CACHE / "litellm-venv"
    binary = venv / "bin" / "litellm"
    if binary.exists() and _run([str(venv / "bin" / "python"), "-c", "import litellm.proxy.proxy_server"], 120):
        return binary
    print("peers: installing litellm[proxy] into a venv of its own ...", flush=True)
    if not _run([sys.executable, "-m", "venv", str(venv)], 120) or not _run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "litellm[proxy]"], 900) or not binary.exists():
        print("peers: litellm[proxy] did not install, skipping LiteLLM's proxy")
        return None
    return binary


async def start_ccr(binary: Path, upstream_base: str, key: str, model: str, workdir: Path):
    from proxy_overhead import Target

    port = free_port()
    home = workdir / "ccr-home"
    (home / ".claude-code-router").mkdir(parents=True, exist_ok=True)
    (home / ".claude-code-router" / "config.json").write_text(json.dumps({
        "PORT": port, "HOST": "127.0.0.1", "LOG": False, "NON_INTERACTIVE_MODE": True,
        "Providers": [{"name": "bench", "api_base_url": f"{upstream_base}/chat/completions", "api_key": key,
                       "models": [model]}],
        "Router": {"default": f"bench,{model}"}}))
    proc = await asyncio.create_subprocess_exec(str(binary), "start", stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.DEVNULL,
                                                env={**os.environ, "HOME": str(home)})
    if not await wait_for_port(port, 30):
        return proc, None
    return proc, Target("claude-code-router", f"http://127.0.0.1:{port}/v1/messages", "",
                        {"x-api-key": "unused", "anthropic-version": "2023-06-01"}, {}, proc.pid)


async def start_litellm(binary: Path, upstream_base: str, key: str, model: str, workdir: Path):
    from proxy_overhead import Target

    port = free_port()
    master_key = "sk-bench-" + secrets.token_hex(16)  # it refuses to start without one
    config = workdir / "litellm.yaml"  # JSON is YAML
    config.write_text(json.dumps({
        "model_list": [{"model_name": "claude-sonnet-4", "litellm_params": {
            "model": f"openai/{model}", "api_base": upstream_base, "api_key": key}}],
        "litellm_settings": {"drop_params": True, "telemetry": False},
        "general_settings": {"master_key": master_key}}))
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HOME": str(workdir)}
    env.pop("PYTHONPATH", None)
    proc = await asyncio.create_subprocess_exec(str(binary), "--config", str(config), "--host", "127.0.0.1",
                                                "--port", str(port), "--num_workers", "1",
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                                                env=env)
    if not await wait_for_port(port, 120):
        return proc, None
    return proc, Target("litellm-proxy", f"http://127.0.0.1:{port}/v1/messages", "",
                        {"x-api-key": master_key, "Authorization": f"Bearer {master_key}",
                         "anthropic-version": "2023-06-01"}, {}, proc.pid)


async def run_peers(upstream_base: str, key: str, model: str, workdir: Path,
                    measure: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    from proxy_overhead import stop_process

    figures = []
    loop = asyncio.get_running_loop()
    for name, install, start in (("claude-code-router", install_ccr, start_ccr),
                                 ("litellm-proxy", install_litellm_proxy, start_litellm)):
        binary = await loop.run_in_executor(None, install)
        if binary is None:
            continue
        proc, target = await start(binary, upstream_base, key, model, workdir)
        try:
            if target is None:
                print(f"peers: {name} did not start listening, skipping it")
                continue
            print(f"peers: measuring {name} (pid {proc.pid})", flush=True)
            try:
                figures.append(await measure(target))
            except Exception as exc:  # noqa: BLE001 - a peer failing is a line in the report, not a crash
                print(f"peers: {name} failed during the run: {type(exc).__name__}: {str(exc)[:300]}")
        finally:
            await stop_process(proc)
    return figures
