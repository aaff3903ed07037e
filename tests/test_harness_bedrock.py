"""A Bedrock provider's settings reach the harnesses that sign their own AWS requests (Claude Code,
OpenCode): the AWS keys or Bedrock API key it is configured with, its region and runtime endpoint,
over whatever other identity the user's shell holds; a setting no AWS SDK takes from its
environment makes the route the proxy, named. Plans are built for real (no network); the real
binaries then run through `amux launch` against the local Bedrock runtime (`upstream_bedrock`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amux_tui.harnesses.launch import prepare_launch
from amux_tui.harnesses.preflight import run_preflight
from amux_tui.harnesses.registry import get_adapter
from amux_tui.harnesses.resolve import decide_route
from amux_tui.providers.resolved import ResolvedProvider
from harness_bins import require_binary
from harness_runs import run_amux
from upstream_bedrock import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, BedrockUpstream
from upstreams import Reply

ENDPOINT = "https://vpce-0a1.bedrock-runtime.eu-west-3.vpce.amazonaws.com"
KEYS = {"aws_access_key_id": "AKIAEXAMPLE0CONFIGURED", "aws_secret_access_key": "configured/Secret+Key0123",
        "aws_region_name": "eu-west-3"}
BEDROCK_KEY = "bedrock-api-key-Configured-0123456789"
OTHER_IDENTITY = {"AWS_PROFILE": "someone-else", "AWS_BEARER_TOKEN_BEDROCK": "someone-elses-token",
                  "AWS_SESSION_TOKEN": "someone-elses-session"}
"""What a user's shell may already hold: each would make an AWS SDK sign as someone else."""


def bedrock(api_key: str | None = None, **params: str) -> ResolvedProvider:
    return ResolvedProvider(name="aws", type="bedrock", api_base=None, api_formats=(), api_key=api_key,
                            litellm_prefix="bedrock", params=params)


@pytest.fixture
def shell_env(tmp_path) -> dict[str, str]:
    (tmp_path / "home").mkdir()
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"), **OTHER_IDENTITY}


@pytest.mark.parametrize("harness", ["claude", "opencode"])
async def test_configured_aws_keys_and_runtime_endpoint_reach_the_harness_over_the_shells_identity(harness, shell_env):
    provider = bedrock(**KEYS, aws_bedrock_runtime_endpoint=ENDPOINT)
    plan = await prepare_launch(harness, provider, "m", preflight=False, env=shell_env, dry_run=True)
    assert plan.route == "native" and plan.endpoint_url == ENDPOINT
    assert plan.env["AWS_ACCESS_KEY_ID"] == KEYS["aws_access_key_id"]
    assert plan.env["AWS_SECRET_ACCESS_KEY"] == KEYS["aws_secret_access_key"]
    assert "AWS_SECRET_ACCESS_KEY" in plan.secret_env
    assert set(OTHER_IDENTITY) <= set(plan.unset_env)  # a profile, a bearer token, a session token: all someone else's
    assert ENDPOINT in json.dumps(plan.env)


@pytest.mark.parametrize("harness", ["claude", "opencode"])
async def test_a_bedrock_api_key_reaches_the_harness_as_its_bearer_token(harness, shell_env):
    plan = await prepare_launch(harness, bedrock(BEDROCK_KEY, aws_region_name="eu-west-3"), "m", preflight=False,
                                env=shell_env, dry_run=True)
    assert plan.env["AWS_BEARER_TOKEN_BEDROCK"] == BEDROCK_KEY and "AWS_BEARER_TOKEN_BEDROCK" in plan.secret_env
    assert "AWS_ACCESS_KEY_ID" not in plan.env


@pytest.mark.parametrize("harness", ["claude", "opencode"])
async def test_a_configured_profile_is_not_overridden_by_the_shells_bearer_token(harness, shell_env):
    plan = await prepare_launch(harness, bedrock(aws_profile_name="team", aws_region_name="eu-west-3"), "m",
                                preflight=False, env=shell_env, dry_run=True)
    assert plan.env["AWS_PROFILE"] == "team" and "AWS_BEARER_TOKEN_BEDROCK" in plan.unset_env


