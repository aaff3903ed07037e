"""Hardening (issue 13, item 1), the LiteLLM route: LiteLLM never follows an upstream redirect either.

LiteLLM's own clients (the ``openai`` SDK's for OpenAI-compatible providers, its ``AsyncHTTPHandler``
for the others) followed a 307/308 with the provider's key and the body to whatever host it named.
Each case runs LiteLLM for real against a local upstream answering 307 towards a second local server
(on another loopback address) that records everything: it must receive nothing, and the caller gets a
502 in its own protocol's format naming the redirect's host. The cases are every LiteLLM prefix of
amux's provider presets, plus LiteLLM-only routes that build their clients differently, crossed with
every protocol the proxy serves through LiteLLM."""

from __future__ import annotations

import json

import pytest

from amux_tui.providers.presets import PRESETS
from amux_tui.providers.resolved import ResolvedProvider
from proxy_client import PROTOCOLS, TRANSLATABLE, error_shape_ok, post, proxy_for, request_body
from test_hardening_redirects import EVIL_HOST, Redirecting

VIA_LITELLM = [p for p in PROTOCOLS if p == "openai-chat" or {p, "openai-chat"} <= TRANSLATABLE]

# LiteLLM's vertex_ai route needs google-cloud-aiplatform (not a dependency of amux): without it LiteLLM
# refuses before any request, so there is nothing to redirect.
_UNREACHABLE_HERE = {"vertex_ai"}
_ALSO = ("text-completion-openai", "cohere_chat", "anthropic_text")
"""Routes no preset uses whose clients LiteLLM builds its own way (an SDK client it never caches,
other handlers)."""
PREFIXES = sorted({preset.litellm_prefix or preset.type for preset in PRESETS.values()} - _UNREACHABLE_HERE
                  | set(_ALSO))

_PARAMS = {  # what each route needs before it sends anything (fake credentials: the upstream is local)
    "bedrock": {"aws_access_key_id": "AKIAFIXTURE", "aws_secret_access_key": "fixture", "aws_region_name": "us-east-1"},
    "azure": {"api_version": "2024-06-01"},
}
SECRET = "sk-fixture-secret-key"


def litellm_provider(prefix: str, api_base: str) -> ResolvedProvider:
    provider = ResolvedProvider(name="fx", type=prefix, api_base=api_base, api_formats=(), api_key=SECRET,
                                litellm_prefix=prefix, params={"max_retries": 0, **_PARAMS.get(prefix, {})})
    assert provider.via_litellm
    return provider


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("inbound", VIA_LITELLM)
@pytest.mark.parametrize("prefix", PREFIXES)
async def test_litellm_does_not_send_the_key_where_the_upstream_redirects(prefix, inbound, stream):
    async with Redirecting(307) as redirecting, \
            proxy_for(litellm_provider(prefix, redirecting.up.origin + "/v1")) as (_, session):
        status, raw = await post(session, inbound, request_body(inbound, "hi", stream=stream), stream=stream)
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
