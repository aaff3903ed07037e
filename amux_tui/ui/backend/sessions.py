"""Launched sessions and the proxy they share (started on the first proxied launch)."""

from __future__ import annotations

from collections.abc import Mapping


class SessionManager:
    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self._sessions: dict[str, object] = {}

    def live_sessions(self) -> list[object]:
        return []

    async def close_all(self) -> None:
        return None
