"""OpenAI Responses: ``POST /v1/responses`` (all Codex uses)."""

from __future__ import annotations

from aiohttp import web

from ..exchange import forward
from .routing import VERSION_PREFIXES, add

PROTOCOL = "openai-responses"


async def responses(request: web.Request) -> web.StreamResponse:
    return await forward(request, PROTOCOL)


def add_routes(app: web.Application) -> None:
    for prefix in VERSION_PREFIXES:
        add(app, "POST", f"{prefix}/responses", responses, PROTOCOL)
