"""Vertex AI and Azure OpenAI on the native routes: the provider's Google credentials
(``vertex_credentials``), its Azure ``api_version`` and a custom ``api_base`` reach each harness in
the shape its own client wants. (The real binaries against local Vertex and Azure fixtures:
`test_harness_routes_e2e.py`, the ``*-vertex_ai-native-*`` and ``*-azure-native-*`` cells.)"""

import json
import os
from pathlib import Path

import pytest

from amux_tui.harnesses.launch import cleanup_launch, prepare_launch
from amux_tui.providers.presets import PRESETS
from amux_tui.providers.resolved import ResolvedProvider
from harness_runs import run_amux
from upstream_cloud import VERTEX_MODELS, VertexUpstream
from upstreams import Reply

ROOT = "http://127.0.0.1:4874"
PRIVATE = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASC-fixture\n-----END PRIVATE KEY-----\n"
SERVICE_ACCOUNT = json.dumps({"type": "service_account", "project_id": "proj-7", "private_key_id": "k1",
                              "private_key": PRIVATE, "client_email": "amux@proj-7.iam.gserviceaccount.com",
                              "token_uri": "https://oauth2.googleapis.com/token"})


def vertex(api_base: str | None = None, **params) -> ResolvedProvider:
    preset = PRESETS["vertex_ai"]
    return ResolvedProvider(name="vx", type="vertex_ai", api_base=api_base, api_formats=(), api_key=None,
                            litellm_prefix=preset.litellm_prefix,
                            params={"vertex_project": "proj-7", "vertex_location": "eu-9", **params})


@pytest.mark.parametrize("harness,variable", [
    ("claude", "GOOGLE_APPLICATION_CREDENTIALS"), ("gemini", "GOOGLE_APPLICATION_CREDENTIALS"),
    ("opencode", "GOOGLE_APPLICATION_CREDENTIALS"), ("aider", "VERTEXAI_CREDENTIALS"),
])
async def test_a_credentials_file_reaches_the_harness_auth_library(harness, variable, isolated, tmp_path):
    path = tmp_path / "sa.json"
    plan = await prepare_launch(harness, vertex(vertex_credentials=str(path)), "gemini-2.5-pro", preflight=False,
                                env=isolated, dry_run=True)
    assert plan.route == "native"
    assert plan.env[variable] == str(path), f"{harness} drops vertex_credentials on its native Vertex route"


@pytest.mark.parametrize("written", ["text", "object"])
@pytest.mark.parametrize("harness", ["claude", "gemini", "opencode"])
async def test_inline_credentials_go_to_an_owner_only_session_file_never_shown(harness, written, isolated):
    # An object in providers.json is written out re-encoded (its key's newlines as \n escapes),
    # so masking the configured values as they stand would miss it.
    credentials = SERVICE_ACCOUNT if written == "text" else json.loads(SERVICE_ACCOUNT)
    plan = await prepare_launch(harness, vertex(vertex_credentials=credentials), "m", preflight=False,
                                env=isolated, dry_run=True)
    (seed,) = [seed for seed in plan.files if seed.path.name == "google-credentials.json"]
    assert plan.env["GOOGLE_APPLICATION_CREDENTIALS"] == str(seed.path)
    assert plan.session_dir is not None and seed.path.parent == plan.session_dir  # removed with the session
    assert json.loads(seed.content)["private_key"] == json.loads(SERVICE_ACCOUNT)["private_key"]
    assert "PRIVATE KEY" not in json.dumps(plan.to_public_dict())


async def test_the_credentials_file_is_owner_only_and_gone_after_the_session(isolated):
    plan = await prepare_launch("gemini", vertex(vertex_credentials=SERVICE_ACCOUNT), "m", preflight=False,
                                env=isolated)
    path = Path(plan.env["GOOGLE_APPLICATION_CREDENTIALS"])
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_text() == SERVICE_ACCOUNT
    await cleanup_launch(plan)
    assert not path.exists()


