"""Local aiohttp servers that answer like real providers' model-list endpoints and like Ollama's API.

Reusable by any test that needs a provider upstream on 127.0.0.1::

    async with ProviderServer("anthropic", api_key="k", models=[FakeModel("claude-x")]) as server:
        server.url            # base URL as it goes into providers.json (OpenAI kinds end in /v1)
        server.behaviour = "unauthorized"   # switch behaviour at any time
        server.requests       # what arrived (method, path, query, headers)

or as a pytest fixture: ``provider_server`` is a factory, ``server = await provider_server("gemini")``;
every server it started is stopped at the end of the test.

Kinds and what they answer (shapes follow each provider's public API reference):
  openai, openrouter, vllm, lmstudio, llamacpp  GET /v1/models (Bearer); openrouter adds context_length,
                                                vllm max_model_len
  anthropic   GET /v1/models (x-api-key + anthropic-version), paginated by has_more / after_id
  gemini      GET /v1beta/models (x-goog-api-key or ?key=), paginated by nextPageToken; a bad key is a
              400 API_KEY_INVALID as Google answers it, a missing key a 403
  ollama      /api/version, /api/tags, /api/show, streamed POST /api/pull, DELETE /api/delete, /v1/models

Behaviours: ok, slow (waits ``delay`` seconds first), unauthorized (401), forbidden (403),
malformed (200 with a body that is not the API's JSON), server_error (500), endless_pages (the paginated
kinds answer the first page again and again, always saying there is more).

Running ``amux`` against them: ``isolated_env(tmp_path, **vars)`` gives an environment with a temporary
HOME/XDG_CONFIG_HOME, no keys, and every local server's address on a dead port; ``await run_amux(*args,
env=...)`` runs ``python -m amux_tui.cli`` as a child while the servers keep answering.

``write_fake_ollama(directory, mode)`` writes an executable ``ollama`` whose ``serve`` runs the Ollama
fixture (Ollama is not installed on test machines); mode "crash" exits at once, "hang" never answers.
Run as a script this module serves one kind until SIGTERM (the fake binary uses this):
``python provider_servers.py ollama --host 127.0.0.1 --port 11434 --models llama3.2:latest``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from aiohttp import web

Kind = Literal["openai", "openrouter", "vllm", "lmstudio", "llamacpp", "anthropic", "gemini", "ollama"]
Behaviour = Literal["ok", "slow", "unauthorized", "forbidden", "malformed", "server_error", "endless_pages"]
OPENAI_KINDS = ("openai", "openrouter", "vllm", "lmstudio", "llamacpp")


@dataclass
class FakeModel:
    id: str
    context_window: int | None = None
    owned_by: str = "fixture"
    size: int = 2_019_393_189
    """Bytes on disk (Ollama only)."""


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None


@dataclass
class ProviderServer:
    """One fake provider on 127.0.0.1; configure it freely, before or after start."""

    kind: Kind
    models: list[FakeModel] = field(default_factory=lambda: [FakeModel("model-a", 8192), FakeModel("model-b", 32768)])
    api_key: str | None = None
    """When set, every request must carry it the way the kind expects."""
    behaviour: Behaviour = "ok"
    delay: float = 5.0
    page_size: int = 1
    """Page size of the paginated kinds (anthropic, gemini), small so pagination is exercised."""
    pullable: dict[str, list[int]] = field(default_factory=lambda: {"tiny:latest": [4_000, 1_000]})
    """Ollama: models that /api/pull can fetch, with the sizes of their layers."""
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[RecordedRequest] = field(default_factory=list)
    _runner: web.AppRunner | None = field(default=None, repr=False)

    # --- lifetime ---------------------------------------------------------------------------

    async def start(self) -> ProviderServer:
        app = web.Application(middlewares=[self._record, self._behave])
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ProviderServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The api_base a providers.json would hold for this kind."""
        return self.origin + "/v1" if self.kind in OPENAI_KINDS else self.origin

    # --- middlewares --------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        body = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        self.requests.append(RecordedRequest(request.method, request.path, dict(request.query),
                                             dict(request.headers), body))
        return await handler(request)

    @web.middleware
    async def _behave(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        if self.behaviour == "slow":
            await asyncio.sleep(self.delay)
        elif self.behaviour == "unauthorized":
            return self._error(401, "invalid x-api-key" if self.kind == "anthropic" else "Incorrect API key provided")
        elif self.behaviour == "forbidden":
            return self._error(403, "this key may not list models")
        elif self.behaviour == "server_error":
            return self._error(500, "internal error")
        elif self.behaviour == "malformed":
            return web.Response(text="<html><body>502 Bad Gateway (not JSON)", content_type="text/html")
        if self.api_key is not None and not self._authorised(request):
            if self.kind == "gemini":
                return self._gemini_bad_key(request)
            return self._error(401, "invalid api key")
        return await handler(request)

    def _authorised(self, request: web.Request) -> bool:
        if self.kind == "anthropic":
            return request.headers.get("x-api-key") == self.api_key
        if self.kind == "gemini":
            return self.api_key in (request.headers.get("x-goog-api-key"), request.query.get("key"))
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    def _gemini_bad_key(self, request: web.Request) -> web.Response:
        if not (request.headers.get("x-goog-api-key") or request.query.get("key")):
            return web.json_response({"error": {"code": 403, "status": "PERMISSION_DENIED",
                                                "message": "Method doesn't allow unregistered callers"}}, status=403)
        return web.json_response({"error": {
            "code": 400, "status": "INVALID_ARGUMENT", "message": "API key not valid. Please pass a valid API key.",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}, status=400)

    def _error(self, status: int, message: str) -> web.Response:
        if self.kind == "anthropic":
            kind = {401: "authentication_error", 403: "permission_error"}.get(status, "api_error")
            return web.json_response({"type": "error", "error": {"type": kind, "message": message}}, status=status)
        if self.kind == "gemini":
            return web.json_response({"error": {"code": status, "message": message}}, status=status)
        if self.kind == "ollama":
            return web.json_response({"error": message}, status=status)
        return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=status)

    # --- routes -------------------------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        if self.kind in OPENAI_KINDS or self.kind == "ollama":
            app.router.add_get("/v1/models", self._openai_models)
        if self.kind == "anthropic":
            app.router.add_get("/v1/models", self._anthropic_models)
        if self.kind == "gemini":
            app.router.add_get("/v1beta/models", self._gemini_models)
        if self.kind == "ollama":
            app.router.add_get("/api/version", self._ollama_version)
            app.router.add_get("/api/tags", self._ollama_tags)
            app.router.add_post("/api/show", self._ollama_show)
            app.router.add_post("/api/pull", self._ollama_pull)
            app.router.add_delete("/api/delete", self._ollama_delete)

    async def _openai_models(self, request: web.Request) -> web.Response:
        data = []
        for model in self.models:
            item: dict[str, Any] = {"id": model.id, "object": "model", "created": 1_700_000_000, "owned_by": model.owned_by}
            if self.kind == "openrouter":
                item["context_length"] = model.context_window
            elif self.kind == "vllm":
                item["max_model_len"] = model.context_window
            data.append(item)
        return web.json_response({"object": "list", "data": data})

    async def _anthropic_models(self, request: web.Request) -> web.Response:
        if "anthropic-version" not in request.headers:
            return self._error(400, "anthropic-version: header is required")
        limit = min(int(request.query.get("limit", "20")), self.page_size)
        ids = [model.id for model in self.models]
        start = ids.index(request.query["after_id"]) + 1 if request.query.get("after_id") in ids else 0
        if self.behaviour == "endless_pages":
            start = 0
        page = self.models[start:start + limit]
        return web.json_response({
            "data": [{"type": "model", "id": m.id, "display_name": m.id.title(), "created_at": "2025-02-19T00:00:00Z"}
                     for m in page],
            "has_more": start + limit < len(ids) or self.behaviour == "endless_pages",
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
        })

    async def _gemini_models(self, request: web.Request) -> web.Response:
        size = min(int(request.query.get("pageSize", "50")), self.page_size)
        start = 0 if self.behaviour == "endless_pages" else int(request.query.get("pageToken") or 0)
        page = self.models[start:start + size]
        body: dict[str, Any] = {"models": [{
            "name": f"models/{m.id}", "version": "001", "displayName": m.id,
            "inputTokenLimit": m.context_window, "outputTokenLimit": 8192,
            "supportedGenerationMethods": ["generateContent", "countTokens"]} for m in page]}
        if start + size < len(self.models) or self.behaviour == "endless_pages":
            body["nextPageToken"] = str(start + size)
        return web.json_response(body)

    async def _ollama_version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.6.2"})

    async def _ollama_tags(self, request: web.Request) -> web.Response:
        return web.json_response({"models": [{
            "name": m.id, "model": m.id, "modified_at": "2025-03-01T10:00:00.000000+01:00", "size": m.size,
            "digest": hashlib.sha256(m.id.encode()).hexdigest(),
            "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B", "quantization_level": "Q4_K_M"},
        } for m in self.models]})

    async def _ollama_show(self, request: web.Request) -> web.Response:
        body = await request.json()
        model = next((m for m in self.models if m.id == body.get("model")), None)
        if model is None:
            return self._error(404, f"model '{body.get('model')}' not found")
        info = {"general.architecture": "llama"}
        if model.context_window:
            info["llama.context_length"] = model.context_window  # type: ignore[assignment]
        return web.json_response({"modelfile": "", "details": {"family": "llama"}, "model_info": info})

    async def _ollama_pull(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        name = body.get("model") or body.get("name")
        if not name:
            return self._error(400, "model is required")
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)

        async def send(event: dict[str, Any]) -> None:
            await response.write(json.dumps(event).encode() + b"\n")

        await send({"status": "pulling manifest"})
        layers = self.pullable.get(name) or self.pullable.get(f"{name}:latest")
        if layers is None:
            await send({"error": "pull model manifest: file does not exist"})
            await response.write_eof()
            return response
        for index, total in enumerate(layers):
            digest = f"sha256:{index:064x}"
            for completed in range(0, total + 1, max(total // 4, 1)):
                await send({"status": f"pulling {digest[7:19]}", "digest": digest, "total": total, "completed": completed})
                await asyncio.sleep(0.005)
        for status in ("verifying sha256 digest", "writing manifest", "success"):
            await send({"status": status})
        full = name if ":" in name else f"{name}:latest"
        if all(m.id != full for m in self.models):
            self.models.append(FakeModel(full, 4096, size=sum(layers)))
        await response.write_eof()
        return response

    async def _ollama_delete(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = body.get("model") or body.get("name")
        for model in self.models:
            if model.id in (name, f"{name}:latest"):
                self.models.remove(model)
                return web.Response(status=200)
        return self._error(404, f"model '{name}' not found")


@pytest.fixture
async def provider_server() -> AsyncIterator[Callable[..., Awaitable[ProviderServer]]]:
    """Factory fixture: ``server = await provider_server("openai", api_key="k")``; all stopped afterwards."""
    started: list[ProviderServer] = []

    async def start(kind: Kind, **options: Any) -> ProviderServer:
        server = await ProviderServer(kind, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()


def unused_port() -> int:
    """A port nothing listens on right now (for "unreachable" cases and servers started later)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


FAKE_OLLAMA = """#!{python}
# A stand-in for the ollama binary (Ollama is not installed on test machines): `serve` runs the
# fixture server from provider_servers.py at $OLLAMA_HOST, like the real one would.
import os, subprocess, sys, time
mode = {mode!r}
args = sys.argv[1:]
if args[:1] == ["--version"]:
    print("ollama version is 0.6.2")
    sys.exit(0)
if args[:1] != ["serve"]:
    print("fake ollama: only serve and --version", file=sys.stderr)
    sys.exit(2)
if mode == "crash":
    print("Error: listen tcp: bind: address already in use", file=sys.stderr)
    sys.exit(1)
if os.environ.get("FAKE_OLLAMA_PIDFILE"):  # a runner process, like the real server's model runners
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(os.environ["FAKE_OLLAMA_PIDFILE"], "w") as handle:
        handle.write(str(child.pid))
if mode == "hang":
    time.sleep(120)
    sys.exit(0)
host, _, port = os.environ.get("OLLAMA_HOST", "127.0.0.1:11434").rpartition(":")
sys.path.insert(0, {tests_dir!r})
sys.argv = ["provider_servers.py", "ollama", "--host", host, "--port", port]
import provider_servers
provider_servers.main()
"""


def write_fake_ollama(directory: Path, mode: Literal["serve", "crash", "hang"] = "serve") -> Path:
    """An executable ``ollama`` in ``directory``: ``serve`` serves the Ollama fixture (or crashes, or hangs)."""
    path = directory / "ollama"
    path.write_text(FAKE_OLLAMA.format(python=sys.executable, mode=mode, tests_dir=str(Path(__file__).parent)))
    path.chmod(0o755)
    return path


# --- running `amux` against these servers ---------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class AmuxRun:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment that never reads the real user's config or keys, and in which every local server
    (Ollama, LM Studio, vLLM, llama.cpp) lives on a port nobody listens on unless ``extra`` says otherwise."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "LANG": "C.UTF-8", "PYTHONPATH": str(REPO_ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "OLLAMA_HOST": f"127.0.0.1:{unused_port()}",
           "LM_STUDIO_API_BASE": f"http://127.0.0.1:{unused_port()}/v1",
           "HOSTED_VLLM_API_BASE": f"http://127.0.0.1:{unused_port()}/v1",
           "LLAMACPP_API_BASE": f"http://127.0.0.1:{unused_port()}/v1"}
    env.update(extra)
    return env


async def run_amux(*args: str, env: dict[str, str], timeout: float = 60.0) -> AmuxRun:
    """``python -m amux_tui.cli ARGS`` as a child process; the servers keep answering meanwhile."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", *args, env=env, cwd=REPO_ROOT,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return AmuxRun(process.returncode or 0, out.decode(), err.decode())


async def _serve_forever(kind: Kind, host: str, port: int, models: list[str]) -> None:
    server = ProviderServer(kind, host=host, port=port)
    if models:
        server.models = [FakeModel(name, 4096) for name in models]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        print(f"listening on {server.origin}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=list(OPENAI_KINDS) + ["anthropic", "gemini", "ollama"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--models", default="", help="comma-separated model names")
    args = parser.parse_args()
    models = [name for name in args.models.split(",") if name]
    asyncio.run(_serve_forever(args.kind, args.host, args.port, models))


if __name__ == "__main__":
    main()
