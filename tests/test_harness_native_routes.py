"""Native routes mean what they say: a native plan carries every provider setting (custom api_base,
key, region, project) to the harness, or the route is direct/proxy and names the setting; where a
harness needs setup to use a key at all, the session gets it in amux's harness home, never in the
user's own config. Plans are built for real (no preflight: no network); the real binaries run
where the behaviour is theirs (Gemini CLI's auth type, Claude Code's and Codex's first run)."""

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from amux_tui.harnesses.errors import LaunchError
from amux_tui.harnesses.launch import prepare_launch
from amux_tui.harnesses.registry import ADAPTERS, get_adapter
from amux_tui.harnesses.resolve import decide_route
from amux_tui.providers.presets import PRESETS
from amux_tui.providers.resolved import ResolvedProvider
from harness_bins import require_binary
from upstreams import Reply, UpstreamServer

KEY = "sk-native-Secret-0123456789abcdefghij"
GATEWAY = "http://127.0.0.1:4873"
ROOT = Path(__file__).resolve().parent.parent


def gateway(type_: str, base: str | None = GATEWAY, **extra) -> ResolvedProvider:
    preset = PRESETS[type_]
    return ResolvedProvider(name="gw", type=type_, api_base=base, api_formats=extra.pop("formats", preset.api_formats),
                            api_key=extra.pop("api_key", KEY), litellm_prefix=preset.litellm_prefix, **extra)


def plan_text(plan) -> str:
    """Everything the harness is given: environment, arguments and files."""
    files = [seed.content if isinstance(seed.content, str) else json.dumps(seed.content) for seed in plan.files]
    return "\n".join([*plan.env.values(), *plan.argv, *files])


NATIVE_CASES = [(name, type_) for name, adapter in ADAPTERS.items() for type_ in sorted(adapter.native_providers)]


@pytest.mark.parametrize("harness,type_", NATIVE_CASES)
async def test_a_custom_api_base_reaches_the_harness_or_the_route_is_not_native(harness, type_, isolated):
    # A key only where the type needs one: on Vertex an api_key is express mode, a route of its own
    # (test_vertex_express.py).
    provider = gateway(type_, api_key=KEY if PRESETS[type_].needs_key else None)
    adapter = get_adapter(harness)
    decision = decide_route(adapter, provider, "if-needed")
    if decision.route != "native":
        assert "api_base" in decision.reason and GATEWAY in decision.reason
        return
    plan = await prepare_launch(adapter, provider, "gw-model", proxy_mode="if-needed", preflight=False,
                                env=isolated, dry_run=True)
    assert "127.0.0.1:4873" in plan_text(plan), f"{harness} drops api_base on its native {type_} route"
    assert plan.endpoint_url and "127.0.0.1:4873" in plan.endpoint_url
    if PRESETS[type_].needs_key and PRESETS[type_].key_env:
        assert KEY in plan_text(plan), f"{harness} drops the key on its native {type_} route"


@pytest.mark.parametrize("harness,type_,expected", [
    ("opencode", "anthropic", GATEWAY + "/v1"), ("opencode", "gemini", GATEWAY + "/v1beta"),
    ("opencode", "openai", GATEWAY), ("aider", "gemini", GATEWAY + "/v1beta"), ("aider", "anthropic", GATEWAY),
    ("claude", "anthropic", GATEWAY), ("gemini", "gemini", GATEWAY), ("codex", "openai", GATEWAY),
])
async def test_the_base_url_is_shaped_as_the_harness_client_appends_paths(harness, type_, expected, isolated):
    base = GATEWAY + ("/v1" if type_ in ("anthropic", "openai") else "")  # as users write it
    plan = await prepare_launch(harness, gateway(type_, base if type_ != "openai" else GATEWAY), "m",
                                preflight=False, env=isolated, dry_run=True)
    assert plan.route == "native" and plan.endpoint_url == expected


def test_a_setting_the_adapter_cannot_carry_is_named_with_the_route_it_forced():
    vertex = gateway("vertex_ai", "https://vertex-gw.example.com", formats=(), api_key=None)
    decision = decide_route(get_adapter("opencode"), vertex, "if-needed")
    assert decision.route == "proxy" and "api_base https://vertex-gw.example.com" in decision.reason
    with pytest.raises(LaunchError) as raised:
        decide_route(get_adapter("opencode"), vertex)
    assert "not native" in raised.value.message and "api_base" in raised.value.message


def test_a_wire_api_the_native_client_does_not_speak_is_a_gap():
    chat_only = gateway("openai", formats=("openai-chat",))
    with pytest.raises(LaunchError) as raised:
        decide_route(get_adapter("codex"), chat_only)
    assert "api_format openai-chat" in raised.value.message and "openai-responses" in raised.value.message
    decision = decide_route(get_adapter("opencode"), chat_only)
    assert decision.route == "direct" and decision.api_format == "openai-chat" and "api_format" in decision.reason


