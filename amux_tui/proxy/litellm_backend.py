"""The LiteLLM path, for providers no wire API of ours reaches (Bedrock, Vertex, Azure, ...).

The caller's request is translated to an OpenAI chat body, handed to ``litellm.acompletion``,
and its answer comes back as OpenAI chat chunks, encoded as chat SSE and fed through the same
`protocols.StreamTranslator` the HTTP path uses. LiteLLM is imported on first use only, in the
default executor (its import takes seconds and blocks), and never for the proxy's start-up.
"""

from __future__ import annotations

import asyncio
import json
from types import ModuleType
from typing import Any

from aiohttp import web

from ..providers.litellm_bridge import import_litellm
from . import protocols
from .errors import ProxyError
from .litellm_redirects import (RedirectRefused, RedirectWatch, current_watch, refuse_redirects_in_litellm,
                                refusing_session_for_this_loop)
from .sessions import Session
from .traffic import RequestRecord, redact_params
from .translate import SSE_HEADERS, encode
from .usage import cache_from_object, usage_from_object

_litellm: ModuleType | None = None
_loading: asyncio.Future[ModuleType] | None = None

# Chat body fields that are LiteLLM call arguments of their own (or ours to set).
_NOT_FORWARDED = frozenset({"model", "messages", "stream", "stream_options"})
# The two names a chat caller may give its output limit (OpenAI's reasoning models take the second).
_CHAT_LIMIT_FIELDS = ("max_tokens", "max_completion_tokens")


async def load_litellm() -> ModuleType:
    """Import LiteLLM once, off the event loop; concurrent callers share one import."""
    global _litellm, _loading
    if _litellm is not None:
        return _litellm
    if _loading is None:
        loop = asyncio.get_running_loop()
        _loading = asyncio.ensure_future(loop.run_in_executor(None, import_litellm))
    try:
        module = await asyncio.shield(_loading)
    except Exception:
        _loading = None
        raise
    module.suppress_debug_info = True
    refuse_redirects_in_litellm(module)  # before any client is made: none of them follows a redirect
    _litellm = module
    return module


_TIMEOUTS = frozenset({"Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout", "TimeoutException"})
_UNREACHABLE = frozenset({"APIConnectionError", "ConnectError", "ConnectionRefusedError", "ClientConnectorError",
                          "RemoteProtocolError"})


def _cause_names(exc: BaseException) -> set[str]:
    """Class names along the exception's cause chain (LiteLLM wraps the httpx/openai original)."""
    names: set[str] = set()
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        names.update(cls.__name__ for cls in type(seen).__mro__)
        seen = seen.__cause__ or seen.__context__
    return names


def litellm_failure(exc: BaseException, watch: RedirectWatch | None = None) -> ProxyError:
    """A LiteLLM exception as the status and message the caller sees (provider message kept); a
    redirect refused during the call (``watch``), however LiteLLM wrapped it, is the 502 naming its host."""
    if watch is not None and watch.failure is not None:
        return watch.failure
    refused = _refused_in_chain(exc)
    if refused is not None:
        return refused.failure
    message = str(getattr(exc, "message", "") or exc) or type(exc).__name__
    causes = _cause_names(exc)
    if causes & _TIMEOUTS or isinstance(exc, asyncio.TimeoutError):
        return ProxyError(504, message)
    if causes & _UNREACHABLE:
        # LiteLLM reports a refused connection as a 500 "InternalServerError: Connection error."
        return ProxyError(502, message)
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int) or not 400 <= status <= 599:
        status = 502
    return ProxyError(status, message)


def _refused_in_chain(exc: BaseException) -> RedirectRefused | None:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None or isinstance(seen, RedirectRefused):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def capped_chat_body(body: dict[str, Any], cap: int | None) -> dict[str, Any]:
    """A chat caller's body with its output limit clamped to ``cap``, as translation clamps it
    (silently, only lowering: a smaller limit the caller asked for is kept)."""
    chat_body = dict(body)
    if cap is None:
        return chat_body
    for name in _CHAT_LIMIT_FIELDS:
        value = chat_body.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > cap:
            chat_body[name] = cap
    return chat_body


def call_arguments(session: Session, chat_body: dict[str, Any], model: str, *, stream: bool) -> dict[str, Any]:
    """Keyword arguments for ``litellm.acompletion``: the chat body's options, the provider's
    params untouched, its key and base when it has them."""
    provider = session.provider
    arguments = {key: value for key, value in chat_body.items() if key not in _NOT_FORWARDED}
    arguments.update(provider.params)
    arguments.update(model=provider.litellm_model(model), messages=chat_body.get("messages", []), stream=stream)
    arguments.setdefault("drop_params", True)
    if stream:
        arguments["stream_options"] = {"include_usage": True}
    if provider.api_key:
        arguments.setdefault("api_key", provider.api_key)
    if provider.vertex_express:
        # LiteLLM's vertex_ai route ignores an api_key and signs with whatever Google credentials it
        # finds; express mode is the Gemini API's wire at Vertex's project-less paths, which its
        # gemini route sends the key to (x-goog-api-key) when given that base.
        for name in _VERTEX_IDENTITY:
            arguments.pop(name, None)
        arguments.update(model=f"gemini/{model.removeprefix('vertex_ai/')}", api_base=provider.vertex_express_base())
    if provider.api_base:
        arguments.setdefault("api_base", provider.api_base)
    if (provider.litellm_prefix or provider.type) == "bedrock":
        for name, value in _configured_aws_identity_only(arguments).items():
            arguments.setdefault(name, value)
    return arguments


