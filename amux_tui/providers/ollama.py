"""The one Ollama manager: is it installed, does a server answer, start one we own, list, pull, delete.

A server this manager starts is its child in its own process group, stopped (the whole group) by
``stop()``/``aclose()`` and, failing that, at interpreter exit. A server it did not start is never
stopped. Everything else is Ollama's HTTP API (``/api/version``, ``/api/tags``, streamed
``/api/pull``, ``/api/delete``) over httpx.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from .answers import error_summary, open_client, response_json, transport_problem
from .registry import ollama_base_from_host

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
PULL_READ_TIMEOUT = 600.0
"""Seconds without a progress line before a pull is given up (verifying a large model is slow)."""


class OllamaError(RuntimeError):
    """Something about Ollama that a person has to act on; the message says what."""


@dataclass(frozen=True)
class OllamaStatus:
    base_url: str
    binary: str | None
    """Path of the ``ollama`` executable, None when it is not installed."""
    running: bool
    version: str | None
    owned: bool
    """Whether this manager started the server that answers."""

    def to_public_dict(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "binary": self.binary, "installed": self.binary is not None,
                "running": self.running, "version": self.version, "owned": self.owned}


@dataclass(frozen=True)
class OllamaModel:
    name: str
    size: int | None = None
    """Bytes on disk."""
    modified_at: str | None = None
    digest: str | None = None
    family: str | None = None
    parameter_size: str | None = None
    quantization: str | None = None

    def to_public_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "modified_at": self.modified_at, "digest": self.digest,
                "family": self.family, "parameter_size": self.parameter_size, "quantization": self.quantization}


@dataclass(frozen=True)
class PullProgress:
    """One line of ``/api/pull``'s stream: a status, and byte counts while a layer downloads."""

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None

    @property
    def fraction(self) -> float | None:
        if self.total and self.completed is not None:
            return min(max(self.completed / self.total, 0.0), 1.0)
        return None

    @property
    def done(self) -> bool:
        return self.status == "success"


