"""Helpers for tests that talk to the amux proxy the way each harness does.

    async with proxy_for(up.provider(), "m") as (server, session):
        status, body = await post(session, "anthropic-messages", request_body("anthropic-messages", "hi"))
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from amux_tui.proxy.server import ProxyServer
from amux_tui.proxy.sessions import SessionRegistration

PROTOCOLS = ("anthropic-messages", "openai-chat", "openai-responses", "gemini")


def _translatable() -> set[str]:
    """Protocols the translators (built in parallel) already have codecs for."""
    try:
        from amux_tui.proxy.protocols.codecs import CODECS
    except ImportError:
        return set()
    return set(CODECS)


TRANSLATABLE = _translatable()
PAIRS = [(inbound, upstream) for inbound in PROTOCOLS for upstream in PROTOCOLS
         if inbound == upstream or {inbound, upstream} <= TRANSLATABLE]
"""(caller protocol, provider protocol) pairs the proxy can serve: the same protocol is relayed,
different ones need both codecs."""


@asynccontextmanager
async def proxy_for(provider: Any, model: str = "fixture-model",
                    **register: Any) -> AsyncIterator[tuple[ProxyServer, SessionRegistration]]:
    async with ProxyServer() as server:
        yield server, server.register_session(provider, model, **register)


def auth_headers(protocol: str, token: str) -> dict[str, str]:
    """The credential header each harness sends for ``protocol``."""
    if protocol == "anthropic-messages":
        return {"x-api-key": token, "anthropic-version": "2023-06-01"}
    if protocol == "gemini":
        return {"x-goog-api-key": token}
    return {"Authorization": f"Bearer {token}"}


def route(base_url: str, protocol: str, *, model: str = "fixture-model", stream: bool = False) -> str:
    if protocol == "anthropic-messages":
        return f"{base_url}/v1/messages?beta=true"
    if protocol == "openai-chat":
        return f"{base_url}/v1/chat/completions"
    if protocol == "openai-responses":
        return f"{base_url}/v1/responses"
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"{base_url}/v1beta/models/{model}:{method}"


def request_body(protocol: str, text: str, *, stream: bool = False, model: str = "fixture-model") -> dict[str, Any]:
    """The smallest realistic request of each protocol."""
    if protocol == "anthropic-messages":
        return {"model": model, "max_tokens": 100, "stream": stream,
                "messages": [{"role": "user", "content": text}]}
    if protocol == "openai-chat":
        body: dict[str, Any] = {"model": model, "stream": stream, "messages": [{"role": "user", "content": text}]}
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body
    if protocol == "openai-responses":
        return {"model": model, "stream": stream, "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]}
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


async def post(session: SessionRegistration, protocol: str, body: Any, *, stream: bool = False,
               token: str | None = None, model: str = "fixture-model",
               http: aiohttp.ClientSession | None = None) -> tuple[int, bytes]:
    """POST ``body`` (a dict, or raw bytes) to the protocol's route; returns (status, body bytes)."""
    headers = auth_headers(protocol, session.token if token is None else token)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers["Content-Type"] = "application/json"
    own = http is None
    http = http or aiohttp.ClientSession()
    try:
        async with http.post(route(session.base_url, protocol, model=model, stream=stream), data=data,
                             headers=headers) as resp:
            return resp.status, await resp.read()
    finally:
        if own:
            await http.close()


def sse_events(raw: bytes) -> list[tuple[str | None, Any]]:
    """(event name, parsed data) of every SSE event; ``[DONE]`` is kept as the string."""
    events = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            text = "\n".join(data)
            events.append((name, text if text == "[DONE]" else json.loads(text)))
    return events


def error_shape_ok(protocol: str, body: Any, status: int) -> bool:
    """Whether ``body`` is a well-formed error of ``protocol`` for ``status``."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return False
    error = body["error"]
    if protocol == "anthropic-messages":
        return body.get("type") == "error" and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)
    if protocol == "gemini":
        return error.get("code") == status and isinstance(error.get("status"), str) and isinstance(error.get("message"), str)
    return isinstance(error.get("message"), str) and isinstance(error.get("type"), str)


def read_answer(protocol: str, raw: bytes, stream: bool) -> tuple[str, list[tuple[str, str, dict]]]:
    """(text, tool calls) of an answer as the caller's SDK would assemble it."""
    if not stream:
        return _read_body(protocol, json.loads(raw))
    text, calls, args = "", {}, {}
    for name, data in sse_events(raw):
        if data == "[DONE]":
            continue
        assert "error" not in (data if isinstance(data, dict) else {}), data
        if protocol == "anthropic-messages":
            if data["type"] == "content_block_start" and data["content_block"]["type"] == "tool_use":
                calls[data["index"]] = (data["content_block"]["id"], data["content_block"]["name"])
                args[data["index"]] = ""
            elif data["type"] == "content_block_delta":
                delta = data["delta"]
                text += delta.get("text", "")
                if delta["type"] == "input_json_delta":
                    args[data["index"]] += delta["partial_json"]
        elif protocol == "openai-chat":
            for choice in data.get("choices", []):
                delta = choice.get("delta", {})
                text += delta.get("content") or ""
                for tc in delta.get("tool_calls", []) or []:
                    if tc.get("id"):
                        calls[tc["index"]] = (tc["id"], tc["function"]["name"])
                        args[tc["index"]] = ""
                    args[tc["index"]] += tc["function"].get("arguments", "")
        elif protocol == "openai-responses":
            if data["type"] == "response.output_text.delta":
                text += data["delta"]
            elif data["type"] == "response.completed":
                _, done_calls = _read_body(protocol, data["response"])
                return text, done_calls
        else:
            for part in data["candidates"][0].get("content", {}).get("parts", []):
                if "functionCall" in part:
                    fc = part["functionCall"]
                    calls[len(calls)] = (fc.get("id") or fc["name"], fc["name"])
                    args[len(args)] = json.dumps(fc.get("args", {}))
                elif not part.get("thought"):
                    text += part.get("text", "")
    return text, [(cid, cname, json.loads(args[i] or "{}")) for i, (cid, cname) in sorted(calls.items())]


def _read_body(protocol: str, body: dict) -> tuple[str, list[tuple[str, str, dict]]]:
    if protocol == "anthropic-messages":
        return ("".join(b.get("text", "") for b in body["content"] if b["type"] == "text"),
                [(b["id"], b["name"], b["input"]) for b in body["content"] if b["type"] == "tool_use"])
    if protocol == "openai-chat":
        message = body["choices"][0]["message"]
        return (message.get("content") or "",
                [(tc["id"], tc["function"]["name"], json.loads(tc["function"]["arguments"]))
                 for tc in message.get("tool_calls") or []])
    if protocol == "openai-responses":
        text = "".join(c.get("text", "") for item in body["output"] if item["type"] == "message"
                       for c in item["content"])
        return text, [(i["call_id"], i["name"], json.loads(i["arguments"])) for i in body["output"]
                      if i["type"] == "function_call"]
    parts = body["candidates"][0]["content"]["parts"]
    return ("".join(p.get("text", "") for p in parts if not p.get("thought")),
            [(p["functionCall"].get("id") or p["functionCall"]["name"], p["functionCall"]["name"],
              p["functionCall"].get("args", {})) for p in parts if "functionCall" in p])


def read_answer_text(protocol: str, raw: bytes, stream: bool) -> str:
    return read_answer(protocol, raw, stream)[0]
