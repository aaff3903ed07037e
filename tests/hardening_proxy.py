"""``amux proxy`` as a real process for the hardening tests (`test_hardening_*`): started with a
providers.json for one upstream, its state directory (amux's own log) under ``tmp_path``."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class CliProxy:
    process: asyncio.subprocess.Process
    url: str
    token: str
    port: int
    state_dir: Path

    @property
    def server_log(self) -> Path:
        return self.state_dir / "logs" / "proxy.log"

    async def stop(self, signum: int | None = None) -> tuple[int, bytes]:
        """Signal it (SIGTERM by default) and return (exit code, everything it wrote on stderr)."""
        import signal

        if self.process.returncode is None:
            self.process.send_signal(signum or signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), 15)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        return code, await self.process.stderr.read()


@asynccontextmanager
async def cli_proxy(tmp_path: Path, api_base: str, api_key: str | None, *extra: str, api_format: str = "openai-chat",
                    provider: dict[str, Any] | None = None,
                    preexec: Callable[[], None] | None = None,
                    env_extra: dict[str, str] | None = None) -> AsyncIterator[CliProxy]:
    config = tmp_path / "providers.json"
    entry = {"type": "openai", "api_base": api_base, "api_format": api_format, **(provider or {})}
    if api_key is not None:
        entry["api_key"] = "${FX_KEY}"
    config.write_text(json.dumps({"version": 1, "providers": {"fx": entry}}))
    state = tmp_path / "state"
    env = {**os.environ, "FX_KEY": api_key or "", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "AMUX_STATE_DIR": str(state), **(env_extra or {})}
    env.pop("AMUX_CONFIG", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", "proxy", "--config", str(config), "--provider", "fx",
        "--model", "fx-model", *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        preexec_fn=preexec)
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line:
            raise AssertionError(f"amux proxy did not start: {(await process.stderr.read()).decode()}")
        ready = json.loads(line)
        yield CliProxy(process, ready["url"], ready["token"], int(ready["url"].rsplit(":", 1)[1]), state)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
