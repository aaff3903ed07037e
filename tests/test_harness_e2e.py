"""The real harness CLIs through `amux launch`, against local upstreams on 127.0.0.1.

Through the proxy each harness talks to an upstream speaking another protocol (Claude Code ->
OpenAI Chat, Codex -> Anthropic, Gemini CLI -> OpenAI Chat, OpenCode -> Anthropic): the answer is
printed, a shell-tool round trip works (the upstream asks for ``printf 'amux-%s-ok\\n' 42``, the
harness runs it, the upstream sees ``amux-42-ok`` come back and answers with final text), an
upstream error reaches the user readably and quickly, and nothing is left running. Direct
launches (no proxy) where the protocols match: Claude Code -> Anthropic, Codex -> Responses.
"""

import asyncio
import contextlib
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import harness_runs
from harness_bins import require_binary
from harness_runs import FINAL, KEY, ROOT, RUN_TIMEOUT, TOOL_COMMAND, TOOL_OUTPUT, marked_processes, tool_round_trip
from upstreams import Reply, UpstreamServer

pytestmark = pytest.mark.harness

HEADLESS = {
    "claude": lambda prompt: ["-p", prompt, "--allowedTools", "Bash"],
    "codex": lambda prompt: ["exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", prompt],
    "gemini": lambda prompt: ["-p", prompt, "--yolo"],
    "opencode": lambda prompt: ["run", prompt],
}


def config_for(upstream: UpstreamServer, type_: str, fmt: str) -> dict[str, Any]:
    return {"default_provider": "up", "providers": {"up": {
        "type": type_, "api_base": upstream.base_url, "api_key": KEY, "api_format": fmt,
        "models": ["fixture-model"], "default_model": "fixture-model"}}}


async def run_amux(tmp_path: Path, harness: str, config: dict[str, Any], *launch_args: str,
                   harness_args: list[str]) -> tuple[int, str, float]:
    """``amux launch HARNESS ... -- HARNESS_ARGS`` in an isolated home; (exit code, output, seconds)."""
    run = await harness_runs.run_amux(tmp_path, harness, config, *launch_args, harness_args=harness_args)
    if run.code is None:
        pytest.fail(f"amux launch {harness} did not finish within {RUN_TIMEOUT:g} s")
    assert not run.leftovers, f"left behind: {run.leftovers}"
    return run.code, run.output, run.seconds


PROXIED = [("claude", "openai-chat", "vllm"), ("codex", "anthropic-messages", "anthropic"),
           ("gemini", "openai-chat", "vllm"), ("opencode", "anthropic-messages", "anthropic")]
RELAYED = [("claude", "anthropic-messages", "anthropic"), ("codex", "openai-responses", "vllm")]
"""``--with-proxy`` to a provider of the harness's own protocol: relayed by the proxy's fast lane,
with the harness's real HTTP client, keep-alive and streaming; only the key changes."""


@pytest.mark.parametrize("harness,upstream_format,provider_type", PROXIED + RELAYED)
async def test_tool_round_trip_through_the_proxy(harness, upstream_format, provider_type, tmp_path):
    async with UpstreamServer(upstream_format, tool_round_trip, api_key=KEY) as upstream:
        prompt = f"Run the shell command `{TOOL_COMMAND}` and tell me what it printed."
        code, out, _ = await run_amux(tmp_path, harness, config_for(upstream, provider_type, upstream_format),
                                      "--with-proxy", harness_args=HEADLESS[harness](prompt))
        model_requests = [r for r in upstream.requests if r.method == "POST"]
    assert code == 0, out
    assert "(proxy at http://127.0.0.1:" in out, out
    assert FINAL in out, out
    assert any(TOOL_OUTPUT in r.body for r in model_requests), "the tool's output never reached the upstream"
    assert all(r.protocol == upstream_format for r in model_requests)
    key_header = "x-api-key" if upstream_format == "anthropic-messages" else "authorization"
    assert all(KEY in r.headers[key_header] for r in model_requests), "the proxy puts the provider's key in"


