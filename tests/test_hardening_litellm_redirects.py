"""Hardening (issue 13, item 1), the LiteLLM route: LiteLLM never follows an upstream redirect either.

LiteLLM's own clients (the ``openai`` SDK's for OpenAI-compatible providers, its ``AsyncHTTPHandler``
for the others) followed a 307/308 with the provider's key and the body to whatever host it named.
Each case runs LiteLLM for real against a local upstream answering 307 towards a second local server
(on another loopback address) that records everything: it must receive nothing, and the caller gets a
502 in its own protocol's format naming the redirect's host. The cases are every LiteLLM prefix of
amux's provider presets, plus LiteLLM-only routes that build their clients differently, crossed with
every protocol the proxy serves through LiteLLM."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from amux_tui.providers.presets import PRESETS
from amux_tui.providers.resolved import ResolvedProvider
from proxy_client import PROTOCOLS, TRANSLATABLE, error_shape_ok, post, proxy_for, request_body
from test_hardening_redirects import EVIL_HOST, Redirecting
from upstream_cloud import VERTEX_MODELS, VertexUpstream

VIA_LITELLM = [p for p in PROTOCOLS if p == "openai-chat" or {p, "openai-chat"} <= TRANSLATABLE]

_ALSO = ("text-completion-openai", "cohere_chat", "anthropic_text")
"""Routes no preset uses whose clients LiteLLM builds its own way (an SDK client it never caches,
other handlers)."""
PREFIXES = sorted({preset.litellm_prefix or preset.type for preset in PRESETS.values()} | set(_ALSO))

_PARAMS = {  # what each route needs before it sends anything (fake credentials: the upstream is local)
    "bedrock": {"aws_access_key_id": "AKIAFIXTURE", "aws_secret_access_key": "fixture", "aws_region_name": "us-east-1"},
    "azure": {"api_version": "2024-06-01"},
}
SECRET = "sk-fixture-secret-key"


def litellm_provider(prefix: str, api_base: str, **params: Any) -> ResolvedProvider:
    # Vertex with a key is express mode (LiteLLM's gemini route, covered as "gemini"): its own route
    # signs with Google credentials, which `params` then carries.
    key = None if prefix == "vertex_ai" else SECRET
    provider = ResolvedProvider(name="fx", type=prefix, api_base=api_base, api_formats=(), api_key=key,
                                litellm_prefix=prefix, params={"max_retries": 0, **_PARAMS.get(prefix, {}), **params})
    assert provider.via_litellm
    return provider


@contextlib.asynccontextmanager
async def google_identity(prefix: str, folder: Path) -> AsyncIterator[tuple[dict[str, Any], VertexUpstream | None]]:
    """For vertex_ai: Google credentials whose token exchange is a local Vertex fixture's (the model
    calls go to the redirecting upstream), and that fixture; nothing for the other routes."""
    if prefix != "vertex_ai":
        yield {}, None
        return
    async with VertexUpstream() as tokens:
        yield tokens.provider_settings(folder)["params"], tokens


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("inbound", VIA_LITELLM)
@pytest.mark.parametrize("prefix", PREFIXES)
async def test_litellm_does_not_send_the_key_where_the_upstream_redirects(prefix, inbound, stream, tmp_path):
    model = VERTEX_MODELS["gemini"] if prefix == "vertex_ai" else "fixture-model"
    async with Redirecting(307) as redirecting, google_identity(prefix, tmp_path) as (params, tokens), \
            proxy_for(litellm_provider(prefix, redirecting.up.origin + "/v1", **params), model) as (_, session):
        status, raw = await post(session, inbound, request_body(inbound, "hi", stream=stream, model=model),
                                 stream=stream, model=model)
    if tokens is not None:
        assert tokens.issued, "LiteLLM got no Google access token from the credentials"
    assert redirecting.up.requests, "LiteLLM asked the upstream"
    assert not redirecting.evil.requests, (
        f"{prefix}: the redirect was followed, the key and body went to another host: {redirecting.evil.requests[0].head!r}")
    assert status == 502, raw[:500]
    body = json.loads(raw)
    assert error_shape_ok(inbound, body, 502), body
    message = body["error"]["message"]
    assert f"redirect to {EVIL_HOST}" in message and "key=x" not in message and SECRET not in message
    record = session.traffic.records()[-1]
    assert record.status == 502 and record.upstream == "litellm"


@pytest.mark.parametrize("status", [301, 302, 303, 308])
async def test_every_redirect_status_is_refused(status):
    async with Redirecting(status) as redirecting, \
            proxy_for(litellm_provider("anthropic", redirecting.up.origin)) as (_, session):
        got, raw = await post(session, "openai-chat", request_body("openai-chat", "hi"))
    assert not redirecting.evil.requests
    assert got == 502 and EVIL_HOST in json.loads(raw)["error"]["message"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_litellm_vertex_partner_models_do_not_follow_a_redirect_either(stream, tmp_path):
    # Claude on Vertex goes through LiteLLM's partner-model handler (rawPredict), not its Gemini one.
    model = VERTEX_MODELS["anthropic-messages"]
    async with Redirecting(307) as redirecting, google_identity("vertex_ai", tmp_path) as (params, _), \
            proxy_for(litellm_provider("vertex_ai", redirecting.up.origin, **params), model) as (_, session):
        status, raw = await post(session, "anthropic-messages",
                                 request_body("anthropic-messages", "hi", stream=stream, model=model),
                                 stream=stream, model=model)
    assert redirecting.up.requests and not redirecting.evil.requests
    assert status == 502 and f"redirect to {EVIL_HOST}" in json.loads(raw)["error"]["message"], raw[:500]


async def test_the_google_token_exchange_does_not_follow_a_redirect(tmp_path):
    # google-auth's requests transport follows a 307 from the token endpoint and posts the same form
    # (the subject token, or a service account's signed assertion) to whatever host it names.
    model = VERTEX_MODELS["gemini"]
    async with Redirecting(307) as redirecting, VertexUpstream() as vertex:
        credentials = vertex.write_credentials(tmp_path)
        info = json.loads(credentials.read_text())
        credentials.write_text(json.dumps({**info, "token_url": redirecting.up.origin + "/v1/token"}))
        params = {"vertex_credentials": str(credentials), "vertex_project": vertex.project,
                  "vertex_location": vertex.location}
        async with proxy_for(litellm_provider("vertex_ai", vertex.base_url, **params), model) as (_, session):
            status, raw = await post(session, "openai-chat", request_body("openai-chat", "hi", model=model),
                                     model=model)
    assert redirecting.up.requests, "the token endpoint was asked"
    leaked = b"".join(request.head + request.body for request in redirecting.evil.requests)
    assert not redirecting.evil.requests, f"the token exchange followed the redirect: {leaked[:300]!r}"
    assert vertex.subject_token.encode() not in leaked
    assert not [r for r in vertex.requests if r.method == "POST"], "a model call went out without a token"
    assert status == 502, raw[:500]
    message = json.loads(raw)["error"]["message"]
    assert f"redirect to {EVIL_HOST}" in message and "key=x" not in message, message
