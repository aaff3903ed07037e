"""Which harnesses are installed, where, and which version: `amux harnesses` and the dashboard.

Version probes run concurrently, each in its own session with a timeout, so one slow or hung
binary never holds up the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import HarnessAdapter
from .locations import find_binary
from .registry import ADAPTERS
from .version_cache import cached_version, remember_version

VERSION_TIMEOUT = 8.0
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z.-]+)?")


@dataclass(frozen=True)
class HarnessStatus:
    name: str
    label: str
    installed: bool
    path: str | None
    version: str | None
    install_command: str
    protocols: tuple[str, ...]
    native_providers: tuple[str, ...]
    can_resume: bool
    resume_by_id: bool
    resume_usage: str
    headless_usage: str
    needs_tty: bool
    problem: str | None = None

    def to_public_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "installed": self.installed, "path": self.path,
            "version": self.version, "install": self.install_command, "protocols": list(self.protocols),
            "native_providers": list(self.native_providers),
            "capabilities": {"can_resume": self.can_resume, "resume_by_id": self.resume_by_id,
                             "resume": self.resume_usage, "headless": self.headless_usage,
                             "needs_tty": self.needs_tty},
            "problem": self.problem,
        }


def parse_version(text: str) -> str | None:
    match = _VERSION.search(text)
    return match.group(0) if match else None


async def probe_version(path: str, args: tuple[str, ...], *, env: Mapping[str, str] | None = None,
                        timeout: float = VERSION_TIMEOUT) -> tuple[str | None, str | None]:
    """(version, problem): run ``path args`` without a terminal, at most ``timeout`` seconds."""
    try:
        process = await asyncio.create_subprocess_exec(
            path, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True, env=dict(os.environ if env is None else env))
    except OSError as exc:
        return None, f"cannot run {path}: {exc}"
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        return None, f"{' '.join([path, *args])} did not answer within {timeout:g} s"
    text = (out or err).decode("utf-8", "replace")
    version = parse_version(text)
    if process.returncode != 0 and version is None:
        return None, f"{' '.join([path, *args])} exited with {process.returncode}"
    return version, None


async def harness_status(adapter: HarnessAdapter, env: Mapping[str, str] | None = None,
                         timeout: float = VERSION_TIMEOUT) -> HarnessStatus:
    env = os.environ if env is None else env
    program = adapter.command([], env)[0]
    path = find_binary(program, env)
    version = problem = None
    if path and adapter.version_args:
        version = cached_version(path, env)
        if version is None:
            version, problem = await probe_version(path, adapter.version_args, env=env, timeout=timeout)
            if version:
                remember_version(path, version, env)
    return HarnessStatus(
        adapter.name, adapter.label, path is not None, path, version, adapter.install.command,
        tuple(adapter.protocols), tuple(sorted(adapter.native_providers)), adapter.CAN_RESUME, adapter.RESUME_BY_ID,
        adapter.resume_usage, adapter.headless_usage, adapter.NEEDS_TTY, problem)


async def list_harnesses(env: Mapping[str, str] | None = None, timeout: float = VERSION_TIMEOUT) -> list[HarnessStatus]:
    """Every known harness, probed concurrently."""
    return list(await asyncio.gather(*(harness_status(a, env, timeout) for a in ADAPTERS.values())))
