"""Local stand-ins for the cloud providers whose wire is not one of the four plain APIs: Azure OpenAI
and Google Vertex AI, on 127.0.0.1, answering from the same scripts as `upstreams.UpstreamServer`.

- `AzureOpenAIUpstream`: ``POST /openai/deployments/{deployment}/chat/completions?api-version=V``
  (and ``/responses``) with an ``api-key`` header, as Azure's own resource endpoint does: a wrong
  api-version or an unknown deployment is a 404 "Resource not found", a wrong key a 401.
- `VertexUpstream`: ``POST /v1/projects/{project}/locations/{location}/publishers/anthropic/models/
  {model}:rawPredict|:streamRawPredict`` (an Anthropic Messages body with ``anthropic_version``,
  Anthropic SSE back) and ``.../publishers/google/models/{model}:generateContent|
  :streamGenerateContent|:countTokens`` (Gemini), for one project and location only, with a
  Google access token. The token comes from this server's own token endpoint (``POST /v1/token``),
  an STS token exchange (RFC 8693) as Google's workload identity federation does it: the client
  reads an ``external_account`` credentials file (`write_credentials`), sends the subject token
  it names, and gets an access token, which each model call must then carry. That is the part of
  Google auth that Google's own libraries let a credentials file point elsewhere (``token_url``);
  Node's google-auth-library sends service-account JWTs only to oauth2.googleapis.com.
  Vertex "express mode" too: ``POST /v1|v1beta1/publishers/google/models/{model}:...`` (no project
  or location in the path) with the server's ``api_key`` as ``x-goog-api-key`` or ``?key=``; a wrong
  key is Google's 400 ``API_KEY_INVALID``, a key on a project path the 401 of a missing token.

Each server says how a providers.json entry reaches it: `provider_settings` (params, models).
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from upstream_wire import error_body
from upstreams import RecordedRequest, Script, UpstreamServer

AZURE_API_VERSION = "2024-10-21"
VERTEX_PROJECT = "amux-fixture-project"
VERTEX_LOCATION = "us-east5"
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
VERTEX_MODELS = {"anthropic-messages": "claude-sonnet-4-6", "gemini": "gemini-2.5-flash"}
"""The model a Vertex cell uses for each publisher's wire (LiteLLM picks the wire by the model's name)."""
STS_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"

_AZURE_PATH = re.compile(r"/openai/deployments/(?P<deployment>[^/]+)/(?P<op>chat/completions|responses)")
_VERTEX_PATH = re.compile(r"/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
                          r"/publishers/(?P<publisher>anthropic|google)/models/(?P<model>[^/:]+):(?P<method>\w+)")
_EXPRESS_PATH = re.compile(r"/(?P<version>v1|v1beta1)/publishers/(?P<publisher>google)/models/(?P<model>[^/:]+)"
                           r":(?P<method>\w+)")
"""Vertex express mode (an API key, no project): Google's own models only."""
_VERTEX_METHODS = {"anthropic": {"rawPredict", "streamRawPredict"},
                   "google": {"generateContent", "streamGenerateContent", "countTokens"}}


class CloudUpstream(UpstreamServer):
    """An `UpstreamServer` behind a cloud provider's own URLs and auth."""

    provider_type: ClassVar[str]
    wires: ClassVar[tuple[str, ...]]
    """The wire formats its model calls carry, preferred first."""
    protocols: ClassVar[frozenset[str]]
    """What its recorded model calls name as their protocol (a known path of this cloud's)."""

    @classmethod
    def wire_for(cls, spoken: tuple[str, ...]) -> str:
        """The wire a client speaking ``spoken`` (its own protocols) reaches this cloud with; LiteLLM
        (any other client) gets the preferred one."""
        return next((wire for wire in cls.wires if wire in spoken), cls.wires[0])

    @classmethod
    def model_for(cls, wire: str) -> str | None:
        """The model name a cell on ``wire`` configures (None: the cell's own)."""
        return None

    @property
    def base_url(self) -> str:
        return self.root_url

    @classmethod
    def route_settings(cls) -> dict[str, Any]:
        """The providers.json entry's additions that decide the route (known before the server runs)."""
        return {}

    def provider_settings(self, folder: Path) -> dict[str, Any]:
        """What a providers.json entry adds to reach this server (files it needs go in ``folder``)."""
        return self.route_settings()

    def _record(self, request: web.Request, body: bytes, protocol: str | None) -> RecordedRequest:
        record = RecordedRequest.received(request, body, protocol)
        self.requests.append(record)
        return record

    async def _reply(self, request: web.Request, record: RecordedRequest, body: dict[str, Any]) -> web.StreamResponse:
        await self._notify()
        return await self._answer(request, record, body, self._next_reply(record))


