"""Token counting (Anthropic ``/v1/messages/count_tokens``, Gemini ``:countTokens``) with a real count.

Whoever can count best does it: a provider speaking the caller's API gets the request relayed;
an Anthropic provider its count_tokens API; a Gemini provider its countTokens; anything else
LiteLLM's ``token_counter`` for the model over the request translated to chat messages. A
failure is an error in the caller's format, never a made-up number.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web

from . import protocols
from .errors import ProxyError, upstream_failure, upstream_status_error
from .exchange import new_record, read_model_request, recorded, relay_same_protocol
from .litellm_backend import count_with_litellm
from .sessions import Session
from .state import HTTP, SESSION
from .traffic import RequestRecord, redact_url
from .translate import encode
from .upstream import protocol_request_headers, read_capped, send_upstream, timeout_for, upstream_url

_ANTHROPIC_COUNT_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking")


async def count_tokens(request: web.Request, inbound: str, *, url_model: str | None = None) -> web.StreamResponse:
    """Serve a count request of ``inbound`` (anthropic-messages or gemini)."""
    session = request[SESSION]
    record = new_record(request, inbound)

    async def work() -> web.StreamResponse:
        raw, body, model = await read_model_request(request, session, record, inbound, url_model)
        provider = session.provider
        if provider.speaks(inbound):
            action = "count_tokens" if inbound == "anthropic-messages" else "countTokens"
            return await relay_same_protocol(request, session, record, inbound=inbound, raw=raw, body=body,
                                             model=model, stream=False, action=action)
        if inbound == "gemini":  # the request to count may come wrapped, in either proto spelling
            wrapped = body.get("generateContentRequest", body.get("generate_content_request"))
            body = wrapped if isinstance(wrapped, dict) else body
        total = await _count(request, session, record, inbound, body, model)
        record.input_tokens = total
        answer = {"input_tokens": total} if inbound == "anthropic-messages" else {"totalTokens": total}
        out = encode(answer)
        record.response.add(out)
        return web.Response(body=out, content_type="application/json")

    return await recorded(request, session, record, work)


async def _count(request: web.Request, session: Session, record: RequestRecord, inbound: str,
                 body: dict[str, Any], model: str) -> int:
    provider = session.provider
    report = protocols.TranslationReport()
    record.dropped = report.dropped

    def to(target: str) -> dict[str, Any]:
        if inbound == target:
            return body
        return protocols.translate_request(body, source=inbound, target=target, model=model, report=report)

    if provider.speaks("anthropic-messages"):
        record.upstream = "anthropic-messages"
        translated = to("anthropic-messages")
        payload = {key: translated[key] for key in _ANTHROPIC_COUNT_FIELDS if key in translated}
        payload["model"] = model
        answer = await _post(request, session, record, "anthropic-messages", payload, model, "count_tokens")
        return _int_field(answer, "input_tokens")
    if provider.speaks("gemini"):
        record.upstream = "gemini"
        translated = {key: value for key, value in to("gemini").items() if key != "model"}
        payload = {"generateContentRequest": {"model": f"models/{model.removeprefix('models/')}", **translated}}
        answer = await _post(request, session, record, "gemini", payload, model, "countTokens")
        return _int_field(answer, "totalTokens")
    record.upstream = "litellm"
    return await count_with_litellm(session, to("openai-chat"), model)


async def _post(request: web.Request, session: Session, record: RequestRecord, protocol: str,
                payload: dict[str, Any], model: str, action: str) -> Any:
    url = upstream_url(session.provider, protocol, model, stream=False, action=action)
    shown_url = redact_url(url)
    data = encode(payload)
    record.upstream_url, record.upstream_body = shown_url, data
    try:
        # send_upstream, as every route: a pooled connection the server closed unanswered is retried once.
        upstream = await send_upstream(request.app[HTTP], "POST", url, data=data,
                                       headers=protocol_request_headers(session.provider, protocol),
                                       timeout=timeout_for(session.params))
        try:
            raw = await read_capped(upstream, shown_url)
        except BaseException:
            upstream.close()
            raise
        finally:
            upstream.release()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise upstream_failure(exc, shown_url) from None
    record.first_byte()
    if upstream.status >= 400:
        record.response.add(raw)  # the provider's own error, as translation records it
        raise upstream_status_error(protocol, upstream.status, raw, upstream.headers)
    try:
        return json.loads(raw)
    except ValueError:
        raise ProxyError(502, f"the upstream {shown_url} answered the count with something that is not JSON") from None


def _int_field(answer: Any, key: str) -> int:
    value = answer.get(key) if isinstance(answer, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProxyError(502, f"the upstream's token count has no usable {key!r}")
    return value
