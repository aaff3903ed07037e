"""Launch resolution: every route, the proxy-needed error, resume validation, alias mapping,
proxy registration and cleanup, and that a plan shown to people never contains a secret."""

import json

import pytest

from amux_tui.harnesses.errors import LaunchError
from amux_tui.harnesses.launch import cleanup_launch, prepare_launch
from amux_tui.harnesses.registry import ADAPTERS, get_adapter
from amux_tui.harnesses.resolve import decide_route, resume_arguments
from amux_tui.providers.resolved import ResolvedProvider
from amux_tui.proxy.server import ProxyServer
from upstreams import Reply, UpstreamServer

KEY = "sk-provider-Secret-0123456789abcdef"


def provider(type_="deepseek", formats=("openai-chat",), base="http://127.0.0.1:9/v1", **extra):
    return ResolvedProvider(name=extra.pop("name", "prov"), type=type_, api_base=base, api_formats=formats,
                            api_key=extra.pop("api_key", KEY), **extra)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """amux's state and cache in tmp, harness binaries findable or not, no real HOME touched."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "SHELL": "/bin/sh"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AMUX_HARNESS_BIN", raising=False)
    return env


def test_native_when_the_harness_knows_the_provider():
    decision = decide_route(get_adapter("claude"), provider("anthropic", ("anthropic-messages",)))
    assert decision.route == "native" and decision.api_format is None and not decision.proxy_needed


@pytest.mark.parametrize("harness,fmt,type_", [("claude", "anthropic-messages", "deepseek"),
                                               ("codex", "openai-responses", "openrouter"),
                                               ("opencode", "openai-chat", "vllm"),
                                               ("qwen", "openai-chat", "openrouter"),
                                               ("aider", "openai-chat", "vllm"),
                                               ("shell", "gemini", "vllm")])
def test_direct_when_the_protocols_match(harness, fmt, type_):
    decision = decide_route(get_adapter(harness), provider(type_, (fmt,)))
    assert decision.route == "direct" and decision.api_format == fmt and not decision.proxy_needed


def test_direct_picks_the_providers_preferred_format_among_those_the_harness_speaks():
    decision = decide_route(get_adapter("opencode"), provider("vllm", ("openai-responses", "openai-chat")))
    assert decision.api_format == "openai-responses"


def test_proxy_needed_stops_by_default_and_says_how_to_go_on():
    with pytest.raises(LaunchError) as raised:
        decide_route(get_adapter("claude"), provider("deepseek", ("openai-chat",)))
    error = raised.value
    assert error.exit_code == 2
    assert "anthropic-messages" in error.message and "openai-chat" in error.message
    assert "--with-proxy-if-needed" in error.render() and "--with-proxy" in error.render()


def test_proxy_if_needed_and_always():
    deepseek = provider("deepseek", ("openai-chat",))
    decision = decide_route(get_adapter("claude"), deepseek, "if-needed")
    assert decision.route == "proxy" and decision.proxy_needed and decision.api_format == "anthropic-messages"
    native = provider("anthropic", ("anthropic-messages",))
    assert decide_route(get_adapter("claude"), native, "if-needed").route == "native"
    forced = decide_route(get_adapter("claude"), native, "always")
    assert forced.route == "proxy" and not forced.proxy_needed


def test_litellm_only_provider_needs_the_proxy_and_says_why():
    bedrock = provider("bedrock", (), base=None, litellm_prefix="bedrock")
    with pytest.raises(LaunchError) as raised:
        decide_route(get_adapter("codex"), bedrock)
    assert "LiteLLM" in raised.value.message


def test_resume_validation():
    assert resume_arguments(get_adapter("claude"), None) == []
    assert resume_arguments(get_adapter("claude"), "") == ["--continue"]
    assert resume_arguments(get_adapter("claude"), "abc") == ["--resume", "abc"]
    assert resume_arguments(get_adapter("codex"), "") == ["resume", "--last"]
    assert resume_arguments(get_adapter("aider"), "") == ["--restore-chat-history"]
    with pytest.raises(LaunchError) as raised:
        resume_arguments(get_adapter("shell"), "")
    for name in ("claude", "codex", "gemini", "opencode", "qwen", "aider"):
        assert name in raised.value.render()
    with pytest.raises(LaunchError, match="only its last session"):
        resume_arguments(get_adapter("aider"), "some-id")


@pytest.mark.parametrize("harness", list(ADAPTERS))
async def test_dry_run_plan_masks_every_secret(harness, isolated):
    prov = provider("vllm", ("anthropic-messages", "openai-responses", "openai-chat", "gemini"),
                    base="http://127.0.0.1:9")
    plan = await prepare_launch(harness, prov, "m", proxy_mode="if-needed", dry_run=True, strict=False,
                                preflight=False, env=isolated)
    shown = json.dumps(plan.to_public_dict())
    assert KEY not in shown
    assert plan.route in ("direct", "proxy")
    if plan.route == "direct":
        assert KEY in plan.full_env(isolated).values(), "the real plan still carries the key"
    assert not any(KEY in arg for arg in plan.argv)


async def test_dry_run_writes_nothing(isolated, tmp_path):
    plan = await prepare_launch("qwen", provider("vllm", ("openai-chat",), base="http://127.0.0.1:9"), "m",
                                dry_run=True, preflight=False, env=isolated)
    assert plan.session_dir is not None and not plan.session_dir.exists()
    assert not (tmp_path / "state").exists()


async def test_proxied_plan_registers_a_session_and_cleanup_revokes_it(isolated):
    async with UpstreamServer("openai-chat", [Reply(text="hi")]) as upstream:
        prov = upstream.provider("up", type="vllm", small_model="tiny")
        server = ProxyServer()
        await server.start()
        try:
            plan = await prepare_launch("claude", prov, "fixture-model", proxy_mode="if-needed", proxy_server=server,
                                        preflight=False, env=isolated)
            assert plan.route == "proxy" and plan.proxy_needed
            token = plan.env["ANTHROPIC_AUTH_TOKEN"]
            session = server.session(plan.proxy_session_id)
            assert session is not None and session.token == token
            assert session.model_aliases == {"sonnet": "fixture-model", "opus": "fixture-model", "haiku": "tiny"}
            assert plan.env["ANTHROPIC_BASE_URL"] == server.url
            assert plan.env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "tiny"
            assert (plan.home / ".claude.json").exists()
            assert token not in json.dumps(plan.to_public_dict())
            await cleanup_launch(plan, server)
            assert server.session(session.id) is None
        finally:
            await server.stop()


async def test_session_dir_is_created_and_removed(isolated):
    prov = provider("vllm", ("openai-chat",), base="http://127.0.0.1:9")
    plan = await prepare_launch("qwen", prov, "m", preflight=False, env=isolated)
    assert plan.route == "direct" and plan.session_dir.is_dir()
    settings = plan.session_dir / "qwen-system-settings.json"
    assert plan.env["QWEN_CODE_SYSTEM_SETTINGS_PATH"] == str(settings) and settings.exists()
    assert oct(plan.session_dir.stat().st_mode & 0o777) == "0o700"
    await cleanup_launch(plan)
    assert not plan.session_dir.exists()


async def test_proxy_route_without_a_server_is_refused(isolated):
    with pytest.raises(LaunchError, match="none is running"):
        await prepare_launch("claude", provider(), "m", proxy_mode="if-needed", preflight=False, env=isolated)


async def test_local_provider_without_key_gets_a_placeholder(isolated):
    prov = provider("vllm", ("openai-chat",), api_key=None, local=True)
    plan = await prepare_launch("qwen", prov, "m", preflight=False, env=isolated)
    assert plan.env["OPENAI_API_KEY"] == "amux-no-key"


async def test_reasoning_effort_comes_from_provider_params(isolated):
    prov = provider("openrouter", ("openai-responses",), params={"reasoning_effort": "low"})
    plan = await prepare_launch("codex", prov, "m", preflight=False, env=isolated, dry_run=True)
    assert 'model_reasoning_effort="low"' in plan.argv


async def test_user_arguments_come_last_and_resume_before_them(isolated):
    prov = provider("openrouter", ("openai-responses",))
    plan = await prepare_launch("codex", prov, "m", harness_args=["--search"], resume="", preflight=False,
                                env=isolated, dry_run=True)
    assert plan.argv[-3:] == ["resume", "--last", "--search"]
    assert plan.argv[0] == "codex"


async def test_session_dirs_of_dead_owners_are_swept(isolated):
    prov = provider("vllm", ("openai-chat",), base="http://127.0.0.1:9")
    first = await prepare_launch("qwen", prov, "m", preflight=False, env=isolated)
    (first.session_dir / ".owner").write_text("999999999")  # an owner that no longer exists
    second = await prepare_launch("qwen", prov, "m", preflight=False, env=isolated)
    assert not first.session_dir.exists() and second.session_dir.exists()
    await cleanup_launch(second)


@pytest.mark.parametrize("harness", [name for name, adapter in ADAPTERS.items() if adapter.protocols])
def test_extra_headers_a_harness_cannot_send_make_the_route_the_proxy(harness):
    """Only amux's proxy (and OpenCode's own providers) send a provider's extra_headers: a native or
    direct launch without them would reach a gateway that needs them without, silently."""
    adapter = get_adapter(harness)
    params = {"extra_headers": {"X-Team": "ml"}}
    for type_ in sorted(adapter.native_providers) or ["vllm"]:
        gateway = provider(type_, adapter.protocols[:1], params=params)
        decision = decide_route(adapter, gateway, "if-needed")
        if decision.route == "native":
            assert adapter.native_headers, (type_, decision.reason)
            continue
        assert decision.route == "proxy" and "extra_headers X-Team" in decision.reason, (type_, decision.reason)
        with pytest.raises(LaunchError, match="extra_headers X-Team"):
            decide_route(adapter, gateway)
    assert decide_route(adapter, provider("vllm", adapter.protocols[:1]), "if-needed").route != "proxy"
