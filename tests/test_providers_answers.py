"""The probe clients' shared SSL context: built once (off the event loop when asked from async
code), shared by every client and its proxy transports, with httpx's own handling of
SSL_CERT_FILE, HTTP(S)_PROXY and NO_PROXY kept; probes over plain HTTP still answer."""

import threading

import certifi
import pytest
from provider_servers import provider_server, unused_port  # noqa: F401 - fixture

from amux_tui.providers import answers
from amux_tui.providers.answers import make_client, open_client, prepare_ssl_context, shared_ssl_context
from amux_tui.providers.health import check_health
from amux_tui.providers.models import list_models
from amux_tui.providers.resolved import ResolvedProvider

KEY = "sk-test-0123456789abcdef"


def context_of(transport):
    """The SSL context an httpx transport (direct or through a proxy) connects with."""
    return transport._pool._ssl_context


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def openai_provider(api_base: str) -> ResolvedProvider:
    return ResolvedProvider(name="up", type="openai", api_base=api_base, api_formats=("openai-chat",), api_key=KEY)


async def test_two_clients_share_one_context(no_proxy_env):
    first, second = make_client(3.0), await open_client(5.0)
    try:
        assert context_of(first._transport) is context_of(second._transport) is shared_ssl_context()
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_context_is_built_once_in_a_worker_thread(no_proxy_env, monkeypatch):
    monkeypatch.setattr(answers, "_contexts", {})
    built_in: list[str] = []
    real_create = answers.httpx.create_ssl_context

    def create(*args, **kwargs):
        built_in.append(threading.current_thread().name)
        return real_create(*args, **kwargs)

    monkeypatch.setattr(answers.httpx, "create_ssl_context", create)
    context = await prepare_ssl_context()
    assert await prepare_ssl_context() is context is shared_ssl_context()
    assert len(built_in) == 1 and built_in[0] != threading.main_thread().name


async def test_proxy_transports_share_the_context_and_no_proxy_is_kept(no_proxy_env, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    async with make_client(3.0) as client:
        mounts = {pattern.pattern: transport for pattern, transport in client._mounts.items()}
        assert context_of(mounts["https://"]) is shared_ssl_context()
        assert [t for pattern, t in mounts.items() if "internal.example" in pattern] == [None]  # NO_PROXY: direct


async def test_ssl_cert_file_is_honoured_as_httpx_does(no_proxy_env, monkeypatch, tmp_path):
    bundle = certifi.contents()
    one_ca = bundle[bundle.index("-----BEGIN CERTIFICATE-----"):bundle.index("-----END CERTIFICATE-----") + 25]
    ca_file = tmp_path / "one-ca.pem"
    ca_file.write_text(one_ca + "\n")
    default = shared_ssl_context()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    custom = await prepare_ssl_context()
    assert custom is not default and custom is shared_ssl_context()
    assert custom.cert_store_stats()["x509_ca"] == 1
    assert default.cert_store_stats()["x509_ca"] > 1


async def test_probes_over_plain_http_still_answer(no_proxy_env, provider_server):
    server = await provider_server("openai", api_key=KEY)
    health = await check_health(openai_provider(server.url), timeout=3.0)
    assert health.status == "ok", health.detail
    listing = await list_models(openai_provider(server.url), timeout=3.0)
    assert listing.source == "live" and listing.ids()


async def test_http_proxy_carries_probes_and_no_proxy_bypasses_it(no_proxy_env, provider_server, monkeypatch):
    """The provider's own address is dead; the model list still arrives through HTTP_PROXY (the fixture
    server answers the proxied request), and not when NO_PROXY names the host."""
    proxy = await provider_server("openai", api_key=KEY)
    dead = f"http://127.0.0.1:{unused_port()}/v1"
    monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/v1"))
    through = await check_health(openai_provider(dead), timeout=3.0)
    assert through.status == "ok", through.detail
    assert proxy.requests and proxy.requests[-1].path == "/v1/models"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    asked = len(proxy.requests)
    direct = await check_health(openai_provider(dead), timeout=3.0)
    assert direct.status == "unreachable" and len(proxy.requests) == asked
