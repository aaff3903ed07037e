"""Gemini: ``POST /{version}/models/{model}:generateContent``, ``:streamGenerateContent?alt=sse``,
``:countTokens``, ``GET /{version}/models`` and ``GET /{version}/models/{model}``, for every
API version a client may be set to (google-genai 3.x defaults to ``v1``; Gemini CLI uses
``v1beta``). ``GET /v1/models`` is shared with OpenAI clients: the caller's key style decides."""

from __future__ import annotations

from aiohttp import web

from ..count_tokens import count_tokens
from ..errors import ProxyError, unknown_route
from ..exchange import forward
from ..state import SESSION
from .routing import add

PROTOCOL = "gemini"
API_VERSIONS = ("/v1beta", "/v1", "/v1alpha")
METHODS = ("generateContent", "streamGenerateContent", "countTokens")


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
    raise unknown_route(request, f" The amux proxy does not serve the Gemini method {method!r}.")


def model_entry(name: str) -> dict:
    return {"name": f"models/{name}", "baseModelId": name, "displayName": name, "version": "001",
            "supportedGenerationMethods": list(METHODS)}


async def list_models(request: web.Request) -> web.StreamResponse:
    return web.json_response({"models": [model_entry(name) for name in request[SESSION].known_models()]})


async def get_model(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in request[SESSION].known_models():
        raise ProxyError(404, f"model {name!r} is not one of this session's models", "not_found_error")
    return web.json_response(model_entry(name))


def is_gemini_caller(request: web.Request) -> bool:
    """A Gemini SDK sends its key as ``x-goog-api-key`` or ``?key=``; OpenAI's as a Bearer token."""
    return "x-goog-api-key" in request.headers or "key" in request.query


def add_routes(app: web.Application) -> None:
    for version in API_VERSIONS:
        # a model id may hold slashes (OpenRouter's anthropic/claude-sonnet-4.5): clients put it in the path as is
        add(app, "POST", f"{version}/models/{{target:.+}}", model_action, PROTOCOL)
        if version != "/v1":  # /v1/models and /v1/models/{name} are shared with OpenAI (openai_chat.py)
            add(app, "GET", f"{version}/models", list_models, PROTOCOL)
            add(app, "GET", f"{version}/models/{{name:.+}}", get_model, PROTOCOL)
