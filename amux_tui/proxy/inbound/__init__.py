"""The routes, one module per inbound protocol, each thin: parse the URL, then call the pipeline
(`exchange.forward`, `count_tokens.count_tokens`) or the relay. The passthrough catch-all
``/{provider}/...`` is registered last so the protocol routes win."""

from __future__ import annotations

from aiohttp import web

from . import anthropic, gemini, openai_chat, openai_responses, passthrough


def add_routes(app: web.Application) -> None:
    for module in (anthropic, openai_chat, openai_responses, gemini, passthrough):
        module.add_routes(app)
