"""OpenAI Chat Completions: ``POST /v1/chat/completions`` and ``GET /v1/models``."""

from __future__ import annotations

from aiohttp import web

from ..exchange import forward
from ..state import SESSION
from .routing import VERSION_PREFIXES, add

PROTOCOL = "openai-chat"


async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await forward(request, PROTOCOL)


async def list_models(request: web.Request) -> web.StreamResponse:
    """The session's models, in a shape both OpenAI and Anthropic model-list clients read."""
    session = request[SESSION]
    data = [{"id": name, "object": "model", "type": "model", "display_name": name, "created": 0,
             "created_at": "1970-01-01T00:00:00Z", "owned_by": session.provider.name}
            for name in session.known_models()]
    return web.json_response({"object": "list", "data": data, "has_more": False,
                              "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None})


def add_routes(app: web.Application) -> None:
    for prefix in VERSION_PREFIXES:
        add(app, "POST", f"{prefix}/chat/completions", chat_completions, PROTOCOL)
        add(app, "GET", f"{prefix}/models", list_models, PROTOCOL)