class OllamaManager:
    """Talks to the Ollama at ``base_url`` (default: ``$OLLAMA_HOST``, else 127.0.0.1:11434)."""

    def __init__(self, *, base_url: str | None = None, binary: str | None = None,
                 env: Mapping[str, str] | None = None, timeout: float = 3.0):
        self._env = dict(os.environ if env is None else env)
        host = self._env.get("OLLAMA_HOST")
        self.base_url = (base_url or (ollama_base_from_host(host) if host else DEFAULT_OLLAMA_URL)).rstrip("/")
        self._binary = binary
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=40)
        self._drain: asyncio.Task[None] | None = None

    # --- the binary and the server ------------------------------------------------------------

    def find_binary(self) -> str | None:
        """The ``ollama`` executable on ``PATH`` (or the one given), None when not installed."""
        if self._binary:
            return self._binary if os.access(self._binary, os.X_OK) else None
        return shutil.which("ollama", path=self._env.get("PATH"))

    async def version(self) -> str | None:
        """The answering server's version, None when nothing (or something else) answers."""
        client = await self._http()
        try:
            response = await client.get(self.base_url + "/api/version", timeout=self.timeout)
        except (httpx.HTTPError, OSError):
            return None
        body = response_json(response) if response.is_success else None
        version = body.get("version") if isinstance(body, dict) else None
        return str(version) if version is not None else None

    async def is_running(self) -> bool:
        return await self.version() is not None

    @property
    def owns_server(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def status(self) -> OllamaStatus:
        version = await self.version()
        return OllamaStatus(self.base_url, self.find_binary(), version is not None, version, self.owns_server)

    async def start(self, *, wait: float = 15.0) -> bool:
        """Make sure a server answers: True when this manager started it, False when one already did.

        Raises OllamaError when ollama is not installed, its server exits, or does not answer in time.
        """
        if await self.is_running():
            return False
        binary = self.find_binary()
        if binary is None:
            raise OllamaError("ollama is not installed (not found on PATH): see https://ollama.com/download")
        parts = urlsplit(self.base_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise OllamaError(f"{self.base_url} is not on this machine: start Ollama there")
        listen = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        env = {**self._env, "OLLAMA_HOST": f"{listen}:{parts.port or 11434}"}
        self._process = await asyncio.create_subprocess_exec(
            binary, "serve", env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True)  # own group: stop() takes its children too
        atexit.register(self._kill_at_exit)
        self._drain = asyncio.ensure_future(self._keep_output(self._process))
        deadline = asyncio.get_running_loop().time() + wait
        while asyncio.get_running_loop().time() < deadline:
            if self._process.returncode is not None:
                await self._drain
                raise OllamaError(f"ollama serve exited with code {self._process.returncode}: {self.last_output()}")
            if await self.is_running():
                return True
            await asyncio.sleep(0.1)
        await self.stop()
        raise OllamaError(f"ollama serve did not answer at {self.base_url} within {wait:g} s: {self.last_output()}")

    async def wait(self) -> int | None:
        """Until the server this manager started exits; its exit code (None when it owns none)."""
        if self._process is None:
            return None
        return await self._process.wait()

    async def stop(self, *, grace: float = 5.0) -> None:
        """Stop the server this manager started (SIGTERM to its group, SIGKILL after ``grace``)."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self._kill_at_exit)
        if process.returncode is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                _signal_group(process.pid, signal.SIGKILL)
                await process.wait()
        _signal_group(process.pid, signal.SIGKILL)  # anything its children left behind in the group
        if self._drain is not None:
            await asyncio.gather(self._drain, return_exceptions=True)

    def last_output(self) -> str:
        """The last lines the owned server printed (for error messages)."""
        return " | ".join(line for line in list(self._output)[-5:] if line) or "(no output)"

    async def aclose(self) -> None:
        await self.stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> OllamaManager:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- models -------------------------------------------------------------------------------

    async def list_models(self) -> list[OllamaModel]:
        body = await self._call("GET", "/api/tags")
        items = body.get("models") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise OllamaError(f"{self.base_url}/api/tags did not answer with a model list")
        return [_model_from(item) for item in items if isinstance(item, dict) and isinstance(item.get("name"), str)]

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Pull ``model``, yielding progress as it streams; raises OllamaError on failure."""
        timeout = httpx.Timeout(self.timeout, read=PULL_READ_TIMEOUT)
        finished = False
        client = await self._http()
        try:
            async with client.stream("POST", self.base_url + "/api/pull", json={"model": model, "stream": True},
                                     timeout=timeout) as response:
                if not response.is_success:
                    await response.aread()
                    raise OllamaError(f"cannot pull {model}: {error_summary(response)}")
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    progress = _progress_from(line, model)
                    yield progress
                    if progress.done:
                        finished = True
                        break
        except httpx.HTTPError as exc:
            raise OllamaError(f"cannot pull {model}: {transport_problem(exc, self.timeout)[1]}") from None
        if not finished:
            raise OllamaError(f"the pull of {model} ended before it succeeded")

    async def delete(self, model: str) -> None:
        await self._call("DELETE", "/api/delete", json={"model": model})

    # --- plumbing -----------------------------------------------------------------------------

    async def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            client = await open_client(self.timeout)
            if self._client is None:  # another call may have made one while the SSL context was built
                self._client = client
            else:
                await client.aclose()
        return self._client

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        client = await self._http()
        try:
            response = await client.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except (httpx.HTTPError, OSError) as exc:
            raise OllamaError(f"no Ollama answers at {self.base_url}: {transport_problem(exc, self.timeout)[1]} "
                              "(start it: amux ollama serve)") from None
        if response.status_code == 404 and method == "DELETE":
            raise OllamaError(f"model not found: {kwargs.get('json', {}).get('model')}")
        if not response.is_success:
            raise OllamaError(f"Ollama answered {error_summary(response)}")
        return response_json(response)

    async def _keep_output(self, process: asyncio.subprocess.Process) -> None:
        """Read the server's output as it comes (an unread pipe would stall it), keeping the tail."""
        assert process.stdout is not None
        async for raw in process.stdout:
            self._output.append(raw.decode("utf-8", "replace").rstrip())

    def _kill_at_exit(self) -> None:
        if self._process is not None and self._process.returncode is None:
            _signal_group(self._process.pid, signal.SIGKILL)


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _progress_from(line: str, model: str) -> PullProgress:
    try:
        event = json.loads(line)
    except ValueError:
        raise OllamaError(f"cannot pull {model}: unexpected answer {line[:80]!r}") from None
    if not isinstance(event, dict):
        raise OllamaError(f"cannot pull {model}: unexpected answer {line[:80]!r}")
    if event.get("error"):
        raise OllamaError(f"cannot pull {model}: {event['error']}")

    def count(key: str) -> int | None:
        value = event.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    digest = event.get("digest")
    return PullProgress(str(event.get("status", "")), digest if isinstance(digest, str) else None,
                        count("total"), count("completed"))


def _model_from(item: dict[str, Any]) -> OllamaModel:
    details = item.get("details") if isinstance(item.get("details"), dict) else {}

    def text(source: dict[str, Any], key: str) -> str | None:
        value = source.get(key)
        return value if isinstance(value, str) else None

    size = item.get("size")
    return OllamaModel(item["name"], size if isinstance(size, int) else None, text(item, "modified_at"),
                       text(item, "digest"), text(details, "family"), text(details, "parameter_size"),
                       text(details, "quantization_level"))
