"""Gemini routes under every API version, and unknown routes answered in the caller's format.

google-genai 3.x defaults to ``api_version='v1'``: its requests go to ``/v1/models/M:generateContent``,
which the proxy once passed through as "provider v1" and answered with a 404 in another protocol's
format. The SDK is the client here; the upstreams are real aiohttp servers recording what they get.
"""

from __future__ import annotations

import aiohttp
import pytest
from google import genai
from google.genai import types

from proxy_client import auth_headers, error_shape_ok, proxy_for
from upstreams import Reply, UpstreamServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def sdk(base_url: str, token: str, version: str | None) -> genai.Client:
    options = types.HttpOptions(base_url=base_url, api_version=version) if version else types.HttpOptions(base_url=base_url)
    return genai.Client(api_key=token, http_options=options)


@pytest.mark.parametrize("version", [None, "v1", "v1beta", "v1alpha"])
@pytest.mark.parametrize("upstream", ["anthropic-messages", "openai-chat", "openai-responses", "gemini"])
async def test_google_genai_is_served_under_every_api_version(version, upstream):
    async with UpstreamServer(upstream, [Reply(text="hello from upstream")]) as up, \
            proxy_for(up.provider()) as (server, session):
        client = sdk(session.base_url, session.token, version)
        answer = await client.aio.models.generate_content(model="fixture-model", contents="hi")
        assert answer.text == "hello from upstream"
        chunks = [chunk.text async for chunk in await client.aio.models.generate_content_stream(
            model="fixture-model", contents="hi")]
        assert "".join(c for c in chunks if c) == "hello from upstream"
        count = await client.aio.models.count_tokens(model="fixture-model", contents="hi")
        assert count.total_tokens and count.total_tokens > 0
        relayed_by_fast_lane = server.fast_lane.relayed
    assert len([r for r in up.requests if r.protocol == upstream]) >= 2
    if upstream == "gemini":  # same protocol: the fast lane relays it to the provider's own (v1beta) path
        assert all(r.path.startswith("/v1beta/models/fixture-model:") for r in up.requests)
        assert relayed_by_fast_lane == 3


@pytest.mark.parametrize("version", ["v1", "v1beta", "v1alpha"])
async def test_google_genai_lists_and_gets_models(version):
    async with UpstreamServer("openai-chat") as up, proxy_for(up.provider()) as (_, session):
        client = sdk(session.base_url, session.token, version)
        names = [model.name async for model in await client.aio.models.list()]
        assert "models/fixture-model" in names
        model = await client.aio.models.get(model="fixture-model")
        assert model.name == "models/fixture-model"
        assert "generateContent" in (model.supported_actions or [])
        async with aiohttp.ClientSession() as http:  # an OpenAI caller on the same /v1/models keeps its shape
            async with http.get(f"{session.openai_base_url}/models",
                                headers=auth_headers("openai-chat", session.token)) as resp:
                assert (await resp.json())["data"][0]["id"] == "fixture-model"
            async with http.get(f"{session.openai_base_url}/models/fixture-model",
                                headers=auth_headers("openai-chat", session.token)) as resp:
                assert (await resp.json())["object"] == "model"


@pytest.mark.parametrize("protocol,method,path", [
    ("gemini", "POST", "/v1/models/fixture-model:embedContent"),
    ("gemini", "POST", "/v2/models/fixture-model:generateContent"),
    ("gemini", "GET", "/v1beta/cachedContents"),
    ("openai-chat", "POST", "/v2/chat/completions"),
    ("openai-responses", "POST", "/v2/responses"),
    ("anthropic-messages", "POST", "/v2/messages"),
    ("anthropic-messages", "POST", "/v1/complete"),
    ("openai-chat", "POST", "/v1/embeddings"),
    ("openai-chat", "GET", "/nothing"),
])
async def test_unknown_routes_answer_in_the_callers_format_naming_the_routes(protocol, method, path):
    async with UpstreamServer("anthropic-messages") as up, proxy_for(up.provider()) as (_, session):
        async with aiohttp.ClientSession() as http:
            async with http.request(method, session.base_url + path, json={},
                                    headers=auth_headers(protocol, session.token)) as resp:
                assert resp.status == 404
                body = await resp.json()
    assert error_shape_ok(protocol, body, 404), body
    message = body["error"]["message"]
    for served in ("POST /v1/messages", "POST /v1/chat/completions", "POST /v1/responses",
                   "POST /{version}/models/{model}:generateContent|streamGenerateContent|countTokens",
                   "v1, v1beta or v1alpha"):
        assert served in message
    assert not up.requests


async def test_google_genai_sees_its_own_error_format_for_a_method_the_proxy_lacks():
    async with UpstreamServer("anthropic-messages") as up, proxy_for(up.provider()) as (_, session):
        client = sdk(session.base_url, session.token, None)
        with pytest.raises(genai.errors.ClientError) as raised:
            await client.aio.models.embed_content(model="fixture-model", contents="hi")
        assert raised.value.code == 404
        assert "generateContent" in raised.value.message
    assert not up.requests


@pytest.mark.parametrize("version", [None, "v1"])
@pytest.mark.parametrize("upstream", ["openai-chat", "anthropic-messages"])
async def test_a_model_name_with_a_slash_is_served(version, upstream):
    """Gemini CLI and google-genai put the model in the path as given: an OpenRouter-style id
    (``anthropic/claude-sonnet-4.5``) makes ``/models/anthropic/claude-sonnet-4.5:generateContent``."""
    model = "anthropic/claude-sonnet-4.5"
    async with UpstreamServer(upstream, [Reply(text="hello"), Reply(text="again")], models=(model,)) as up, \
            proxy_for(up.provider(), model) as (_, session):
        client = sdk(session.base_url, session.token, version)
        assert (await client.aio.models.generate_content(model=model, contents="hi")).text == "hello"
        chunks = [chunk.text async for chunk in await client.aio.models.generate_content_stream(model=model, contents="hi")]
        assert "".join(c for c in chunks if c) == "again"
        assert (await client.aio.models.count_tokens(model=model, contents="hi")).total_tokens
        assert (await client.aio.models.get(model=model)).name == f"models/{model}"
        async with aiohttp.ClientSession() as http:  # and OpenAI's model retrieval, same name
            async with http.get(f"{session.openai_base_url}/models/{model}",
                                headers=auth_headers("openai-chat", session.token)) as resp:
                assert resp.status == 200 and (await resp.json())["id"] == model
    assert [r.json["model"] for r in up.requests if r.protocol == upstream and r.json and "model" in r.json][:2] == \
        [model, model]
