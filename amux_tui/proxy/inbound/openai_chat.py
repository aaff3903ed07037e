"""OpenAI Chat Completions: ``POST /v1/chat/completions``; ``GET /v1/models`` and
``GET /v1/models/{model}``, which Gemini clients set to API version ``v1`` use too."""

from __future__ import annotations

from aiohttp import web

from ..errors import ProxyError
from ..exchange import forward
from ..state import PROTOCOL as CALLER_PROTOCOL
from ..state import SESSION
from . import gemini
from .routing import VERSION_PREFIXES, add

PROTOCOL = "openai-chat"


async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await forward(request, PROTOCOL)


def _model(name: str, owner: str) -> dict:
    return {"id": name, "object": "model", "type": "model", "display_name": name, "created": 0,
            "created_at": "1970-01-01T00:00:00Z", "owned_by": owner}


async def list_models(request: web.Request) -> web.StreamResponse:
    """The session's models, in a shape both OpenAI and Anthropic model-list clients read (Gemini's
    for a Gemini caller)."""
    if gemini.is_gemini_caller(request):
        request[CALLER_PROTOCOL] = gemini.PROTOCOL
        return await gemini.list_models(request)
    session = request[SESSION]
    data = [_model(name, session.provider.name) for name in session.known_models()]
    return web.json_response({"object": "list", "data": data, "has_more": False,
                              "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None})


async def get_model(request: web.Request) -> web.StreamResponse:
    if gemini.is_gemini_caller(request):
        request[CALLER_PROTOCOL] = gemini.PROTOCOL
        return await gemini.get_model(request)
    session = request[SESSION]
    name = request.match_info["name"]
    if name not in session.known_models():
        raise ProxyError(404, f"model {name!r} is not one of this session's models", "not_found_error")
    return web.json_response(_model(name, session.provider.name))


def add_routes(app: web.Application) -> None:
    for prefix in VERSION_PREFIXES:
        add(app, "POST", f"{prefix}/chat/completions", chat_completions, PROTOCOL)
        add(app, "GET", f"{prefix}/models", list_models, PROTOCOL)
        add(app, "GET", f"{prefix}/models/{{name:.+}}", get_model, PROTOCOL)  # ids may hold slashes