async def test_region_and_project_reach_every_native_harness(isolated):
    vertex = gateway("vertex_ai", None, api_key=None, params={"vertex_project": "proj-7", "vertex_location": "eu-9"})
    bedrock = gateway("bedrock", None, api_key=None, params={"aws_region_name": "ap-3"})
    for harness in ("claude", "gemini", "opencode", "aider"):
        plan = await prepare_launch(harness, vertex, "m", preflight=False, env=isolated, dry_run=True)
        assert "proj-7" in plan_text(plan) and "eu-9" in plan_text(plan), harness
    for harness in ("claude", "opencode"):
        plan = await prepare_launch(harness, bedrock, "m", preflight=False, env=isolated, dry_run=True)
        assert "ap-3" in plan_text(plan), harness


async def test_gemini_native_with_a_key_runs_in_amuxs_home_unless_its_own_settings_select_key_auth(isolated, tmp_path):
    plan = await prepare_launch("gemini", gateway("gemini"), "m", preflight=False, env=isolated, dry_run=True)
    home = tmp_path / "state" / "amux" / "homes" / "gemini"
    assert plan.env["GEMINI_CLI_HOME"] == str(home) and plan.home == home
    (seed,) = plan.files
    assert seed.path == home / ".gemini" / "settings.json"
    assert seed.content["security"]["auth"]["selectedType"] == "gemini-api-key"
    assert any("amux's Gemini home" in note for note in plan.notes)

    own = tmp_path / "home" / ".gemini"
    own.mkdir()
    (own / "settings.json").write_text(json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    plan = await prepare_launch("gemini", gateway("gemini"), "m", preflight=False, env=isolated, dry_run=True)
    assert "GEMINI_CLI_HOME" not in plan.env and not plan.files and plan.home is None


async def test_claude_native_with_a_key_skips_first_run_only_when_never_onboarded(isolated, tmp_path):
    plan = await prepare_launch("claude", gateway("anthropic"), "m", preflight=False, env=isolated, dry_run=True,
                                cwd=tmp_path)
    home = tmp_path / "state" / "amux" / "homes" / "claude"
    assert plan.env["CLAUDE_CONFIG_DIR"] == str(home)
    (seed,) = plan.files
    assert seed.content["hasCompletedOnboarding"] is True
    assert seed.content["customApiKeyResponses"]["approved"] == [KEY[-20:]]
    assert "hasTrustDialogAccepted" not in seed.content["projects"][str(tmp_path.resolve())]  # not trusted in amux

    (tmp_path / "home" / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    plan = await prepare_launch("claude", gateway("anthropic"), "m", preflight=False, env=isolated, dry_run=True)
    assert "CLAUDE_CONFIG_DIR" not in plan.env and not plan.files


async def test_codex_native_key_goes_through_a_provider_entry_not_a_login(isolated):
    plan = await prepare_launch("codex", gateway("openai", None), "m", preflight=False, env=isolated, dry_run=True)
    assert plan.env["AMUX_CODEX_API_KEY"] == KEY and "OPENAI_API_KEY" not in plan.env
    assert 'model_providers.amux-openai.base_url="https://api.openai.com/v1"' in plan.argv


async def test_a_native_harness_with_its_own_default_model_gets_none(isolated):
    anthropic = gateway("anthropic", PRESETS["anthropic"].api_base)
    plan = await prepare_launch("claude", anthropic, None, preflight=False, env=isolated, dry_run=True)
    assert plan.model is None and "--model" not in plan.argv
    with pytest.raises(LaunchError, match="amux must name one"):
        await prepare_launch("aider", anthropic, None, preflight=False, env=isolated, dry_run=True)
    with pytest.raises(LaunchError, match="amux must name one"):  # a gateway's names are not the harness's default
        await prepare_launch("claude", gateway("anthropic"), None, preflight=False, env=isolated, dry_run=True)


# --- the real binaries, each in a fresh HOME ---------------------------------------------------------

def fresh_env(tmp_path: Path, config: dict, binary: str) -> dict[str, str]:
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "providers.json").write_text(json.dumps(config))
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path / "home"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"), "AMUX_CONFIG": str(tmp_path / "providers.json"),
            "AMUX_HARNESS_BIN": str(Path(binary).parent), "PYTHONPATH": str(ROOT), "TERM": "xterm-256color",
            "LANG": "C.UTF-8"}


def native_config(up: UpstreamServer, type_: str) -> dict:
    return {"providers": {"gw": {"type": type_, "api_base": up.base_url, "api_key": up.api_key,
                                 "default_model": "fixture-model"}}}