_VERTEX_IDENTITY = ("vertex_credentials", "vertex_project", "vertex_location", "vertex_ai_credentials",
                    "vertex_ai_project", "vertex_ai_location")


def _configured_aws_identity_only(arguments: dict[str, Any]) -> dict[str, str]:
    """Empty values that keep amux's own environment out of a Bedrock call configured with keys or a
    profile: LiteLLM fills each AWS setting a call leaves unset from the environment and prefers a
    bearer token to signing, so the shell's AWS_BEARER_TOKEN_BEDROCK would win over the configured
    identity and its AWS_SESSION_TOKEN would be paired with the configured keys. LiteLLM takes
    "" as set and empty: no token."""
    keys, profile = arguments.get("aws_access_key_id"), arguments.get("aws_profile_name")
    guard = {"api_key": ""} if keys or profile else {}
    if keys:
        guard["aws_session_token"] = ""
    return guard


async def complete_via_litellm(request: web.Request, session: Session, record: RequestRecord, *, inbound: str,
                               body: dict[str, Any], model: str, stream: bool) -> web.StreamResponse:
    litellm = await load_litellm()
    record.upstream = "litellm"
    record.cost_model, record.pricing = session.provider.litellm_model(model), session.provider.pricing
    report = protocols.TranslationReport()
    record.dropped = report.dropped
    if inbound == "openai-chat":
        chat_body = capped_chat_body(body, session.translate_options.max_tokens_cap)
    else:
        chat_body = protocols.translate_request(body, source=inbound, target="openai-chat", model=model, report=report,
                                                options=session.translate_options)
    arguments = call_arguments(session, chat_body, model, stream=stream)
    # The call carries the provider's params (AWS keys, Vertex credentials...): never record those.
    shown = {key: value if key in chat_body else redact_params({key: value})[key] for key, value in arguments.items()}
    record.upstream_body = encode(shown)
    record.upstream_url = f"litellm:{arguments['model']}"
    refusing_session_for_this_loop(litellm)
    watch = RedirectWatch()
    current_watch.set(watch)  # this request's task only: its LiteLLM clients report refused redirects here
    try:
        answer = await litellm.acompletion(**arguments)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - LiteLLM raises many types; all become caller errors
        raise litellm_failure(exc, watch) from None
    if not stream:
        record.first_byte()
        data = answer.model_dump(exclude_none=True)
        record.input_tokens, record.output_tokens = usage_from_object(data)
        record.cache_read_tokens, record.cache_write_tokens = cache_from_object(data)
        if inbound != "openai-chat":
            data = protocols.translate_response(data, source="openai-chat", target=inbound, model=model, report=report)
        out = encode(data)
        record.response.add(out)
        record.status = 200
        return web.Response(body=out, content_type="application/json")
    return await _relay_chunks(request, record, answer, inbound=inbound, model=model, report=report,
                               include_usage=protocols.client_wants_usage(body, inbound), watch=watch)


async def _relay_chunks(request: web.Request, record: RequestRecord, chunks: Any, *, inbound: str, model: str,
                        report: Any, include_usage: bool, watch: RedirectWatch) -> web.StreamResponse:
    translator = None if inbound == "openai-chat" else protocols.StreamTranslator(
        upstream="openai-chat", client=inbound, model=model, report=report)
    # Some providers' streams make their HTTP call at the first chunk: waiting for it before the head
    # lets a failure there (a refused redirect, a 401) be a real error status, not a 200 with an error event.
    iterator = aiter(chunks)
    try:
        first = [await anext(iterator)]
    except StopAsyncIteration:
        first = []
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - as for the call itself
        raise litellm_failure(exc, watch) from None
    response = web.StreamResponse(headers=SSE_HEADERS)
    await response.prepare(request)
    record.status = 200
    capture = record.response

    async def send(out: bytes) -> None:
        if out:
            if record.ttfb_ms is None:
                record.first_byte()
            capture.add(out)
            await response.write(out)

    async def every_chunk() -> Any:
        for chunk in first:
            yield chunk
        async for chunk in iterator:
            yield chunk

    try:
        async for chunk in every_chunk():
            data = chunk.model_dump(exclude_none=True)
            if data.get("usage"):
                record.input_tokens, record.output_tokens = usage_from_object(data)
                record.cache_read_tokens, record.cache_write_tokens = cache_from_object(data)
                if not include_usage:
                    del data["usage"]
                    if not data.get("choices"):
                        continue
            event = b"data: " + json.dumps(data, separators=(",", ":"), default=str).encode() + b"\n\n"
            await send(translator.feed(event) if translator else event)
        tail = translator.finish() if translator else b"data: [DONE]\n\n"
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - a mid-stream failure ends the stream with an error event
        failure = litellm_failure(exc, watch)
        record.error = failure.message
        if translator is not None:
            tail = translator.fail(failure.status, failure.message)
        else:
            from .errors import stream_error_event

            tail = stream_error_event("openai-chat", failure.status, failure.message)
    await send(tail)
    await response.write_eof()
    return response


async def count_with_litellm(session: Session, chat_body: dict[str, Any], model: str) -> int:
    """Tokens of a chat request by LiteLLM's counter for the model (its tokenizer runs off the loop)."""
    litellm = await load_litellm()
    loop = asyncio.get_running_loop()

    def count() -> int:
        return int(litellm.token_counter(model=session.provider.litellm_model(model),
                                         messages=chat_body.get("messages") or [], tools=chat_body.get("tools")))

    try:
        return await loop.run_in_executor(None, count)
    except Exception as exc:  # noqa: BLE001
        raise ProxyError(500, f"cannot count tokens for {model}: {type(exc).__name__}: {exc}") from None
