"""list_models: live lists in each provider's dialect, pagination, context windows, and the fallback."""

import asyncio

import pytest
from provider_servers import FakeModel, ProviderServer, provider_server, unused_port  # noqa: F401 - fixture

from amux_tui.providers.models import list_models
from amux_tui.providers.resolved import ResolvedProvider

KEY = "sk-models-0123456789abcdef"
FORMATS = {"openai": ("openai-chat",), "openrouter": ("openai-chat",), "vllm": ("openai-chat",),
           "anthropic": ("anthropic-messages",), "gemini": ("gemini",), "ollama": ("openai-chat",)}
THREE = [FakeModel("alpha", 200_000, "org-a"), FakeModel("beta", 1_000_000, "org-b"), FakeModel("gamma", None, "org-c")]


def provider_for(server: ProviderServer, *, key: str | None = KEY, models: tuple[str, ...] = ()) -> ResolvedProvider:
    return ResolvedProvider(name=server.kind, type=server.kind, api_base=server.url, api_formats=FORMATS[server.kind],
                            api_key=key, models=models)


async def test_openai_style_list_with_owner(provider_server):
    server = await provider_server("openai", api_key=KEY, models=list(THREE))
    result = await list_models(provider_for(server))
    assert result.source == "live" and result.error is None
    assert result.ids() == ["alpha", "beta", "gamma"]
    assert [m.owned_by for m in result.models] == ["org-a", "org-b", "org-c"]
    assert server.requests[0].path == "/v1/models"


@pytest.mark.parametrize("kind", ["openrouter", "vllm"])
async def test_context_windows_from_openrouter_and_vllm(provider_server, kind):
    server = await provider_server(kind, api_key=KEY, models=list(THREE))
    result = await list_models(provider_for(server))
    assert [m.context_window for m in result.models] == [200_000, 1_000_000, None]


async def test_anthropic_paginates_with_after_id(provider_server):
    server = await provider_server("anthropic", api_key=KEY, models=list(THREE), page_size=1)
    result = await list_models(provider_for(server))
    assert result.ids() == ["alpha", "beta", "gamma"]
    assert [r.query.get("after_id") for r in server.requests] == [None, "alpha", "beta"]
    assert all(r.headers["anthropic-version"] for r in server.requests)


async def test_gemini_paginates_strips_prefix_and_reads_input_limit(provider_server):
    server = await provider_server("gemini", api_key=KEY, models=list(THREE), page_size=2)
    result = await list_models(provider_for(server))
    assert result.ids() == ["alpha", "beta", "gamma"]
    assert [m.context_window for m in result.models] == [200_000, 1_000_000, None]
    assert [r.query.get("pageToken") for r in server.requests] == [None, "2"]
    assert all("key" not in r.query for r in server.requests)


async def test_ollama_tags_with_context_from_show(provider_server):
    server = await provider_server("ollama", models=[FakeModel("llama3.2:latest", 131072), FakeModel("qwen3:8b")])
    result = await list_models(provider_for(server, key=None))
    assert result.source == "live"
    assert result.ids() == ["llama3.2:latest", "qwen3:8b"]
    assert [m.context_window for m in result.models] == [131072, None]
    assert {r.path for r in server.requests} == {"/api/tags", "/api/show"}


@pytest.mark.parametrize("behaviour", ["unauthorized", "forbidden", "server_error", "malformed"])
async def test_failures_fall_back_to_configured_models_with_the_reason(provider_server, behaviour):
    server = await provider_server("anthropic", behaviour=behaviour)
    result = await list_models(provider_for(server, models=("claude-a", "claude-b")))
    assert result.source == "config"
    assert result.ids() == ["claude-a", "claude-b"]
    assert result.error
    assert KEY not in result.error


async def test_slow_server_falls_back_within_the_timeout(provider_server):
    server = await provider_server("gemini", behaviour="slow", delay=30)
    result = await asyncio.wait_for(list_models(provider_for(server, models=("g1",)), timeout=0.3), 10)
    assert result.source == "config" and result.ids() == ["g1"]
    assert "0.3" in (result.error or "")


async def test_unreachable_falls_back():
    provider = ResolvedProvider(name="x", type="openai", api_base=f"http://127.0.0.1:{unused_port()}/v1",
                                api_formats=("openai-chat",), models=("m",))
    result = await asyncio.wait_for(list_models(provider, timeout=2), 10)
    assert result.source == "config" and result.ids() == ["m"] and result.error


async def test_litellm_only_provider_lists_configured_models():
    provider = ResolvedProvider(name="bedrock", type="bedrock", api_base=None, api_formats=(),
                                models=("anthropic.claude-sonnet-4",), litellm_prefix="bedrock")
    result = await list_models(provider)
    assert result.source == "config"
    assert result.ids() == ["anthropic.claude-sonnet-4"]
    assert "LiteLLM" in (result.error or "")


@pytest.mark.parametrize("kind", ["anthropic", "gemini"])
async def test_endless_pagination_stops(provider_server, kind):
    """A server that answers the same page forever, always saying "more", must not be paged forever."""
    server = await provider_server(kind, api_key=KEY, models=[FakeModel("one"), FakeModel("two")], page_size=1,
                                   behaviour="endless_pages")
    result = await asyncio.wait_for(list_models(provider_for(server)), 10)
    assert result.source == "live"
    assert result.ids() == ["one"]
    assert len(server.requests) == 2