@pytest.mark.parametrize("harness", ["claude", "opencode"])
def test_an_aws_setting_only_litellm_takes_makes_the_route_the_proxy(harness):
    decision = decide_route(get_adapter(harness), bedrock(**KEYS, aws_role_name="arn:aws:iam::1:role/r"), "if-needed")
    assert decision.route == "proxy" and "aws_role_name" in decision.reason


async def test_the_launch_says_whose_credentials_a_native_harness_uses(tmp_path):
    binaries = str(Path(require_binary("claude")).parent)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AMUX_HARNESS_BIN": binaries}
    report = await run_preflight(get_adapter("claude"), bedrock(**KEYS), "m", "native", env=env, use_cache=False)
    assert report.notes == ["Claude Code uses the aws_access_key_id configured for aws; amux does not probe bedrock"]
    report = await run_preflight(get_adapter("claude"), bedrock(aws_region_name="eu-west-3"), "m", "native", env=env)
    assert report.notes == ["Claude Code uses its own login for bedrock; amux does not probe it"]
    vertex = ResolvedProvider(name="vx", type="vertex_ai", api_base=None, api_formats=(), api_key=None,
                              litellm_prefix="vertex_ai", params={"vertex_credentials": "/sa.json"})
    report = await run_preflight(get_adapter("claude"), vertex, "m", "native", env=env)
    assert report.notes == ["Claude Code uses the vertex_credentials configured for vx; amux does not probe vertex_ai"]


async def test_aider_reaches_bedrock_through_the_proxy_and_the_plan_names_the_runtime_endpoint(shell_env):
    # Its own LiteLLM needs boto3 for Bedrock, which aider-chat does not install (see harnesses/aider.py).
    provider = bedrock(**KEYS, aws_bedrock_runtime_endpoint=ENDPOINT)
    assert decide_route(get_adapter("aider"), provider, "if-needed").route == "proxy"
    plan = await prepare_launch("aider", provider, "m", proxy_mode="if-needed", preflight=False, env=shell_env,
                                dry_run=True)
    assert plan.route == "proxy" and plan.to_public_dict()["upstream"] == ENDPOINT  # where LiteLLM sends it


# --- the real binaries, each in a fresh HOME whose shell holds someone else's AWS identity ---------

@pytest.mark.harness
@pytest.mark.parametrize("harness,credentials", [("claude", "keys"), ("opencode", "keys"), ("claude", "api key"),
                                                 ("opencode", "api key")])
async def test_the_harness_signs_as_the_configured_identity(harness, credentials, tmp_path):
    async with BedrockUpstream(script=[Reply(text="bedrock-native-answer")], api_key=BEDROCK_KEY) as up:
        entry = {"type": "bedrock", "api_base": up.base_url, "default_model": "fixture-model",
                 "params": {"aws_region_name": REGION}}
        if credentials == "keys":
            entry["params"] |= {"aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": SECRET_ACCESS_KEY}
        else:
            entry["api_key"] = BEDROCK_KEY
        args = ["-p", "Say hello."] if harness == "claude" else ["run", "Say hello."]
        run = await run_amux(tmp_path, harness, {"providers": {"aws": entry}}, "--provider", "aws", harness_args=args,
                             shell_env=OTHER_IDENTITY)
    model_calls = [r for r in up.requests if r.method == "POST"]
    assert run.code == 0 and "bedrock-native-answer" in run.output, run.output[-3000:]
    assert model_calls and not up.auth_problems, (up.auth_problems, run.output[-2000:])
    if credentials == "keys":  # before: no credentials at all ("Could not load AWS credentials")
        assert all(f"Credential={ACCESS_KEY_ID}/" in r.headers["authorization"] for r in model_calls)
    else:
        assert all(r.headers["authorization"] == f"Bearer {BEDROCK_KEY}" for r in model_calls)
    assert not (tmp_path / "home" / ".aws").exists()
