"""Anthropic Messages: ``POST /v1/messages`` (Claude Code adds ``?beta=true``) and
``POST /v1/messages/count_tokens``."""

from __future__ import annotations

from aiohttp import web

from ..count_tokens import count_tokens
from ..exchange import forward
from .routing import VERSION_PREFIXES, add

PROTOCOL = "anthropic-messages"


async def messages(request: web.Request) -> web.StreamResponse:
    return await forward(request, PROTOCOL)


async def messages_count_tokens(request: web.Request) -> web.StreamResponse:
    return await count_tokens(request, PROTOCOL)


def add_routes(app: web.Application) -> None:
    for prefix in VERSION_PREFIXES:
        add(app, "POST", f"{prefix}/messages", messages, PROTOCOL)
        add(app, "POST", f"{prefix}/messages/count_tokens", messages_count_tokens, PROTOCOL)
