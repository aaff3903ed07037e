"""check_health against local servers that answer like each provider (and fail like them)."""

import asyncio

import pytest
from provider_servers import ProviderServer, provider_server, unused_port  # noqa: F401 - fixture

from amux_tui.providers.health import check_all, check_health
from amux_tui.providers.resolved import ResolvedProvider

KEY = "sk-test-0123456789abcdef"
FORMATS = {"openai": ("openai-chat",), "openrouter": ("openai-chat",), "anthropic": ("anthropic-messages",),
           "gemini": ("gemini",), "ollama": ("openai-chat",)}


def provider_for(server: ProviderServer, *, key: str | None = KEY, name: str | None = None) -> ResolvedProvider:
    return ResolvedProvider(name=name or server.kind, type=server.kind, api_base=server.url,
                            api_formats=FORMATS[server.kind], api_key=key)


@pytest.mark.parametrize("kind", ["openai", "openrouter", "anthropic", "gemini", "ollama"])
async def test_ok_with_the_right_key_and_latency(provider_server, kind):
    server = await provider_server(kind, api_key=None if kind == "ollama" else KEY)
    result = await check_health(provider_for(server), timeout=3.0)
    assert result.status == "ok", result.detail
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert "model" in result.detail


@pytest.mark.parametrize("kind", ["openai", "anthropic", "gemini"])
async def test_a_wrong_key_is_auth_failed_and_never_shown(provider_server, kind):
    server = await provider_server(kind, api_key="the-right-key-xyz")
    result = await check_health(provider_for(server, key=KEY), timeout=3.0)
    assert result.status == "auth_failed", result.detail
    assert result.latency_ms is not None
    assert KEY not in result.detail


async def test_each_provider_authenticates_its_own_way(provider_server):
    anthropic = await provider_server("anthropic", api_key=KEY)
    gemini = await provider_server("gemini", api_key=KEY)
    openai = await provider_server("openai", api_key=KEY)
    await check_all([provider_for(anthropic), provider_for(gemini), provider_for(openai)])
    assert anthropic.requests[0].headers["x-api-key"] == KEY
    assert anthropic.requests[0].headers["anthropic-version"]
    assert gemini.requests[0].headers["x-goog-api-key"] == KEY
    assert "key" not in gemini.requests[0].query, "the key must not travel in the URL"
    assert openai.requests[0].headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(("behaviour", "status"), [
    ("unauthorized", "auth_failed"), ("forbidden", "auth_failed"), ("server_error", "error"), ("malformed", "error"),
])
async def test_failure_answers(provider_server, behaviour, status):
    server = await provider_server("openai", behaviour=behaviour)
    result = await check_health(provider_for(server), timeout=3.0)
    assert result.status == status
    assert result.latency_ms is not None
    assert result.detail


async def test_missing_key_is_named_in_the_detail(provider_server):
    server = await provider_server("openai", api_key=KEY)
    provider = ResolvedProvider(name="openai", type="openai", api_base=server.url, api_formats=("openai-chat",),
                                key_env="OPENAI_API_KEY", key_problem="OPENAI_API_KEY is not set")
    result = await check_health(provider)
    assert result.status == "auth_failed"
    assert "OPENAI_API_KEY is not set" in result.detail


async def test_slow_server_is_unreachable_within_the_timeout(provider_server):
    server = await provider_server("anthropic", behaviour="slow", delay=30)
    result = await asyncio.wait_for(check_health(provider_for(server), timeout=0.3), 10)
    assert result.status == "unreachable"
    assert result.latency_ms is None
    assert "0.3" in result.detail


async def test_nothing_listening_is_unreachable():
    provider = ResolvedProvider(name="gone", type="openai", api_base=f"http://127.0.0.1:{unused_port()}/v1",
                                api_formats=("openai-chat",))
    result = await asyncio.wait_for(check_health(provider, timeout=2.0), 10)
    assert result.status == "unreachable"
    assert result.latency_ms is None


async def test_litellm_only_provider_is_unknown_without_importing_litellm():
    import sys

    provider = ResolvedProvider(name="bedrock", type="bedrock", api_base=None, api_formats=(), litellm_prefix="bedrock")
    had_litellm = "litellm" in sys.modules
    result = await check_health(provider)
    assert result.status == "unknown"
    assert "LiteLLM" in result.detail
    assert result.latency_ms is None
    assert ("litellm" in sys.modules) == had_litellm


async def test_a_litellm_provider_with_an_api_base_is_not_probed_as_openai(provider_server):
    """Azure (say) has an api_base but no wire API of ours: its model list is not /models."""
    server = await provider_server("openai")
    provider = ResolvedProvider(name="azure", type="azure", api_base=server.url, api_formats=(), litellm_prefix="azure")
    result = await check_health(provider)
    assert result.status == "unknown"
    assert server.requests == []


async def test_check_all_probes_concurrently_and_keeps_order(provider_server):
    slow = await provider_server("openai", behaviour="slow", delay=30)
    fast = await provider_server("gemini", api_key=KEY)
    results = await asyncio.wait_for(
        check_all([provider_for(slow, name="slow"), provider_for(fast, name="fast")], timeout=0.5), 10)
    assert [r.provider for r in results] == ["slow", "fast"]
    assert [r.status for r in results] == ["unreachable", "ok"]


async def test_extra_headers_from_params_are_sent(provider_server):
    server = await provider_server("openai")
    provider = ResolvedProvider(name="gw", type="litellm", api_base=server.url, api_formats=("openai-chat",),
                                params={"extra_headers": {"X-Team": "ml"}})
    assert (await check_health(provider)).status == "ok"
    assert server.requests[0].headers["X-Team"] == "ml"
