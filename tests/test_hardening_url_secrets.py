"""Hardening (issue 13, item 2): credentials inside ``api_base`` (``user:password@``, ``?token=``) are
masked everywhere a URL is shown or logged: ``amux providers [--json]``, ``amux launch --dry-run``,
preflight errors and the ``--log`` file's ``upstream_url``. With user-info *and* an api_key, the key
wins and ``amux providers`` says so (aiohttp refused both: every request was a 500)."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from hardening_proxy import cli_proxy
from provider_servers import isolated_env, run_amux
from test_proxy_fastlane import WAIT
from upstreams import Reply, UpstreamServer, refused_port

PASSWORD, TOKEN, KEY = "hunter2pass", "toksecret1", "sk-ant-literal-key-123456"


def write_config(home, api_base: str, api_key: str | None = None) -> None:
    entry = {"type": "anthropic", "api_base": api_base, "api_format": "anthropic-messages"}
    if api_key:
        entry["api_key"] = api_key
    (home / "config" / "amux").mkdir(parents=True, exist_ok=True)
    (home / "config" / "amux" / "providers.json").write_text(json.dumps({"version": 1, "providers": {"fx": entry}}))


def assert_masked(text: str) -> None:
    assert PASSWORD not in text and TOKEN not in text and KEY not in text, text


async def test_providers_and_a_dry_run_show_api_base_masked(tmp_path):
    base = f"https://user:{PASSWORD}@127.0.0.1:{refused_port()}/gw?token={TOKEN}"
    write_config(tmp_path, base)
    env = isolated_env(tmp_path, AMUX_STATE_DIR=str(tmp_path / "state"), ANTHROPIC_API_KEY="")
    table = await run_amux("providers", env=env)
    listing = await run_amux("providers", "--json", env=env)
    plan = await run_amux("launch", "shell", "--provider", "fx", "--model", "m", "--dry-run", env=env)
    for run in (table, listing):
        assert run.code == 0, run.stderr
    # A dry run exits as the launch would (no key: 2) and still shows its plan, masked.
    assert plan.code == 2 and "ANTHROPIC_API_KEY is not set" in plan.stderr, plan.stderr
    for run in (table, listing, plan):
        assert_masked(run.stdout + run.stderr)
    assert "https://****@127.0.0.1" in table.stdout and "token=****" in table.stdout
    fx = next(entry for entry in listing.json()["providers"] if entry["name"] == "fx")
    assert fx["api_base"].startswith("https://****@127.0.0.1:") and fx["api_base"].endswith("/gw?token=****")
    assert plan.json()["env"]["ANTHROPIC_BASE_URL"].startswith("https://****@")


async def test_a_preflight_error_masks_the_url(tmp_path):
    write_config(tmp_path, f"https://127.0.0.1:{refused_port()}/gw?token={TOKEN}", KEY)
    env = isolated_env(tmp_path, AMUX_STATE_DIR=str(tmp_path / "state"))
    run = await run_amux("launch", "shell", "--provider", "fx", "--model", "m", "--", "true", env=env)
    assert run.code == 1 and "does not answer at https://127.0.0.1" in run.stderr, run.stderr
    assert "token=****" in run.stderr
    assert_masked(run.stdout + run.stderr)


async def _chat(proxy) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{proxy.url}/v1/chat/completions", headers={"Authorization": f"Bearer {proxy.token}"},
                             json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
                             timeout=aiohttp.ClientTimeout(total=WAIT)) as response:
            return response.status, await response.read()


async def test_the_traffic_log_masks_user_info(tmp_path):
    log = tmp_path / "traffic.jsonl"
    async with UpstreamServer("openai-chat", [Reply(text="basic")], api_key=None) as up:
        base = up.base_url.replace("http://", f"http://user:{PASSWORD}@")
        async with cli_proxy(tmp_path, base, None, "--log", str(log)) as proxy:
            status, _ = await _chat(proxy)
            assert status == 200
            code, stderr = await proxy.stop()
        assert up.requests[0].headers["authorization"].startswith("Basic ")  # the user-info is still used
    assert code == 0, stderr
    record = json.loads(log.read_text().splitlines()[0])
    assert record["upstream_url"].startswith("http://[redacted]@127.0.0.1:")
    assert PASSWORD not in log.read_text()


async def test_user_info_and_an_api_key_send_the_key_instead_of_a_500(tmp_path):
    async with UpstreamServer("openai-chat", [Reply(text="keyed")]) as up:
        base = up.base_url.replace("http://", f"http://user:{PASSWORD}@")
        async with cli_proxy(tmp_path, base, up.api_key) as proxy:
            status, body = await _chat(proxy)
            await proxy.stop()
        assert status == 200, body
        assert up.requests[0].headers["authorization"] == f"Bearer {up.api_key}"
    write_config(tmp_path, f"http://user:{PASSWORD}@127.0.0.1:{refused_port()}/v1", KEY)
    run = await run_amux("providers", env=isolated_env(tmp_path))
    assert "drops the user-info" in run.stdout and "http://127.0.0.1:" in run.stdout
    assert_masked(run.stdout)


async def test_a_password_with_a_raw_at_sign_is_masked_whole(tmp_path):
    # The host is what follows the *last* '@' of the authority (aiohttp and api_base_problem read it so):
    # masking up to the first '@' showed the password's tail.
    write_config(tmp_path, f"https://user:hunter@{PASSWORD}@127.0.0.1:{refused_port()}/gw")
    env = isolated_env(tmp_path, AMUX_STATE_DIR=str(tmp_path / "state"), ANTHROPIC_API_KEY="")
    listing = await run_amux("providers", "--json", env=env)
    assert listing.code == 0, listing.stderr
    fx = next(entry for entry in listing.json()["providers"] if entry["name"] == "fx")
    assert fx["api_base"].startswith("https://****@127.0.0.1:"), fx["api_base"]
    assert_masked(listing.stdout + listing.stderr)


async def test_a_dry_run_masks_secret_headers_a_harness_carries(tmp_path):
    # OpenCode's native route carries extra_headers in OPENCODE_CONFIG_CONTENT, which --dry-run shows
    header = "Bearer hdr-secret-0123456789abcdef"
    (tmp_path / "config" / "amux").mkdir(parents=True)
    (tmp_path / "config" / "amux" / "providers.json").write_text(json.dumps({"providers": {"gw": {
        "type": "anthropic", "api_base": f"http://127.0.0.1:{refused_port()}/v1", "api_key": KEY,
        "default_model": "m", "params": {"extra_headers": {"Authorization": header, "X-Title": "amux"}}}}}))
    env = isolated_env(tmp_path, AMUX_STATE_DIR=str(tmp_path / "state"))
    plan = await run_amux("launch", "opencode", "--provider", "gw", "--dry-run", env=env)
    assert plan.json()["route"] == "native"
    assert "hdr-secret" not in plan.stdout + plan.stderr and KEY not in plan.stdout + plan.stderr
    assert '\\"X-Title\\": \\"amux\\"' in plan.stdout  # a header that is no secret stays readable