@pytest.mark.parametrize("harness,upstream_format,provider_type", PROXIED)
async def test_upstream_error_reaches_the_user(harness, upstream_format, provider_type, tmp_path):
    """A 400 fails fast in every harness (401 would be retried for minutes by Claude Code)."""
    script = [Reply.error(400, "fixture upstream refuses this request")]
    async with UpstreamServer(upstream_format, script, api_key=KEY) as upstream:
        code, out, elapsed = await run_amux(tmp_path, harness, config_for(upstream, provider_type, upstream_format),
                                            "--with-proxy", harness_args=HEADLESS[harness]("say hello"))
        posts = [r for r in upstream.requests if r.method == "POST"]
    assert posts, "the request never reached the upstream"
    assert "fixture upstream refuses this request" in out, out
    assert code != 0, out


DIRECT = [("claude", "anthropic-messages"), ("codex", "openai-responses")]


@pytest.mark.parametrize("harness,upstream_format", DIRECT)
async def test_direct_launch_without_proxy(harness, upstream_format, tmp_path):
    async with UpstreamServer(upstream_format, tool_round_trip, api_key=KEY) as upstream:
        prompt = f"Run the shell command `{TOOL_COMMAND}` and tell me what it printed."
        code, out, _ = await run_amux(tmp_path, harness, config_for(upstream, "vllm", upstream_format),
                                      harness_args=HEADLESS[harness](prompt))
        model_requests = [r for r in upstream.requests if r.method == "POST"]
    assert code == 0, out
    assert "(direct at http://127.0.0.1:" in out, out
    assert FINAL in out, out
    assert any(TOOL_OUTPUT in r.body for r in model_requests)
    key_header = "x-api-key" if upstream_format == "anthropic-messages" else "authorization"
    assert KEY in model_requests[0].headers[key_header], "a direct launch talks to the upstream with its own key"


INTERACTIVE_READY = {"claude": "❯", "codex": "›"}


@pytest.mark.parametrize("harness", list(INTERACTIVE_READY))
async def test_interactive_first_run_has_no_blocking_prompt_and_leaves_nothing_behind(harness, tmp_path):
    """The TUI in a real PTY, first run in a fresh home: it reaches its prompt (no onboarding, trust
    or "use this key?" dialog), answers, and SIGTERM to amux ends it and Codex's app-server daemon."""
    ptyprocess = pytest.importorskip("ptyprocess")
    binary = require_binary(harness)
    mark = uuid.uuid4().hex
    async with UpstreamServer("openai-chat", [Reply(text="interactive-answer-ok")], api_key=KEY) as upstream:
        (tmp_path / "providers.json").write_text(json.dumps(config_for(upstream, "vllm", "openai-chat")))
        home = tmp_path / "home"
        work = tmp_path / "work"
        work.mkdir()
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_STATE_HOME": str(home / ".local/state"),
               "XDG_CACHE_HOME": str(home / ".cache"), "XDG_CONFIG_HOME": str(home / ".config"),
               "AMUX_CONFIG": str(tmp_path / "providers.json"), "AMUX_HARNESS_BIN": str(Path(binary).parent),
               "PYTHONPATH": str(ROOT), "TEST_MARK": mark, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        child = ptyprocess.PtyProcess.spawn([sys.executable, "-m", "amux_tui.cli", "launch", harness, "--with-proxy", "--trust"],
                                            env=env, cwd=str(work), dimensions=(40, 120))
        screen = bytearray()
        loop = asyncio.get_running_loop()
        arrived = asyncio.Event()

        def on_readable() -> None:
            try:
                screen.extend(os.read(child.fd, 65536))
            except OSError:  # the PTY closed
                loop.remove_reader(child.fd)
            arrived.set()

        loop.add_reader(child.fd, on_readable)

        async def read_until(predicate, timeout: float) -> bool:
            deadline = loop.time() + timeout
            while not predicate() and loop.time() < deadline:
                arrived.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(arrived.wait(), 0.2)
            return predicate()

        try:
            ready = await read_until(lambda: INTERACTIVE_READY[harness].encode() in screen, 60)
            assert ready, screen.decode(errors="replace")[-2000:]
            await asyncio.sleep(1.0)
            child.write(b"say hi")
            await asyncio.sleep(0.5)
            child.write(b"\r")
            answered = await read_until(lambda: b"interactive-answer-ok" in screen, 60)
            assert answered, screen.decode(errors="replace")[-2000:]
            child.kill(15)
            assert await read_until(lambda: not child.isalive(), 20)
        finally:
            loop.remove_reader(child.fd)
            child.close(force=True)
    for _ in range(60):
        if not marked_processes(mark):
            break
        await asyncio.sleep(0.05)
    assert not marked_processes(mark), "left behind after SIGTERM"
