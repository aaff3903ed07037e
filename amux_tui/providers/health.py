"""Is a provider up, and does it take our key? One authenticated GET of its model list, timed.

Statuses: ``ok`` (2xx with a JSON body), ``auth_failed`` (401/403, or Google's 400 API_KEY_INVALID),
``unreachable`` (no connection, or no answer in time), ``error`` (any other answer), ``unknown``
(reached only through LiteLLM, which has no model-list endpoint to probe; LiteLLM is not imported).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from .answers import error_summary, is_auth_failure, open_client, response_json, transport_problem
from .endpoints import missing_credential, model_list_endpoint
from .resolved import ResolvedProvider, mask_url

HealthStatus = Literal["ok", "auth_failed", "unreachable", "error", "unknown"]
HEALTH_STATUSES: tuple[HealthStatus, ...] = ("ok", "auth_failed", "unreachable", "error", "unknown")


@dataclass(frozen=True)
class HealthResult:
    """The outcome of probing one provider."""

    provider: str
    """The provider's name."""
    status: HealthStatus
    latency_ms: float | None
    """Time to the answer (any answer, a 401 too); None when nothing answered."""
    detail: str
    """One line for people: "12 models", "HTTP 401: invalid x-api-key", "no answer within 3 s"."""

    @property
    def healthy(self) -> bool:
        return self.status == "ok"

    def to_public_dict(self) -> dict[str, Any]:
        return {"status": self.status, "latency_ms": self.latency_ms, "detail": mask_url(self.detail) if self.detail else self.detail}


async def check_health(provider: ResolvedProvider, *, client: httpx.AsyncClient | None = None,
                       timeout: float = 3.0) -> HealthResult:
    """Probe ``provider`` once; never raises for anything the network or the server does."""
    missing = missing_credential(provider, "the health check")
    if missing:
        return HealthResult(provider.name, "auth_failed", None, missing)
    endpoint = model_list_endpoint(provider)
    if endpoint is None:
        return HealthResult(provider.name, "unknown", None,
                            f"reached through LiteLLM ({provider.litellm_prefix or provider.type}); "
                            "no model-list endpoint to probe")
    if client is None:
        async with await open_client(timeout) as owned:
            return await check_health(provider, client=owned, timeout=timeout)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            response = await client.get(endpoint.url, headers=dict(endpoint.headers), params=dict(endpoint.params),
                                        timeout=timeout)
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        unreachable, what = transport_problem(exc, timeout)
        return HealthResult(provider.name, "unreachable" if unreachable else "error", None, what)
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    status, detail = _judge(provider, response)
    return HealthResult(provider.name, status, latency_ms, detail)


async def check_all(providers: Iterable[ResolvedProvider], *, timeout: float = 3.0) -> list[HealthResult]:
    """Probe every provider at once over one client; results in the order given."""
    async with await open_client(timeout) as client:
        return list(await asyncio.gather(*(check_health(p, client=client, timeout=timeout) for p in providers)))


def _judge(provider: ResolvedProvider, response: httpx.Response) -> tuple[HealthStatus, str]:
    if is_auth_failure(response):
        detail = error_summary(response, provider.api_key)
        if provider.key_problem:
            detail += f" ({provider.key_problem})"
        elif not provider.api_key:
            detail += " (no key configured)"
        return "auth_failed", detail
    if not response.is_success:
        return "error", error_summary(response, provider.api_key)
    body = response_json(response)
    if body is None:
        return "error", f"HTTP {response.status_code} but the answer is not JSON (is api_base right?)"
    return "ok", _describe_models(body)


def _describe_models(body: Any) -> str:
    """"12 models" from the first page ("12+ models" when the API says there are more)."""
    if isinstance(body, dict):
        for key in ("data", "models"):
            if isinstance(body.get(key), list):
                count = len(body[key])
                more = "+" if body.get("has_more") is True or body.get("nextPageToken") else ""
                return f"{count}{more} model{'' if count == 1 and not more else 's'}"
    return "answered"
