"""Which harnesses amux knows (the harnesses room's registry) and which are installed here, with
their versions (``<binary> --version``, run as async subprocesses, all at once)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

VERSION_TIMEOUT = 8.0
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z.]+)?")


@dataclass(frozen=True)
class HarnessView:
    name: str
    label: str
    installed: bool
    version: str | None = None
    path: str | None = None
    install_command: str | None = None
    speaks: tuple[str, ...] = ()


class HarnessCatalog:
    """Harness inventory, probed once and cached (``refresh=True`` probes again)."""

    def __init__(self, env: Mapping[str, str], search_path: str | None = None):
        self.env = dict(env)
        if search_path is not None:
            # An explicit search path replaces PATH and amux's own harness dir (tests, screenshots).
            self.env["PATH"] = search_path
            self.env.pop("AMUX_HARNESS_BIN", None)
        self.problem: str | None = None
        self._cache: list[HarnessView] | None = None
        self._probe: asyncio.Task[list[HarnessView]] | None = None

    @property
    def known(self) -> list[HarnessView]:
        """What the last probe found (empty before the first one finished)."""
        return list(self._cache or ())

    async def harnesses(self, *, refresh: bool = False) -> list[HarnessView]:
        if self._cache is not None and not refresh:
            return self._cache
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._inventory())
        self._cache = await asyncio.shield(self._probe)
        return self._cache

    async def _inventory(self) -> list[HarnessView]:
        from ...harnesses.locations import find_binary
        from ...harnesses.registry import ADAPTERS

        async def one(adapter) -> HarnessView:
            path = find_binary(adapter.binary, self.env)
            version = await self._version(path, adapter.version_args) if path and adapter.version_args else None
            return HarnessView(adapter.name, adapter.label, path is not None, version, path,
                               adapter.install.command, tuple(adapter.protocols))

        return list(await asyncio.gather(*(one(adapter) for adapter in ADAPTERS.values())))

    async def _version(self, path: str, args: tuple[str, ...]) -> str | None:
        try:
            process = await asyncio.create_subprocess_exec(
                path, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, env={**self.env, "NO_COLOR": "1"}, start_new_session=True)
        except OSError:
            return None
        try:
            output, _ = await asyncio.wait_for(process.communicate(), VERSION_TIMEOUT)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            _kill_group(process.pid)
            await process.wait()
            return None
        match = _VERSION.search(output.decode("utf-8", "replace"))
        return match.group(0) if match else None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
