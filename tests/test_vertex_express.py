"""A Vertex AI ``api_key`` (Vertex "express mode": an API key instead of Google credentials, sent to
Vertex's project-less ``/v1/publishers/google/models/...`` paths) reaches Vertex on every route, or
the launch says why not; before, every route dropped it silently and signed with whatever Google
credentials the machine had.

- Gemini CLI carries it as ``GOOGLE_API_KEY`` (its @google/genai SDK, ``vertexai`` on, sends it as
  ``x-goog-api-key`` and leaves project and location out), OpenCode as ``GOOGLE_VERTEX_API_KEY``
  (@ai-sdk/google-vertex's express mode): both native.
- Claude Code's Vertex client signs with Google credentials only: the route is the proxy, and the
  reason names ``api_key``.
- LiteLLM's ``vertex_ai`` route ignores a key (1.110 in amux's proxy, 1.81 inside Aider); its
  ``gemini`` route sends one to a base it is given, and express mode is the Gemini wire at Vertex's
  paths: amux's proxy and Aider's native route use that.
- Express mode serves Google's own models only: a Claude model with an api_key is a launch error.

The end-to-end cases run the pinned real binaries against `VertexUpstream`, which answers express
calls only with its own key (and project paths only with a Google access token)."""

import json

import pytest

from amux_tui.harnesses.errors import LaunchError
from amux_tui.harnesses.launch import prepare_launch
from amux_tui.harnesses.registry import ADAPTERS
from amux_tui.providers.presets import PRESETS
from amux_tui.providers.resolved import ResolvedProvider
from harness_runs import run_amux
from proxy_client import post, proxy_for, request_body
from upstream_cloud import VERTEX_MODELS, VertexUpstream
from upstreams import Reply

KEY = "AQ.vertex-express-fixture-key-0123456789"
ROOT = "http://127.0.0.1:4874"
MODEL = VERTEX_MODELS["gemini"]


def express(api_base: str | None = ROOT, **params) -> ResolvedProvider:
    return ResolvedProvider(name="vx", type="vertex_ai", api_base=api_base, api_formats=(), api_key=KEY,
                            litellm_prefix=PRESETS["vertex_ai"].litellm_prefix, params=params)


@pytest.mark.parametrize("harness,variable", [("gemini", "GOOGLE_API_KEY"), ("opencode", "GOOGLE_VERTEX_API_KEY"),
                                              ("aider", "GEMINI_API_KEY")])
async def test_a_vertex_api_key_reaches_the_harness_natively_and_stays_masked(harness, variable, isolated):
    plan = await prepare_launch(harness, express(), MODEL, preflight=False, env=isolated, dry_run=True)
    assert plan.route == "native"
    assert plan.env[variable] == KEY, f"{harness} drops the Vertex api_key on its native route"
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in plan.env and "VERTEXAI_CREDENTIALS" not in plan.env
    assert KEY not in json.dumps(plan.to_public_dict())


@pytest.mark.parametrize("harness,expected", [
    ("gemini", ROOT),  # its SDK appends /v1beta1/publishers/google/models/...
    ("opencode", ROOT + "/v1/publishers/google"),  # @ai-sdk/google-vertex appends /models/...
    ("aider", ROOT + "/v1/publishers/google"),  # LiteLLM's gemini route appends /models/...
])
async def test_the_express_base_has_no_project_or_location(harness, expected, isolated):
    plan = await prepare_launch(harness, express(ROOT + "/v1", vertex_project="p", vertex_location="l"), MODEL,
                                preflight=False, env=isolated, dry_run=True)
    assert plan.route == "native" and plan.endpoint_url == expected
    assert any("express mode" in note and "vertex_project" in note for note in plan.notes), plan.notes


async def test_claude_code_goes_through_the_proxy_naming_the_api_key(isolated):
    plan = await prepare_launch("claude", express(vertex_credentials="/sa.json"), MODEL, proxy_mode="if-needed",
                                preflight=False, env=isolated, dry_run=True)
    assert plan.route == "proxy" and "api_key" in plan.reason
    assert any("express mode" in note and "vertex_credentials" in note for note in plan.notes), plan.notes
    with pytest.raises(LaunchError, match="api_key"):
        await prepare_launch("claude", express(), MODEL, preflight=False, env=isolated, dry_run=True)


@pytest.mark.parametrize("harness", ["claude", "gemini", "opencode", "aider"])
async def test_a_claude_model_with_a_vertex_api_key_is_refused(harness, isolated):
    with pytest.raises(LaunchError, match="express mode") as refused:
        await prepare_launch(harness, express(), "claude-sonnet-4-6", proxy_mode="if-needed", preflight=False,
                             env=isolated, dry_run=True)
    assert refused.value.exit_code == 2 and "vertex_credentials" in refused.value.fix


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_the_proxy_reaches_vertex_express_with_the_key(stream, tmp_path):
    async with VertexUpstream(script=[Reply(text="express-via-litellm")], api_key=KEY) as up:
        provider = express(up.base_url, vertex_project="someone-elses-project")
        async with proxy_for(provider, MODEL) as (_, session):
            status, raw = await post(session, "openai-chat", request_body("openai-chat", "hi", stream=stream,
                                                                          model=MODEL), stream=stream, model=MODEL)
    assert status == 200 and b"express-via-litellm" in raw, raw[:600]
    (call,) = [r for r in up.requests if r.method == "POST"]
    assert call.path.startswith("/v1/publishers/google/models/gemini-2.5-flash:"), call.path
    assert call.headers["x-goog-api-key"] == KEY and not up.exchanges


@pytest.mark.harness
@pytest.mark.parametrize("harness,route", [("gemini", "native"), ("opencode", "native"), ("aider", "native"),
                                           ("claude", "proxy")])
async def test_the_harness_reaches_vertex_with_its_api_key(harness, route, tmp_path):
    # The shell holds Google credentials of someone else: express mode must not fall back on them.
    async with VertexUpstream(script=[Reply(text="vertex-express-answer")], api_key=KEY) as up:
        elsewhere = up.write_credentials(tmp_path / "elsewhere")
        entry = {"type": "vertex_ai", "api_base": up.base_url, "models": [MODEL], "default_model": MODEL,
                 **up.express_settings()}
        args = ADAPTERS[harness].headless_args("Say hello.")
        run = await run_amux(tmp_path, harness, {"providers": {"vx": entry}}, "--provider", "vx",
                             "--with-proxy-if-needed", harness_args=args,
                             shell_env={"GOOGLE_APPLICATION_CREDENTIALS": str(elsewhere)})
    screen = " ".join(run.output.split())
    posts = [r for r in up.requests if r.method == "POST"]
    assert run.code == 0 and "vertex-express-answer" in screen, run.output[-3000:]
    assert f"({route}" in run.output, run.output[-3000:]
    assert posts and not up.exchanges, "signed with Google credentials instead of the api_key"
    for call in posts:
        assert "/publishers/google/models/" in call.path and "/projects/" not in call.path, call.path
        assert KEY in (call.headers.get("x-goog-api-key"), call.query.get("key")), call.headers
