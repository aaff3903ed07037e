"""Workspace trust: amux pre-accepts a harness's trust prompt (Claude Code's dialog, Codex's
``trust_level``, Gemini CLI's folder trust) only for folders the user trusted in amux
(``amux launch --trust``, the dashboard's "trust this folder"); elsewhere the harness asks as it
normally does. The state file, the adapters, the plan, the CLI and a real Gemini CLI."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amux_tui.harnesses.base import Endpoint
from amux_tui.harnesses.endpoints import proxy_urls
from amux_tui.harnesses.launch import prepare_launch
from amux_tui.harnesses.registry import ADAPTERS
from amux_tui.harnesses.trust import is_trusted, trust, trust_file, trusted_dirs
from amux_tui.providers.presets import PRESETS
from amux_tui.providers.resolved import ResolvedProvider
from harness_bins import require_binary
from harness_runs import KEY as UPSTREAM_KEY
from harness_runs import run_amux
from upstreams import Reply, UpstreamServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-trust-Secret-0123456789abcdefghij"


@pytest.fixture
def state(tmp_path):
    return {"AMUX_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}


def endpoint(api_format: str, trusted: bool) -> Endpoint:
    return Endpoint(proxy_urls("http://127.0.0.1:4321")[api_format], api_format, "amux-token-0123456789abcdef",
                    "m", via_proxy=True, cwd_trusted=trusted)


def setup_for(name: str, tmp_path: Path, trusted: bool):
    adapter = ADAPTERS[name]
    return adapter.endpoint_setup(endpoint(adapter.protocols[0], trusted), home=tmp_path / "home",
                                  session_dir=tmp_path / "session", cwd=tmp_path / "work")


# --- the state ------------------------------------------------------------------------------------

def test_a_trusted_folder_covers_its_subfolders_not_its_siblings_or_parent(tmp_path, state):
    repo = tmp_path / "repos" / "mine"
    (repo / "src").mkdir(parents=True)
    (tmp_path / "repos" / "other").mkdir()
    assert not is_trusted(repo, state)
    assert trust(repo, state) == repo.resolve()
    assert is_trusted(repo, state) and is_trusted(repo / "src", state)
    assert not is_trusted(tmp_path / "repos" / "other", state) and not is_trusted(tmp_path / "repos", state)
    # A "mine-evil" sibling shares the prefix but not the folder.
    (tmp_path / "repos" / "mine-evil").mkdir()
    assert not is_trusted(tmp_path / "repos" / "mine-evil", state)


def test_paths_compare_resolved_so_a_link_out_of_a_trusted_tree_is_not_trusted(tmp_path, state):
    trusted_tree, outside = tmp_path / "trusted", tmp_path / "outside"
    trusted_tree.mkdir(), outside.mkdir()
    (tmp_path / "link-in").symlink_to(trusted_tree)
    (trusted_tree / "link-out").symlink_to(outside)
    trust(tmp_path / "link-in", state)  # recorded as its real path
    assert trusted_dirs(state) == [trusted_tree.resolve()]
    assert is_trusted(trusted_tree, state)
    assert not is_trusted(trusted_tree / "link-out", state)


def test_the_state_file_is_owner_only_json_and_merges_repeated_trust(tmp_path, state):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    trust(a, state), trust(b, state), trust(a, state)
    path = trust_file(state)
    assert path == tmp_path / "state" / "trust.json"
    assert json.loads(path.read_text()) == {"trusted_dirs": [str(a.resolve()), str(b.resolve())]}
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".trust.json")] == []  # no temp file left


def test_concurrent_trust_from_several_processes_keeps_every_folder(tmp_path, state):
    folders = [tmp_path / f"f{i}" for i in range(8)]
    for folder in folders:
        folder.mkdir()
    script = "import sys; from amux_tui.harnesses.trust import trust; trust(sys.argv[1])"
    env = {**state, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", script, str(f)], env=env) for f in folders]
    assert [p.wait(60) for p in processes] == [0] * len(folders)
    assert sorted(trusted_dirs(state)) == sorted(f.resolve() for f in folders)


def test_an_unreadable_state_file_trusts_nothing(tmp_path, state):
    (tmp_path / "state").mkdir()
    trust_file(state).write_text("{not json")
    assert trusted_dirs(state) == [] and not is_trusted(tmp_path, state)


# --- the adapters ---------------------------------------------------------------------------------

def test_claude_seeds_the_trust_dialog_only_for_a_trusted_folder(tmp_path):
    project = lambda setup: setup.files[0].content["projects"][str(tmp_path / "work")]  # noqa: E731
    trusted, untrusted = setup_for("claude", tmp_path, True), setup_for("claude", tmp_path, False)
    assert project(trusted)["hasTrustDialogAccepted"] is True and trusted.trust_preaccepted is True
    assert "hasTrustDialogAccepted" not in project(untrusted) and untrusted.trust_preaccepted is False
    # Onboarding is still past: only the trust question is left to Claude Code.
    assert untrusted.files[0].content["hasCompletedOnboarding"] is True


def test_codex_marks_the_folder_trusted_only_when_trusted(tmp_path):
    def overrides(setup):
        return [setup.args[i + 1] for i, arg in enumerate(setup.args) if arg == "-c"]

    trusted, untrusted = setup_for("codex", tmp_path, True), setup_for("codex", tmp_path, False)
    assert f'projects={{"{tmp_path / "work"}" = {{"trust_level" = "trusted"}}}}' in overrides(trusted)
    assert not any("trust_level" in pair or pair.startswith("projects") for pair in overrides(untrusted))
    assert (trusted.trust_preaccepted, untrusted.trust_preaccepted) == (True, False)


def test_gemini_sets_its_trust_variable_only_when_trusted(tmp_path):
    trusted, untrusted = setup_for("gemini", tmp_path, True), setup_for("gemini", tmp_path, False)
    assert trusted.env["GEMINI_CLI_TRUST_WORKSPACE"] == "true"
    assert "GEMINI_CLI_TRUST_WORKSPACE" not in untrusted.env
    assert (trusted.trust_preaccepted, untrusted.trust_preaccepted) == (True, False)


@pytest.mark.parametrize("name", ["opencode", "qwen", "aider", "shell"])
def test_harnesses_without_a_trust_prompt_say_nothing_about_trust(name, tmp_path):
    assert setup_for(name, tmp_path, False).trust_preaccepted is None


# --- the plan -------------------------------------------------------------------------------------

def gemini_key_provider() -> ResolvedProvider:
    return ResolvedProvider(name="gw", type="gemini", api_base="http://127.0.0.1:4873",
                            api_formats=PRESETS["gemini"].api_formats, api_key=KEY)


async def test_the_plan_reads_trust_from_amuxs_state_on_every_route(tmp_path, state):
    work = tmp_path / "work" / "sub"
    work.mkdir(parents=True)
    (tmp_path / "home").mkdir()
    claude_native = ResolvedProvider(name="a", type="anthropic", api_base=None, api_formats=("anthropic-messages",),
                                     api_key=KEY)
    cases = [("gemini", gemini_key_provider(), "always"), ("gemini", gemini_key_provider(), "never"),
             ("claude", claude_native, "never")]
    for harness, provider, mode in cases:
        plan = await prepare_launch(harness, provider, "m", proxy_mode=mode, preflight=False, env=state,
                                    dry_run=True, cwd=work)
        assert plan.trust_preaccepted is False and plan.to_public_dict()["workspace_trust"] == "harness asks"
        assert "GEMINI_CLI_TRUST_WORKSPACE" not in plan.env and "hasTrustDialogAccepted" not in json.dumps(
            [seed.content for seed in plan.files])
        assert any("amux launch --trust" in note for note in plan.notes)
    trust(tmp_path / "work", state)
    for harness, provider, mode in cases:
        plan = await prepare_launch(harness, provider, "m", proxy_mode=mode, preflight=False, env=state,
                                    dry_run=True, cwd=work)
        assert plan.trust_preaccepted is True and plan.to_public_dict()["workspace_trust"] == "pre-accepted"
        if harness == "gemini":
            assert plan.env["GEMINI_CLI_TRUST_WORKSPACE"] == "true"
        else:
            assert plan.files[0].content["projects"][str(work.resolve())]["hasTrustDialogAccepted"] is True


# --- the CLI and a real harness -------------------------------------------------------------------

async def amux(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", *args, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_launch_trust_records_the_folder_says_so_and_the_plan_pre_accepts(tmp_path):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    (work / "sub").mkdir(parents=True), elsewhere.mkdir()
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        (tmp_path / "providers.json").write_text(json.dumps({"default_provider": "up", "providers": {"up": {
            "type": "vllm", "api_base": upstream.base_url, "api_key": KEY, "models": ["fixture-model"]}}}))
        await trust_via_cli(tmp_path, work, elsewhere)


async def trust_via_cli(tmp_path: Path, work: Path, elsewhere: Path) -> None:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "AMUX_CONFIG": str(tmp_path / "providers.json"),
           "PYTHONPATH": str(ROOT), "AMUX_QUIET": "1", "SHELL": "/bin/sh"}
    state_file = tmp_path / "state" / "amux" / "trust.json"

    _, out, _ = await amux("launch", "codex", "--with-proxy", "--dry-run", env=env, cwd=work)
    assert json.loads(out)["workspace_trust"] == "harness asks" and "trust_level" not in out
    _, out, _ = await amux("launch", "codex", "--with-proxy", "--dry-run", "--trust", env=env, cwd=work)
    assert json.loads(out)["workspace_trust"] == "pre-accepted" and "trust_level" in out
    assert not state_file.exists()  # a dry run records nothing

    code, _, err = await amux("launch", "shell", "--trust", "--", "true", env=env, cwd=work)
    assert code == 0, err
    assert f"trusted {work.resolve()}" in err  # said even under AMUX_QUIET: it changes amux's state
    assert json.loads(state_file.read_text()) == {"trusted_dirs": [str(work.resolve())]}
    assert state_file.stat().st_mode & 0o777 == 0o600

    _, out, _ = await amux("launch", "codex", "--with-proxy", "--dry-run", env=env, cwd=work / "sub")
    assert json.loads(out)["workspace_trust"] == "pre-accepted"
    _, out, _ = await amux("launch", "codex", "--with-proxy", "--dry-run", env=env, cwd=elsewhere)
    assert json.loads(out)["workspace_trust"] == "harness asks"


async def test_headless_gemini_cli_refuses_an_untrusted_folder_and_runs_in_a_trusted_one(tmp_path):
    """The real binary, fresh home: amux no longer answers Gemini CLI's folder trust for it; with
    ``--trust`` the same launch reaches the model."""
    binary = require_binary("gemini")
    async with UpstreamServer("openai-chat", [Reply(text="trusted-answer-ok")], api_key=UPSTREAM_KEY) as upstream:
        config = {"default_provider": "up", "providers": {"up": {
            "type": "vllm", "api_base": upstream.base_url, "api_key": UPSTREAM_KEY, "api_format": "openai-chat",
            "models": ["fixture-model"], "default_model": "fixture-model"}}}
        untrusted = await run_amux(tmp_path, "gemini", config, "--with-proxy", harness_args=["-p", "hi"],
                                   binary=binary, trust=False)
        assert untrusted.code != 0 and "not running in a trusted directory" in untrusted.output
        assert not [r for r in upstream.requests if r.method == "POST"]  # preflight listed models; no chat
        trusted = await run_amux(tmp_path, "gemini", config, "--with-proxy", harness_args=["-p", "hi"],
                                 binary=binary, trust=True)
    assert trusted.code == 0, trusted.output
    assert "trusted-answer-ok" in trusted.output
