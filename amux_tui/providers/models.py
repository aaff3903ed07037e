"""A provider's models, live from its own API (see `endpoints` for the four dialects), with the
configured ``models`` as the fallback when the API cannot be asked or does not answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from .answers import error_summary, open_client, response_json, transport_problem
from .endpoints import ModelListEndpoint, missing_credential, model_list_endpoint, ollama_server_url
from .resolved import ResolvedProvider

MAX_PAGES = 50
"""A server that always says "more" must not keep us paging forever."""
OLLAMA_SHOW_BUDGET = 2.0
"""Seconds spent at most asking Ollama for context windows (/api/show per model, concurrently)."""


class NotAModelList(ValueError):
    """The endpoint answered 2xx, but not with the model list its API documents."""


class ErrorAnswer(Exception):
    def __init__(self, response: httpx.Response, secret: str | None):
        super().__init__(error_summary(response, secret))


@dataclass(frozen=True)
class ModelInfo:
    id: str
    context_window: int | None = None
    """Input tokens the model accepts, when the API says so."""
    owned_by: str | None = None

    def to_public_dict(self) -> dict[str, Any]:
        return {"id": self.id, "context_window": self.context_window, "owned_by": self.owned_by}


@dataclass(frozen=True)
class ModelList:
    models: list[ModelInfo] = field(default_factory=list)
    source: Literal["live", "config"] = "live"
    """``live``: from the provider's API; ``config``: the configured ``models`` (see ``error`` for why)."""
    error: str | None = None

    def ids(self) -> list[str]:
        return [model.id for model in self.models]


async def list_models(provider: ResolvedProvider, *, client: httpx.AsyncClient | None = None,
                      timeout: float = 5.0) -> ModelList:
    """Ask the provider for its models; on any failure return the configured ones and say why."""
    missing = missing_credential(provider, "the live model list")
    if missing:
        return _configured(provider, missing)
    endpoint = model_list_endpoint(provider)
    if endpoint is None:
        return _configured(provider, f"{provider.name} is reached through LiteLLM "
                                     f"({provider.litellm_prefix or provider.type}), which amux cannot ask for models")
    if client is None:
        async with await open_client(timeout) as owned:
            return await list_models(provider, client=owned, timeout=timeout)
    try:
        async with asyncio.timeout(timeout):
            models = await _fetch(endpoint, provider, client, timeout)
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        return _configured(provider, transport_problem(exc, timeout)[1])
    except ErrorAnswer as exc:
        return _configured(provider, str(exc))
    except NotAModelList as exc:
        return _configured(provider, f"the answer is not a model list ({exc}); is api_base right?")
    return ModelList(_unique(models), "live")


def _configured(provider: ResolvedProvider, why: str) -> ModelList:
    return ModelList([ModelInfo(name) for name in provider.models], "config", why)


async def _fetch(endpoint: ModelListEndpoint, provider: ResolvedProvider, client: httpx.AsyncClient,
                 timeout: float) -> list[ModelInfo]:
    async def get(url: str, params: dict[str, str]) -> Any:
        response = await client.get(url, headers=dict(endpoint.headers), params=params, timeout=timeout)
        if not response.is_success:
            raise ErrorAnswer(response, provider.api_key)
        body = response_json(response)
        if not isinstance(body, dict):
            raise NotAModelList("not a JSON object")
        return body

    params = dict(endpoint.params)
    match endpoint.dialect:
        case "openai":
            return [_openai_model(item) for item in _items(await get(endpoint.url, params), "data")]
        case "anthropic":
            return await _anthropic_pages(get, endpoint.url, params)
        case "gemini":
            return await _gemini_pages(get, endpoint.url, params)
        case "ollama":
            names = [item["name"] for item in _items(await get(endpoint.url, params), "models")
                     if isinstance(item.get("name"), str)]
            return await _with_ollama_context(names, provider, endpoint, client,
                                              budget=min(OLLAMA_SHOW_BUDGET, timeout / 3))


def _items(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list):
        raise NotAModelList(f"no {key!r} list")
    return [item for item in items if isinstance(item, dict)]


def _openai_model(item: dict[str, Any]) -> ModelInfo:
    """OpenAI, OpenRouter (context_length), vLLM (max_model_len), llama.cpp (meta.n_ctx_train)..."""
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    top = item.get("top_provider") if isinstance(item.get("top_provider"), dict) else {}
    context = _first_int(item.get("context_length"), item.get("max_model_len"), item.get("context_window"),
                         item.get("max_context_length"), top.get("context_length"), meta.get("n_ctx_train"))
    owned_by = item.get("owned_by") if isinstance(item.get("owned_by"), str) else None
    return ModelInfo(str(item.get("id", "")), context, owned_by)


async def _anthropic_pages(get, url: str, params: dict[str, str]) -> list[ModelInfo]:  # noqa: ANN001
    models: list[ModelInfo] = []
    for _ in range(MAX_PAGES):
        body = await get(url, params)
        models += [ModelInfo(str(item.get("id", "")), _first_int(item.get("max_input_tokens")), "anthropic")
                   for item in _items(body, "data")]
        last_id = body.get("last_id")
        if body.get("has_more") is not True or not isinstance(last_id, str) or last_id == params.get("after_id"):
            break
        params = {**params, "after_id": last_id}
    return models


async def _gemini_pages(get, url: str, params: dict[str, str]) -> list[ModelInfo]:  # noqa: ANN001
    models: list[ModelInfo] = []
    for _ in range(MAX_PAGES):
        body = await get(url, params)
        for item in _items(body, "models"):
            name = str(item.get("name", "")).removeprefix("models/")
            models.append(ModelInfo(name, _first_int(item.get("inputTokenLimit")), "google"))
        token = body.get("nextPageToken")
        if not isinstance(token, str) or not token or token == params.get("pageToken"):
            break
        params = {**params, "pageToken": token}
    return models


async def _with_ollama_context(names: list[str], provider: ResolvedProvider, endpoint: ModelListEndpoint,
                               client: httpx.AsyncClient, budget: float) -> list[ModelInfo]:
    """Ollama's tags carry no context window; /api/show does. Ask for all at once, briefly, and keep
    whatever arrived in time: the list itself matters more than the numbers."""
    show_url = ollama_server_url(provider.api_base or "") + "/api/show"

    async def context_of(name: str) -> int | None:
        response = await client.post(show_url, json={"model": name}, headers=dict(endpoint.headers))
        body = response_json(response) if response.is_success else None
        info = body.get("model_info") if isinstance(body, dict) else None
        if not isinstance(info, dict):
            return None
        return _first_int(*(value for key, value in info.items() if str(key).endswith(".context_length")))

    tasks = {name: asyncio.ensure_future(context_of(name)) for name in names}
    try:
        if tasks:
            await asyncio.wait(tasks.values(), timeout=budget)
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    contexts = {name: task.result() if task.done() and not task.cancelled() and task.exception() is None else None
                for name, task in tasks.items()}
    return [ModelInfo(name, contexts[name], None) for name in names]


def _first_int(*values: Any) -> int | None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _unique(models: list[ModelInfo]) -> list[ModelInfo]:
    seen: set[str] = set()
    result = []
    for model in models:
        if model.id and model.id not in seen:
            seen.add(model.id)
            result.append(model)
    return result