async def amux(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", *args, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        os.killpg(process.pid, 9)
        raise
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def test_gemini_native_with_a_key_and_a_base_url_answers_in_a_fresh_home(tmp_path):
    binary = require_binary("gemini")
    async with UpstreamServer("gemini", [Reply(text="native gemini answer")], api_key=KEY) as up:
        env = fresh_env(tmp_path, native_config(up, "gemini"), binary)
        code, out, err = await amux("launch", "gemini", "--provider", "gw", "--trust", "--", "-p", "say hi",
                                    env=env, cwd=tmp_path)
    assert code == 0, err  # before: exit 41, "Invalid auth method selected."
    assert "native gemini answer" in out
    assert not (tmp_path / "home" / ".gemini" / "settings.json").exists()  # the user's own config: untouched


async def pty_session(argv: list[str], env: dict[str, str], cwd: Path, answer: bytes, prompt: str,
                      timeout: float = 90) -> bytes:
    """Run ``argv`` in a PTY, type ``prompt`` once its screen settles, return the output once ``answer`` shows."""
    import ptyprocess

    child = ptyprocess.PtyProcess.spawn(argv, env=env, cwd=str(cwd), dimensions=(40, 120))
    loop = asyncio.get_running_loop()
    output = b""
    typed = False
    started = loop.time()
    deadline = started + timeout
    try:
        while answer not in output and loop.time() < deadline:
            try:
                chunk = await asyncio.wait_for(loop.run_in_executor(None, child.read, 65536), 3)
            except TimeoutError:
                chunk = b""
            except EOFError:
                break
            output += chunk
            # Quiet for a while (or long enough on a busy machine): the first screen is up.
            if not typed and output and (not chunk or loop.time() - started > 30):
                for char in prompt:
                    child.write(char.encode())
                    await asyncio.sleep(0.03)
                await asyncio.sleep(0.5)
                child.write(b"\r")
                typed = True
    finally:
        child.terminate(force=True)
    return output


@pytest.mark.parametrize("harness,protocol,type_", [("claude", "anthropic-messages", "anthropic"),
                                                    ("codex", "openai-responses", "openai")])
async def test_interactive_native_session_with_a_key_needs_no_first_run_setup(harness, protocol, type_, tmp_path):
    binary = require_binary(harness)
    async with UpstreamServer(protocol, [Reply(text="native-tui-answer")], api_key=KEY) as up:
        env = fresh_env(tmp_path, native_config(up, type_), binary)
        argv = [sys.executable, "-m", "amux_tui.cli", "launch", harness, "--provider", "gw", "--trust"]
        output = await pty_session(argv, env, tmp_path, b"native-tui-answer", "say hi")
        asked = [request for request in up.requests if request.method == "POST"]
    # before: Claude Code stopped at onboarding, Codex at "Sign in" (and sent no key)
    assert b"native-tui-answer" in output, output[-2000:].decode(errors="replace")
    assert asked and all(KEY in request.headers.get("x-api-key", request.headers.get("authorization", ""))
                         for request in asked)
    home = tmp_path / "home"
    assert not (home / ".claude.json").exists() and not (home / ".codex" / "auth.json").exists()


async def test_claude_native_in_the_users_own_config_says_it_will_ask_about_a_new_key(isolated, tmp_path):
    (tmp_path / "home" / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    plan = await prepare_launch("claude", gateway("anthropic"), "m", preflight=False, env=isolated, dry_run=True)
    assert any("asks once whether to use this API key" in note for note in plan.notes)
    (tmp_path / "home" / ".claude.json").write_text(json.dumps(
        {"hasCompletedOnboarding": True, "customApiKeyResponses": {"approved": [KEY[-20:]]}}))
    plan = await prepare_launch("claude", gateway("anthropic"), "m", preflight=False, env=isolated, dry_run=True)
    assert not any("API key" in note for note in plan.notes)


@pytest.mark.parametrize("harness,type_,key_var,base_var", [
    ("claude", "anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    ("codex", "openai", "OPENAI_API_KEY", "OPENAI_BASE_URL"),
    ("gemini", "gemini", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"),
])
async def test_a_base_url_in_the_environment_is_where_amux_says_the_harness_goes(harness, type_, key_var, base_var,
                                                                                isolated):
    from amux_tui.config.models import AmuxConfig
    from amux_tui.providers.registry import ProviderRegistry

    env = {**isolated, key_var: KEY, base_var: GATEWAY}
    provider = ProviderRegistry.from_config(AmuxConfig(), env).provider(type_, env)
    assert provider.api_base == GATEWAY  # what amux probes and shows ...
    plan = await prepare_launch(harness, provider, "m", preflight=False, env=env, dry_run=True)
    assert plan.endpoint_url == GATEWAY and GATEWAY in plan_text(plan)  # ... is what the harness is given
