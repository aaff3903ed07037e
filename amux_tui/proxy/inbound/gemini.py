"""Gemini: ``POST /v1beta/models/{model}:generateContent``, ``:streamGenerateContent?alt=sse``,
``:countTokens``, and ``GET /v1beta/models``."""

from __future__ import annotations

from aiohttp import web

from ..count_tokens import count_tokens
from ..errors import ProxyError
from ..exchange import forward
from ..state import SESSION
from .routing import add

PROTOCOL = "gemini"


async def model_action(request: web.Request) -> web.StreamResponse:
    model, _, method = request.match_info["target"].rpartition(":")
    if not model:
        raise ProxyError(404, f"expected /v1beta/models/MODEL:METHOD, got {request.path}", "not_found_error")
    if method == "generateContent":
        return await forward(request, PROTOCOL, url_model=model)
    if method == "streamGenerateContent":
        return await forward(request, PROTOCOL, url_model=model, url_stream=True)
    if method == "countTokens":
        return await count_tokens(request, PROTOCOL, url_model=model)
    raise ProxyError(404, f"the amux proxy does not serve the Gemini method {method!r}", "not_found_error")


async def list_models(request: web.Request) -> web.StreamResponse:
    session = request[SESSION]
    return web.json_response({"models": [
        {"name": f"models/{name}", "baseModelId": name, "displayName": name,
         "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"]}
        for name in session.known_models()]})


def add_routes(app: web.Application) -> None:
    add(app, "POST", "/v1beta/models/{target}", model_action, PROTOCOL)
    add(app, "GET", "/v1beta/models", list_models, PROTOCOL)