@pytest.mark.parametrize("harness,variable", [("gemini", "GOOGLE_API_KEY"), ("opencode", "GOOGLE_VERTEX_API_KEY")])
async def test_a_vertex_api_key_the_shell_holds_gives_way_to_the_configured_identity(harness, variable, isolated):
    shell = isolated | {variable: "someone-elses-vertex-key"}
    plan = await prepare_launch(harness, vertex(vertex_credentials="/creds.json"), "m", preflight=False, env=shell,
                                dry_run=True)
    assert variable not in plan.full_env(shell)
    own_login = vertex()  # nothing configured but where: the key may well be the user's own way in
    del own_login.params["vertex_project"]
    plan = await prepare_launch(harness, own_login, "m", preflight=False, env=shell, dry_run=True)
    assert plan.full_env(shell)[variable] == "someone-elses-vertex-key"


@pytest.mark.harness
@pytest.mark.parametrize("harness,variable", [("gemini", "GOOGLE_API_KEY"), ("opencode", "GOOGLE_VERTEX_API_KEY")])
async def test_the_harness_reaches_vertex_as_configured_whatever_vertex_key_the_shell_holds(harness, variable,
                                                                                          tmp_path):
    # Both Google SDKs take a Vertex API key from the environment over credentials and project
    # ("express mode"): before, the run reached Vertex with the shell's key, and the fixture refused it.
    model = VERTEX_MODELS["gemini"]
    async with VertexUpstream(script=[Reply(text="vertex-configured-answer")]) as up:
        entry = {"type": "vertex_ai", "api_base": up.base_url, "models": [model], "default_model": model,
                 **up.provider_settings(tmp_path / "cloud")}
        args = ["-p", "Say hello."] if harness == "gemini" else ["run", "Say hello."]
        run = await run_amux(tmp_path, harness, {"providers": {"vx": entry}}, "--provider", "vx", harness_args=args,
                             shell_env={variable: "someone-elses-vertex-key"})
    posts = [r for r in up.requests if r.method == "POST"]
    assert run.code == 0 and "vertex-configured-answer" in run.output, run.output[-3000:]
    assert posts and all(r.headers["authorization"].removeprefix("Bearer ") in up.issued for r in posts)


async def test_inline_credentials_reach_aider_masked_in_the_plan(isolated):
    plan = await prepare_launch("aider", vertex(vertex_credentials=json.loads(SERVICE_ACCOUNT)), "gemini-2.5-pro",
                                preflight=False, env=isolated, dry_run=True)
    assert json.loads(plan.env["VERTEXAI_CREDENTIALS"])["client_email"] == "amux@proj-7.iam.gserviceaccount.com"
    assert "BEGIN PRIVATE KEY" not in json.dumps(plan.to_public_dict())


@pytest.mark.parametrize("written", [ROOT, ROOT + "/", ROOT + "/v1"])
@pytest.mark.parametrize("harness,variable,expected", [
    ("claude", "ANTHROPIC_VERTEX_BASE_URL", ROOT + "/v1"),  # its client appends /projects/...
    ("gemini", "GOOGLE_VERTEX_BASE_URL", ROOT),  # its SDK appends /v1beta1/projects/...
])
async def test_a_vertex_api_base_is_shaped_for_the_harness_client(harness, variable, expected, written, isolated):
    plan = await prepare_launch(harness, vertex(written), "m", preflight=False, env=isolated, dry_run=True)
    assert plan.route == "native" and plan.env[variable] == expected and plan.endpoint_url == expected


async def test_opencode_reaches_an_azure_resource_natively_on_its_deployment_urls(isolated):
    azure = ResolvedProvider(name="az", type="azure", api_base="https://team.openai.azure.com", api_formats=(),
                             api_key="azure-key-0123456789abcdef", litellm_prefix="azure",
                             params={"api_version": "2024-10-21"})
    plan = await prepare_launch("opencode", azure, "gpt-4o-team", preflight=False, env=isolated, dry_run=True)
    assert plan.route == "native" and plan.endpoint_url == "https://team.openai.azure.com/openai"
    options = json.loads(plan.env["OPENCODE_CONFIG_CONTENT"])["provider"]["azure"]["options"]
    # {baseURL}/deployments/{deployment}/chat/completions?api-version=2024-10-21, as Azure serves it
    assert options == {"baseURL": "https://team.openai.azure.com/openai", "useDeploymentBasedUrls": True,
                       "useCompletionUrls": True, "apiVersion": "2024-10-21"}
    assert plan.env["AZURE_API_KEY"] == "azure-key-0123456789abcdef"


