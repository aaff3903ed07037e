"""Every command in README.md's "Usage" and "One example per harness" blocks runs and exits 0.

The commands are parsed from the README itself, so an example that stops working (or a new one)
is caught. They run as a new user would: a fresh HOME, fake keys in the environment, and the cloud
providers the examples name moved to local upstreams in providers.json (tests/upstreams.py; the
hosts are the only thing mocked). `amux launch` gets ``--dry-run`` (it would otherwise hand the
terminal to the harness), which stops with the real launch's exit code, so the harness binaries
must be installed (`require_binary`). `amux` (the dashboard) runs in a PTY and is quit with
Ctrl-Q; `amux proxy` serves until it prints its URL and is then interrupted.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import sys
from pathlib import Path

from harness_bins import require_binary
from provider_servers import FakeModel, ProviderServer, isolated_env
from upstreams import UpstreamServer

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDERS = {"PROVIDER": "ollama"}
FAKE_KEYS = {"ANTHROPIC_API_KEY": "sk-ant-readme-0123456789abcdef", "OPENROUTER_API_KEY": "sk-or-readme-0123456789ab",
             "DEEPSEEK_API_KEY": "sk-ds-readme-0123456789abcdef", "GROQ_API_KEY": "gsk-readme-0123456789abcdef",
             "AWS_ACCESS_KEY_ID": "AKIAREADMEFAKE0000", "AWS_SECRET_ACCESS_KEY": "readme-fake-secret",
             "AWS_REGION_NAME": "us-east-1"}
# The cloud providers the examples use, each at a local upstream speaking its API.
CLOUD = {"anthropic": "anthropic-messages", "openrouter": "openai-chat", "deepseek": "openai-chat",
         "groq": "openai-chat"}


def readme_commands() -> list[str]:
    """The command lines of the two README blocks, comments and placeholders resolved."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for heading in ("## Usage", "### One example per harness"):
        block = text.split(heading, 1)[1].split("```sh", 1)[1].split("```", 1)[0]
        for line in block.strip().splitlines():
            words = shlex.split(line, comments=True)
            words = [PLACEHOLDERS.get(word, word) for word in words]
            line = " ".join(shlex.quote(word) for word in words)
            commands.append(re.sub(r"\[(--[a-z-]+)\]", r"\1", line))  # [--flag]: run with every option
    return [command for command in commands if command]


def models_in(commands: list[str]) -> list[str]:
    return sorted({words[words.index("--model") + 1] for words in map(shlex.split, commands) if "--model" in words})


def harnesses_in(commands: list[str]) -> set[str]:
    return {words[2] for words in map(shlex.split, commands) if words[1:2] == ["launch"]} - {"shell"}


async def run(words: list[str], env: dict[str, str], cwd: Path, timeout: float = 180) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", *words[1:], env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def run_until_printed(words: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """A server command: wait for its first line on stdout, then Ctrl-C it, as a user would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", *words[1:], env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 60)
        process.send_signal(signal.SIGINT)
        rest, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, (first + rest).decode(errors="replace"), err.decode(errors="replace")


async def run_dashboard(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """`amux` in a terminal: wait until it has painted its providers, then Ctrl-Q."""
    import ptyprocess

    child = ptyprocess.PtyProcess.spawn([sys.executable, "-m", "amux_tui.cli"], env=env, cwd=str(cwd),
                                        dimensions=(40, 140))
    loop = asyncio.get_running_loop()
    screen = b""
    try:
        deadline = loop.time() + 60
        while b"ollama" not in screen and loop.time() < deadline:
            try:
                screen += await asyncio.wait_for(loop.run_in_executor(None, child.read, 65536), 2)
            except TimeoutError:
                continue
        child.write(b"\x11")  # Ctrl-Q
        while child.isalive() and loop.time() < deadline + 30:
            try:
                await asyncio.wait_for(loop.run_in_executor(None, child.read, 65536), 1)
            except (TimeoutError, EOFError):
                continue
        child.wait()
        return child.exitstatus if child.exitstatus is not None else -1, screen.decode(errors="replace")
    finally:
        if child.isalive():
            child.terminate(force=True)


def launch_words(words: list[str]) -> list[str]:
    if words[1:2] != ["launch"] or "--dry-run" in words:
        return words
    split = words.index("--") if "--" in words else len(words)
    return [*words[:split], "--dry-run", *words[split:]]


COMMANDS = readme_commands()


def test_the_readme_blocks_were_found():
    assert any(command.startswith("amux launch claude --provider anthropic") for command in COMMANDS)
    assert "amux" in COMMANDS and any(command.startswith("amux proxy") for command in COMMANDS)


async def test_every_readme_command_exits_0(tmp_path):
    binaries = {name: require_binary(name) for name in sorted(harnesses_in(COMMANDS))}
    models = models_in(COMMANDS)
    work = tmp_path / "project"
    work.mkdir()
    anthropic_key = FAKE_KEYS["ANTHROPIC_API_KEY"]
    async with UpstreamServer("anthropic-messages", api_key=anthropic_key, models=models) as anthropic, \
            UpstreamServer("openai-chat", api_key=None, models=models) as openai_chat, \
            ProviderServer("ollama", models=[FakeModel(m, 32768) for m in models if ":" in m]) as ollama, \
            ProviderServer("vllm", models=[FakeModel(m, 32768) for m in models]) as vllm:
        upstreams = {"anthropic-messages": anthropic, "openai-chat": openai_chat}
        config = {"providers": {name: {"type": name, "api_base": upstreams[fmt].base_url,
                                       "api_key": "${%s}" % f"{name.upper()}_API_KEY"} for name, fmt in CLOUD.items()}}
        config_path = tmp_path / "providers.json"
        config_path.write_text(json.dumps(config))
        bin_dirs = dict.fromkeys(str(Path(path).parent) for path in binaries.values())
        env = isolated_env(tmp_path / "home", **FAKE_KEYS, AMUX_CONFIG=str(config_path), OLLAMA_HOST=ollama.origin,
                           HOSTED_VLLM_API_BASE=vllm.url, XDG_STATE_HOME=str(tmp_path / "state"),
                           XDG_CACHE_HOME=str(tmp_path / "cache"), AMUX_HARNESS_BIN=os.pathsep.join(bin_dirs),
                           PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
                           TERM="xterm-256color")
        failures = []
        for command in COMMANDS:
            words = launch_words(shlex.split(command))
            if words == ["amux"]:
                code, out = await run_dashboard(env, work)
                err = ""
            elif words[1] == "proxy":
                code, out, err = await run_until_printed(words, env, work)
                assert set(json.loads(out.splitlines()[0])) >= {"url", "token"}, out
            else:
                code, out, err = await run(words, env, work)
            if code != 0:
                failures.append(f"{' '.join(words)} -> exit {code}\n{err.strip()[-1500:]}\n{out.strip()[-500:]}")
    assert not failures, "\n\n".join(failures)


def test_every_harness_in_the_examples_is_one_amux_knows():
    from amux_tui.harnesses.registry import ADAPTERS

    assert harnesses_in(COMMANDS) <= set(ADAPTERS)