class AzureOpenAIUpstream(CloudUpstream):
    """An Azure OpenAI resource with one deployment per model (see the module docstring)."""

    provider_type = "azure"
    wires = ("openai-chat",)
    protocols = frozenset({"openai-chat", "openai-responses"})

    def __init__(self, protocol: str = "openai-chat", script: Script = (), *, api_key: str | None = "upstream-key",
                 models: tuple[str, ...] = ("fixture-model",), api_version: str = AZURE_API_VERSION):
        super().__init__(protocol, script, api_key=api_key, models=models)
        self.api_version = api_version

    @classmethod
    def route_settings(cls) -> dict[str, Any]:
        return {"params": {"api_version": AZURE_API_VERSION}}

    def provider_settings(self, folder: Path) -> dict[str, Any]:
        return {"params": {"api_version": self.api_version}}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        match = _AZURE_PATH.fullmatch(request.path)
        protocol = None if not match else "openai-chat" if match["op"] == "chat/completions" else "openai-responses"
        record = self._record(request, await request.read(), protocol)
        if self.api_key is not None and request.headers.get("api-key") != self.api_key:
            return _azure_error(401, "Access denied due to invalid subscription key or wrong API endpoint. Make sure "
                                     "to provide a valid key for an active subscription and use a correct regional "
                                     "API endpoint for your resource.")
        if not match or request.method != "POST" or request.query.get("api-version") != self.api_version:
            return _azure_error(404, "Resource not found")
        if match["deployment"] not in self.models:
            return _azure_error(404, "The API deployment for this resource does not exist.", "DeploymentNotFound")
        try:
            body = record.json
        except ValueError:
            return _azure_error(400, "body is not JSON", "BadRequest")
        return await self._reply(request, record, body if isinstance(body, dict) else {})


def _azure_error(status: int, message: str, code: str | None = None) -> web.Response:
    return web.json_response({"error": {"code": code or str(status), "message": message}}, status=status)