async def test_opencode_keeps_the_azure_api_version_without_an_api_base(isolated):
    # OpenCode then finds the resource by itself (AZURE_RESOURCE_NAME); the version is still amux's to say.
    azure = ResolvedProvider(name="az", type="azure", api_base=None, api_formats=(), api_key="azure-key-0123456789",
                             litellm_prefix="azure", params={"api_version": "2024-10-21"})
    plan = await prepare_launch("opencode", azure, "gpt-4o-team", preflight=False, env=isolated, dry_run=True)
    options = json.loads(plan.env["OPENCODE_CONFIG_CONTENT"])["provider"]["azure"]["options"]
    assert plan.route == "native" and options == {"useDeploymentBasedUrls": True, "useCompletionUrls": True,
                                                  "apiVersion": "2024-10-21"}


@pytest.mark.parametrize("model,provider_id", [("claude-sonnet-4-6", "google-vertex-anthropic"),
                                               ("gemini-2.5-pro", "google-vertex")])
async def test_opencode_asks_vertex_for_a_model_under_its_own_publisher(model, provider_id, isolated):
    # Vertex serves Claude under publishers/anthropic (rawPredict), Gemini under publishers/google:
    # OpenCode has one provider for each, and the wrong one asks a publisher that has no such model.
    plan = await prepare_launch("opencode", vertex(), model, preflight=False, env=isolated, dry_run=True)
    config = json.loads(plan.env["OPENCODE_CONFIG_CONTENT"])
    assert plan.route == "native" and config["model"] == f"{provider_id}/{model}"
    assert config["provider"][provider_id]["options"] == {"project": "proj-7", "location": "eu-9"}


@pytest.mark.parametrize("model,expected", [
    ("claude-sonnet-4-6", ROOT + "/v1/projects/proj-7/locations/eu-9/publishers/anthropic/models"),
    ("gemini-2.5-pro", ROOT + "/v1/projects/proj-7/locations/eu-9/publishers/google"),
])
async def test_opencode_reaches_a_vertex_api_base_natively_when_project_and_location_are_known(model, expected,
                                                                                             isolated):
    plan = await prepare_launch("opencode", vertex(ROOT + "/v1"), model, preflight=False, env=isolated, dry_run=True)
    assert plan.route == "native" and plan.endpoint_url == expected
    (entry,) = json.loads(plan.env["OPENCODE_CONFIG_CONTENT"])["provider"].values()
    assert entry["options"]["baseURL"] == expected and model in entry["models"]

    unplaced = vertex(ROOT)
    del unplaced.params["vertex_location"]
    plan = await prepare_launch("opencode", unplaced, model, proxy_mode="if-needed", preflight=False, env=isolated,
                                dry_run=True)
    assert plan.route == "proxy" and "vertex_location" in plan.reason


@pytest.mark.parametrize("harness", ["claude", "gemini", "opencode"])
async def test_the_harness_takes_the_configured_project_without_asking_gcloud(harness, tmp_path):
    # google-auth-library looks for a project before its first call: the environment, then the gcloud
    # CLI, the GCE metadata server and Cloud Resource Manager. OpenCode got the project only in its
    # config, so its library ran `gcloud` (seconds) and probed hosts that are not there; under load
    # that surfaced as "Unable to connect" and a failed session.
    model = VERTEX_MODELS["gemini" if harness == "gemini" else "anthropic-messages"]  # OpenCode: its Claude provider
    spy = tmp_path / "bin"
    spy.mkdir()
    (spy / "gcloud").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'gcloud-called'}\nexit 1\n")
    (spy / "gcloud").chmod(0o755)
    async with VertexUpstream(script=[Reply(text="vertex-project-answer")] * 2) as up:
        entry = {"type": "vertex_ai", "api_base": up.base_url, "models": [model], "default_model": model,
                 **up.provider_settings(tmp_path / "cloud")}
        args = {"claude": ["-p", "Say hello."], "gemini": ["-p", "Say hello."], "opencode": ["run", "Say hello."]}
        run = await run_amux(tmp_path, harness, {"providers": {"vx": entry}}, "--provider", "vx",
                             harness_args=args[harness], shell_env={"PATH": f"{spy}:{os.environ['PATH']}"})
    assert run.code == 0 and "vertex-project-answer" in run.output, run.tail()
    assert not (tmp_path / "gcloud-called").exists(), (tmp_path / "gcloud-called").read_text()
