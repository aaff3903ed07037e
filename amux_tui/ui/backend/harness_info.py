"""Which harnesses amux knows and which are installed, from the harnesses room."""

from __future__ import annotations

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
    def __init__(self, env: Mapping[str, str], search_path: str | None = None):
        self.env = env
        self.search_path = search_path
        self.problem: str | None = None
        self._cache: list[HarnessView] | None = None

    async def harnesses(self, *, refresh: bool = False) -> list[HarnessView]:
        if self._cache is not None and not refresh:
            return self._cache
        try:
            from ...harnesses import inventory  # noqa: F401
        except ImportError as exc:
            self.problem = f"the harnesses room is not available yet ({exc})"
            return []
        return []

    def names(self) -> list[str]:
        return [view.name for view in self._cache or ()]