class VertexUpstream(CloudUpstream):
    """Vertex AI's publisher-model endpoints of one project and location, and their token
    exchange (see the module docstring)."""

    provider_type = "vertex_ai"
    wires = ("gemini", "anthropic-messages")
    protocols = frozenset(wires)

    def __init__(self, protocol: str = "gemini", script: Script = (), *, api_key: str | None = "upstream-key",
                 models: tuple[str, ...] = tuple(VERTEX_MODELS.values()), project: str = VERTEX_PROJECT,
                 location: str = VERTEX_LOCATION):
        super().__init__(protocol, script, api_key=api_key, models=models)
        self.project, self.location = project, location
        self.subject_token = "amux-fixture-subject-" + secrets.token_hex(16)
        self.issued: set[str] = set()
        """Access tokens this server's token endpoint handed out."""
        self.exchanges: list[RecordedRequest] = []

    @classmethod
    def model_for(cls, wire: str) -> str | None:
        return VERTEX_MODELS[wire]

    @classmethod
    def route_settings(cls) -> dict[str, Any]:
        return {"params": {"vertex_project": VERTEX_PROJECT, "vertex_location": VERTEX_LOCATION}}

    def provider_settings(self, folder: Path) -> dict[str, Any]:
        return {"params": {"vertex_project": self.project, "vertex_location": self.location,
                           "vertex_credentials": str(self.write_credentials(folder))}}

    def express_settings(self) -> dict[str, Any]:
        """A providers.json entry's additions for express mode: the API key, no Google credentials."""
        return {"api_key": self.api_key}

    def write_credentials(self, folder: Path) -> Path:
        """An ``external_account`` credentials file (what ``gcloud iam workload-identity-pools
        create-cred-config`` writes) whose token exchange is this server's."""
        folder.mkdir(parents=True, exist_ok=True)
        subject = folder / "vertex-subject-token"
        subject.write_text(self.subject_token)
        path = folder / "vertex-credentials.json"
        path.write_text(json.dumps({
            "type": "external_account",
            "audience": "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/amux/providers/fixture",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": f"{self.root_url}/v1/token",
            "credential_source": {"file": str(subject)},
        }, indent=2))
        path.chmod(0o600)
        return path

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        if request.path == "/v1/token" and request.method == "POST":
            return await self._exchange(request)
        match = _VERTEX_PATH.fullmatch(request.path)
        express = None if match else _EXPRESS_PATH.fullmatch(request.path)
        match = match or express
        protocol = None if not match else "anthropic-messages" if match["publisher"] == "anthropic" else "gemini"
        record = self._record(request, raw, protocol)
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if express and key is not None:
            if self.api_key is None or key != self.api_key:
                return _google_error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT")
        elif request.headers.get("authorization", "").removeprefix("Bearer ") not in self.issued:
            return _google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                      "token, login cookie or other valid authentication credential.",
                                 "UNAUTHENTICATED")
        if not match or request.method != "POST" or match["method"] not in _VERTEX_METHODS[match["publisher"]]:
            return _google_error(404, f"no route {request.method} {request.path}", "NOT_FOUND")
        if not express and (match["project"], match["location"]) != (self.project, self.location):
            return _google_error(403, f"Permission denied on resource project {match['project']} in "
                                      f"{match['location']} (the fixture serves {self.project}/{self.location})",
                                 "PERMISSION_DENIED")
        own = match["model"].startswith("claude") == (match["publisher"] == "anthropic")  # each publisher its models
        if match["model"] != "count-tokens" and (match["model"] not in self.models or not own):
            return _google_error(404, f"Publisher Model `projects/{self.project}/locations/{self.location}/publishers/"
                                      f"{match['publisher']}/models/{match['model']}` was not found or your project "
                                      "does not have access to it.", "NOT_FOUND")
        try:
            body = record.json
        except ValueError:
            return _google_error(400, "body is not JSON", "INVALID_ARGUMENT")
        body = body if isinstance(body, dict) else {}
        if protocol == "gemini":
            if match["method"] == "countTokens":
                return web.json_response({"totalTokens": self.token_count})
            return await self._reply(request, record, body)
        if match["model"] == "count-tokens":
            return web.json_response({"input_tokens": self.token_count})
        if body.get("anthropic_version") != VERTEX_ANTHROPIC_VERSION:
            return _anthropic_error(400, f"anthropic_version: expected {VERTEX_ANTHROPIC_VERSION!r}, "
                                         f"got {body.get('anthropic_version')!r}")
        # Vertex streams by the method; the answer builder looks at the body's flag.
        return await self._reply(request, record, {**body, "model": match["model"],
                                                   "stream": match["method"] == "streamRawPredict"})

    async def _exchange(self, request: web.Request) -> web.Response:
        form = await request.post()
        sent = json.dumps({key: str(value) for key, value in form.items()}).encode()
        self.exchanges.append(RecordedRequest.received(request, sent, None))
        if form.get("grant_type") != STS_GRANT:
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("subject_token") != self.subject_token:
            return web.json_response({"error": "invalid_grant", "error_description": "unknown subject token"},
                                     status=400)
        token = "ya29.amux-fixture-" + secrets.token_urlsafe(24)
        self.issued.add(token)
        return web.json_response({"access_token": token, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                                  "token_type": "Bearer", "expires_in": 3600})


def _google_error(status: int, message: str, state: str) -> web.Response:
    return web.json_response({"error": {"code": status, "message": message, "status": state}}, status=status)


def _anthropic_error(status: int, message: str) -> web.Response:
    return web.json_response(error_body("anthropic-messages", status, message), status=status)


CLOUD_UPSTREAMS: dict[str, type[CloudUpstream]] = {
    server.provider_type: server for server in (AzureOpenAIUpstream, VertexUpstream)}
"""Provider type -> the fixture that stands in for it."""
