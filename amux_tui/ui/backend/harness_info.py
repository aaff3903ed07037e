"""Which harnesses amux knows and which are installed here, with versions (the harnesses room's
inventory, probed once in a worker and cached)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass


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
        from ...harnesses.inventory import list_harnesses

        return [HarnessView(status.name, status.label, status.installed, status.version, status.path,
                            status.install_command, tuple(status.protocols))
                for status in await list_harnesses(self.env)]
