"""Passthrough: ``/{provider}/...`` relays the provider's own API untouched, any method, streaming
included; only the credentials change (the session token out, the provider's key in)."""

from __future__ import annotations

from aiohttp import web

from ..errors import ProxyError, unknown_route
from ..exchange import new_record, recorded
from ..relay import relay
from ..state import PROTOCOL, SESSION
from ..upstream import passthrough_headers, passthrough_url
from .routing import add


async def passthrough(request: web.Request) -> web.StreamResponse:
    session = request[SESSION]
    provider = session.provider
    if request.match_info["provider"] != provider.name:  # not passthrough: a route the proxy lacks
        raise unknown_route(request, f" This session's provider is {provider.name!r}: its API passes "
                                     f"through under /{provider.name}/.")
    if provider.primary_format:
        request[PROTOCOL] = provider.primary_format
    if provider.via_litellm:
        raise ProxyError(404, f"provider {provider.name!r} is reached through LiteLLM; it has no HTTP API "
                              "to pass through", "not_found_error")
    record = new_record(request, provider.primary_format or "unknown")
    record.upstream = "passthrough"
    record.model = session.model
    record.cost_model, record.pricing = provider.litellm_model(session.model), provider.pricing

    async def work() -> web.StreamResponse:
        body = await request.read() if request.body_exists else None
        record.request_body = body
        url = passthrough_url(provider, request.match_info["tail"], request.query)
        return await relay(request, session, record, method=request.method, url=url,
                           headers=passthrough_headers(provider, request.headers), body=body,
                           protocol=provider.primary_format)

    return await recorded(request, session, record, work)


def add_routes(app: web.Application) -> None:
    add(app, "*", "/{provider}/{tail:.*}", passthrough, None)
