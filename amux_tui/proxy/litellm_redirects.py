"""LiteLLM never follows an upstream redirect (issue 13, item 1).

LiteLLM's HTTP clients follow a 307/308 with the provider's key and the body, to whatever host the
redirect names. There is no single client to hand it: OpenAI-compatible providers go through the
``openai`` SDK (an ``AsyncOpenAI`` around an ``httpx.AsyncClient``), the others through LiteLLM's
``AsyncHTTPHandler``, and which one a provider uses is decided deep inside ``litellm.main``. What
they share is LiteLLM's client cache (``litellm.in_memory_llm_clients_cache``): every client LiteLLM
builds for a call is stored there before its first request, except the SDK clients of a few OpenAI
paths, which wrap ``litellm.aclient_session`` when it is set. `refuse_redirects_in_litellm` swaps in
a cache that, on store, turns each client's redirect following off and adds a response hook that
refuses any redirect answer (so a request that asks to follow one explicitly is stopped as well);
`refusing_session_for_this_loop` sets an ``aclient_session`` made the same way. Google's token
exchange (Vertex credentials) goes through google-auth's own transport: `refuse_redirects_in_google_auth`.

The hook notes the redirect's host in the call's `RedirectWatch` (a context variable set around
``litellm.acompletion``), so the caller's 502 names it whatever exception LiteLLM wraps it in.
"""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..url_masking import mask_url
from .errors import ProxyError, is_redirect, redirect_failure


class RedirectRefused(Exception):
    """An upstream answered with a redirect, which amux does not follow (``failure`` is the caller's 502)."""

    def __init__(self, failure: ProxyError):
        super().__init__(failure.message)
        self.failure = failure


@dataclass
class RedirectWatch:
    """The redirects refused during one LiteLLM call (a mutable object, so tasks it starts share it)."""

    refused: list[ProxyError] = field(default_factory=list)

    @property
    def failure(self) -> ProxyError | None:
        return self.refused[0] if self.refused else None


current_watch: contextvars.ContextVar[RedirectWatch | None] = contextvars.ContextVar("amux_redirect_watch",
                                                                                      default=None)


def refused_redirect(response: Any) -> ProxyError | None:
    """The caller's 502 for an httpx redirect answer (naming only the host it points to), else None."""
    if not is_redirect(response.status_code) or "location" not in response.headers:
        return None
    return redirect_failure(response.status_code, response.headers.get("location"), mask_url(str(response.request.url)))


async def _refuse_redirect(response: Any) -> None:
    if (failure := refused_redirect(response)) is not None:
        _refuse(failure)


def _refuse(failure: ProxyError) -> None:
    """Note the refused redirect in the call's watch (its 502 names it), then stop the request."""
    if (watch := current_watch.get()) is not None:
        watch.refused.append(failure)
    raise RedirectRefused(failure)


def refuse_redirects(value: object) -> None:
    """Make an async httpx client, a LiteLLM ``AsyncHTTPHandler`` or an SDK client around one (its
    ``_client``) refuse redirects; anything else is left alone."""
    for _ in range(3):  # SDK client → httpx client; handler → httpx client
        if value is None:
            return
        if _takes_async_hooks(value):
            value.follow_redirects = False  # type: ignore[attr-defined]
            hooks = dict(value.event_hooks or {})  # type: ignore[attr-defined]
            responses = list(hooks.get("response") or [])
            if _refuse_redirect not in responses:
                # A handler keeps these for the clients it rebuilds; an httpx client copies them in.
                value.event_hooks = {**hooks, "response": [*responses, _refuse_redirect]}  # type: ignore[attr-defined]
        value = getattr(value, "_client", None)


def _takes_async_hooks(value: object) -> bool:
    import httpx  # noqa: PLC0415 - LiteLLM (and so httpx) is loaded when this runs
    from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler  # noqa: PLC0415

    return isinstance(value, (httpx.AsyncClient, AsyncHTTPHandler))


def refuse_redirects_in_litellm(litellm: ModuleType) -> None:
    """From now on every client LiteLLM caches (that is, every client it calls providers with) refuses
    redirects; the ones it already holds are changed too. Idempotent."""
    from litellm.caching.llm_caching_handler import LLMClientCache  # noqa: PLC0415 - LiteLLM is loaded

    old = getattr(litellm, "in_memory_llm_clients_cache", None)
    if isinstance(old, _RedirectRefusingCache):
        return

    class _Cache(_RedirectRefusingCache, LLMClientCache):
        pass

    cache = _Cache()
    if old is not None:
        for value in list(getattr(old, "cache_dict", {}).values()):
            refuse_redirects(value)
    litellm.in_memory_llm_clients_cache = cache
    refuse_redirects(getattr(litellm, "module_level_aclient", None))  # used by some deferred streams
    refuse_redirects_in_google_auth()  # Vertex's token exchange


def refuse_redirects_in_google_auth() -> None:
    """google-auth's requests transport (what LiteLLM refreshes Vertex credentials with) follows a 307
    from a token endpoint and posts the same form to whatever host it names: the subject token of an
    external_account file, a service account's signed assertion, a refresh token. From now on its
    ``Request`` refuses redirects, naming the host as the model calls do. Idempotent; nothing
    without google-auth."""
    try:
        from google.auth.transport import requests as transport  # noqa: PLC0415 - optional, loaded late
    except ImportError:
        return
    if getattr(transport.Request, "amux_refuses_redirects", False):
        return

    class Request(transport.Request):  # type: ignore[misc,valid-type]
        amux_refuses_redirects = True

        def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                     timeout: Any = transport._DEFAULT_TIMEOUT, **kwargs: Any) -> Any:
            kwargs["allow_redirects"] = False
            response = super().__call__(url, method, body, headers, timeout, **kwargs)
            if is_redirect(response.status) and "location" in response.headers:
                _refuse(redirect_failure(response.status, response.headers.get("location"), mask_url(url)))
            return response

    transport.Request = Request


_session_loop: asyncio.AbstractEventLoop | None = None


def refusing_session_for_this_loop(litellm: ModuleType) -> None:
    """Give LiteLLM a redirect-refusing ``aclient_session`` for the running loop: the client its OpenAI
    SDK paths use, among them the ones that never cache their SDK client (text completions). Built by
    LiteLLM's own factory (its transport, SSL and proxy settings), then made to refuse redirects. A
    client's connections belong to the loop that made them, so another loop gets another client."""
    global _session_loop
    loop = asyncio.get_running_loop()
    if _session_loop is loop and litellm.aclient_session is not None:
        return
    from litellm.llms.openai.common_utils import BaseOpenAILLM  # noqa: PLC0415 - LiteLLM is loaded

    litellm.aclient_session = None  # the factory hands back a set session as it is
    client = BaseOpenAILLM.get_async_http_client()
    refuse_redirects(client)
    litellm.aclient_session, _session_loop = client, loop


class _RedirectRefusingCache:
    """Mixed into LiteLLM's ``LLMClientCache``: what is stored refuses redirects."""

    def set_cache(self, key: str, value: object, *args: Any, **kwargs: Any) -> Any:
        refuse_redirects(value)
        return super().set_cache(key, value, *args, **kwargs)  # type: ignore[misc]

    async def async_set_cache(self, key: str, value: object, *args: Any, **kwargs: Any) -> Any:
        refuse_redirects(value)
        return await super().async_set_cache(key, value, *args, **kwargs)  # type: ignore[misc]
