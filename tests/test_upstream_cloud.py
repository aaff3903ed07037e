"""The cloud stand-ins refuse what their cloud refuses, so a route cell that gets an answer from one
proves the harness sent what that cloud needs: Azure's api-version and api-key, Vertex's project,
location and an access token that Google's own auth library got from the credentials file."""

import asyncio

import aiohttp
import google.auth.transport.requests
from google.auth import identity_pool

from upstream_cloud import AZURE_API_VERSION, VERTEX_ANTHROPIC_VERSION, AzureOpenAIUpstream, VertexUpstream
from upstreams import Reply

CHAT = {"model": "fixture-model", "messages": [{"role": "user", "content": "hi"}]}


async def test_azure_wants_its_deployment_url_api_version_and_api_key():
    async with AzureOpenAIUpstream(script=[Reply(text="from azure")], api_key="az-key") as up, \
            aiohttp.ClientSession() as http:
        url = f"{up.base_url}/openai/deployments/fixture-model/chat/completions"
        async with http.post(url, params={"api-version": AZURE_API_VERSION}, json=CHAT,
                             headers={"api-key": "az-key"}) as answer:
            assert answer.status == 200
            assert (await answer.json())["choices"][0]["message"]["content"] == "from azure"
        async with http.post(url, params={"api-version": "2023-05-15"}, json=CHAT, headers={"api-key": "az-key"}) as a:
            assert a.status == 404  # not the api_version the provider was configured with
        async with http.post(url, params={"api-version": AZURE_API_VERSION}, json=CHAT,
                             headers={"Authorization": "Bearer az-key"}) as a:
            assert a.status == 401  # OpenAI's header style is not Azure's
        async with http.post(f"{up.base_url}/v1/chat/completions", json=CHAT, headers={"api-key": "az-key"}) as a:
            assert a.status == 404


def google_token(credentials_file: str) -> str:
    """What a Google client does with the file (as LiteLLM does): google-auth's own token exchange."""
    credentials = identity_pool.Credentials.from_file(
        credentials_file, scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(google.auth.transport.requests.Request())
    return credentials.token


async def test_vertex_serves_a_token_from_its_credentials_file_and_one_project(tmp_path):
    async with VertexUpstream(script=[Reply(text="from vertex")]) as up, aiohttp.ClientSession() as http:
        params = up.provider_settings(tmp_path)["params"]
        token = await asyncio.to_thread(google_token, params["vertex_credentials"])
        assert token in up.issued and len(up.exchanges) == 1
        models = f"{up.base_url}/v1/projects/{up.project}/locations/{up.location}/publishers"
        body = {"anthropic_version": VERTEX_ANTHROPIC_VERSION, "max_tokens": 9,
                "messages": [{"role": "user", "content": "hi"}]}
        bearer = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{models}/anthropic/models/claude-sonnet-4-6:rawPredict", json=body,
                             headers=bearer) as answer:
            assert answer.status == 200 and (await answer.json())["content"][0]["text"] == "from vertex"
        gemini = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
        async with http.post(f"{models}/google/models/gemini-2.5-flash:generateContent", json=gemini,
                             headers=bearer) as answer:
            assert answer.status == 200
        async with http.post(f"{models}/anthropic/models/claude-sonnet-4-6:rawPredict", json=body,
                             headers={"Authorization": "Bearer ya29.not-issued-here"}) as a:
            assert a.status == 401
        async with http.post(f"{models}/anthropic/models/claude-sonnet-4-6:rawPredict",
                             json={**body, "anthropic_version": None}, headers=bearer) as a:
            assert a.status == 400  # an Anthropic body without Vertex's anthropic_version
        other = models.replace(up.project, "someone-elses-project")
        async with http.post(f"{other}/google/models/gemini-2.5-flash:generateContent", json=gemini,
                             headers=bearer) as a:
            assert a.status == 403


async def test_vertex_express_mode_takes_its_api_key_on_the_projectless_paths():
    async with VertexUpstream(script=[Reply(text="express answer")], api_key="vx-key") as up, \
            aiohttp.ClientSession() as http:
        gemini = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
        express = f"{up.base_url}/v1beta1/publishers/google/models/gemini-2.5-flash:generateContent"
        async with http.post(express, json=gemini, headers={"x-goog-api-key": "vx-key"}) as answer:
            assert answer.status == 200
            assert (await answer.json())["candidates"][0]["content"]["parts"][0]["text"] == "express answer"
        async with http.post(express.replace("v1beta1", "v1"), params={"key": "vx-key"}, json=gemini) as answer:
            assert answer.status == 200  # the key as a query parameter, as Google's REST examples send it
        async with http.post(express, json=gemini, headers={"x-goog-api-key": "someone-elses"}) as answer:
            assert answer.status == 400 and "API key not valid" in (await answer.json())["error"]["message"]
        async with http.post(express, json=gemini) as answer:
            assert answer.status == 401
        project = f"{up.base_url}/v1/projects/{up.project}/locations/{up.location}/publishers/google/models/" \
                  "gemini-2.5-flash:generateContent"
        async with http.post(project, json=gemini, headers={"x-goog-api-key": "vx-key"}) as answer:
            assert answer.status == 401  # a project's paths want a Google access token
