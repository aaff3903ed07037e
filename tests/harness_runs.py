"""Running a real harness through `amux launch` in a fresh HOME, against a scripted local upstream.

Shared by the end-to-end tests (`test_harness_e2e.py`, `test_harness_routes_e2e.py`):

- `tool_round_trip`: an upstream script that asks for the harness's shell tool (whatever it is
  called and whatever protocol it arrives in), and answers with `FINAL` once `TOOL_OUTPUT` came back;
- `run_amux`: ``amux launch HARNESS ARGS -- HARNESS_ARGS`` with its own HOME, XDG dirs and
  providers.json, output collected (stdout and stderr together), and a check that no process of
  the run is left behind (every process carries a ``TEST_MARK`` variable, found in ``/proc``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness_bins import require_binary
from aiohttp import web

from upstreams import RecordedRequest, Reply, ToolCall, UpstreamServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-fixture-Upstream-Key-0123456789"
TOOL_COMMAND = "printf 'amux-%s-ok\\n' 42"
TOOL_OUTPUT = b"amux-42-ok"
FINAL = "amux-final-answer-7"
TOOL_PROMPT = f"Run the shell command `{TOOL_COMMAND}` and tell me what it printed."
RUN_TIMEOUT = 150.0
SHELL_TOOLS = ("Bash", "bash", "run_shell_command", "shell", "exec_command", "shell_command", "local_shell")


def declared_tools(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tool name -> JSON schema, whatever protocol the request is in."""
    tools: dict[str, dict[str, Any]] = {}
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        if isinstance(tool.get("function"), dict):
            tools[tool["function"].get("name", "")] = tool["function"].get("parameters") or {}
        for decl in tool.get("functionDeclarations") or []:
            tools[decl.get("name", "")] = decl.get("parameters") or decl.get("parametersJsonSchema") or {}
        if "name" in tool:
            tools[tool["name"]] = tool.get("input_schema") or tool.get("parameters") or {}
    return tools


def shell_call(tools: dict[str, dict[str, Any]]) -> ToolCall:
    name = next(n for n in SHELL_TOOLS if n in tools)
    properties = tools[name].get("properties") or {}
    arguments: dict[str, Any] = {}
    key = "command" if "command" in properties else "cmd"
    is_list = (properties.get(key) or {}).get("type") == "array"
    arguments[key] = ["bash", "-lc", TOOL_COMMAND] if is_list else TOOL_COMMAND
    for required in tools[name].get("required") or []:
        if required not in arguments and (properties.get(required) or {}).get("type") == "string":
            arguments[required] = "print a marker"
    return ToolCall(name=name, arguments=arguments, id="call_amux_1")


def tool_round_trip(record: RecordedRequest) -> Reply:
    """Ask for the shell tool; once its output came back, answer with the final text."""
    body = record.json or {}
    if TOOL_OUTPUT in record.body:
        return Reply(text=f"The tool said amux-42-ok. {FINAL}")
    tools = declared_tools(body)
    if not any(name in tools for name in SHELL_TOOLS):
        return Reply(text="A title")  # side requests: titles, routing, summaries
    return Reply(tool_calls=(shell_call(tools),))


def marked_processes(mark: str) -> set[int]:
    """Live (non-zombie) processes whose environment holds ``TEST_MARK=mark``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"TEST_MARK={mark}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                if (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
                    found.add(int(entry.name))
        except OSError:
            continue
    return found


def fresh_home_env(tmp_path: Path, binary: str, mark: str) -> dict[str, str]:
    """The environment of a first run: its own HOME and XDG dirs, nothing inherited but PATH."""
    home = tmp_path / "home"
    return {
        "PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"), "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"), "AMUX_CONFIG": str(tmp_path / "providers.json"),
        "AMUX_HARNESS_BIN": str(Path(binary).parent), "PYTHONPATH": str(ROOT), "TEST_MARK": mark,
        "TERM": "dumb", "NO_COLOR": "1", "CI": os.environ.get("CI", ""),
    }


@dataclass
class Run:
    """What one `amux launch` did."""

    code: int | None
    """Exit code; None when it did not finish within the timeout (then it was killed)."""
    output: str
    seconds: float
    leftovers: list[tuple[int, bytes]]
    """Processes of the run still alive after it ended: (pid, cmdline)."""
    home: Path | None = None
    """The run's fresh home, where the harness keeps its own logs (what its screen may not say)."""

    def tail(self, chars: int = 3000) -> str:
        """The end of the screen output, then the harness's logged errors: what a failure message shows
        (read only then: a passing run never scans its home)."""
        errors = logged_errors(self.home) if self.home is not None else ""
        logged = f"\n--- errors in the harness's own logs:\n{errors}" if errors else ""
        return self.output[-chars:] + logged


async def run_amux(tmp_path: Path, harness: str, config: dict[str, Any], *launch_args: str,
                   harness_args: list[str], timeout: float = RUN_TIMEOUT, binary: str | None = None,
                   trust: bool = True, shell_env: Mapping[str, str] | None = None) -> Run:
    """``amux launch HARNESS LAUNCH_ARGS -- HARNESS_ARGS`` in a fresh home under ``tmp_path``; with
    ``trust`` (``--trust``) the work folder's workspace-trust prompt is pre-accepted, as these runs
    test routes, not trust (a headless Gemini CLI refuses to run in an untrusted folder).
    ``shell_env``: what the user's shell holds besides (someone else's credentials...)."""
    binary = binary or require_binary(harness)
    work = tmp_path / "work"
    work.mkdir(parents=True, exist_ok=True)
    (tmp_path / "providers.json").write_text(json.dumps(config))
    mark = uuid.uuid4().hex
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", "launch", harness, *launch_args, *(["--trust"] if trust else []), "--",
        *harness_args,
        env=fresh_home_env(tmp_path, binary, mark) | dict(shell_env or {}), cwd=work, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    chunks: list[bytes] = []

    async def collect() -> None:
        assert process.stdout is not None
        while chunk := await process.stdout.read(65536):
            chunks.append(chunk)
        await process.wait()

    timed_out = False
    try:
        await asyncio.wait_for(collect(), timeout)
    except asyncio.TimeoutError:
        timed_out = True
        for pid in marked_processes(mark) | {process.pid}:  # only this run's processes
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
        await process.wait()
    code = None if timed_out else process.returncode
    elapsed = time.monotonic() - started
    for _ in range(60):
        if not marked_processes(mark):
            break
        await asyncio.sleep(0.05)
    leftovers = [(pid, _cmdline(pid)) for pid in marked_processes(mark)]
    return Run(code, b"".join(chunks).decode(errors="replace"), elapsed, leftovers, tmp_path / "home")


def logged_errors(home: Path, limit: int = 20) -> str:
    """The last ``limit`` error lines of the ``*.log`` files under ``home`` (OpenCode keeps one under
    ``.local/share/opencode/log``)."""
    lines = []
    for log in sorted(home.rglob("*.log")) if home.is_dir() else ():
        with contextlib.suppress(OSError):
            lines += [f"{log.name}: {line[:400]}" for line in log.read_text(errors="replace").splitlines()
                      if "error" in line.lower()]
    return "\n".join(lines[-limit:])


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b"?"


class LocalServerUpstream(UpstreamServer):
    """An `UpstreamServer` that also answers a local Ollama's own API: ``/api/version`` (Codex's
    ``--oss`` wants 0.13.4 or newer), ``/api/tags``, ``/api/show`` and ``/api/chat`` (LiteLLM's
    ``ollama_chat``, streamed as NDJSON or not), from the same script."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/api/version":
            return web.json_response({"version": "0.13.5"})
        if request.path == "/api/tags":
            return web.json_response({"models": [{"name": m, "model": m, "details": {"family": "llama"}}
                                                 for m in self.models]})
        if request.path == "/api/show":
            return web.json_response({"modelfile": "", "details": {"family": "llama"},
                                      "model_info": {"general.architecture": "llama", "llama.context_length": 32768}})
        if request.path == "/api/chat":
            return await self._ollama_chat(request)
        return await super()._handle(request)

    async def _ollama_chat(self, request: web.Request) -> web.StreamResponse:
        record = RecordedRequest(request.method, request.path, dict(request.query),
                                 {k.lower(): v for k, v in request.headers.items()}, await request.read(), None)
        self.requests.append(record)
        reply = self._next_reply(record)
        body = record.json or {}
        done = {"model": body.get("model"), "created_at": "2026-01-01T00:00:00Z", "done": True, "done_reason": "stop",
                "prompt_eval_count": reply.input_tokens, "eval_count": reply.output_tokens}
        if not body.get("stream", True):
            return web.json_response({**done, "message": {"role": "assistant", "content": reply.full_text}})
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for piece in reply.text_pieces():
            chunk = {"model": body.get("model"), "message": {"role": "assistant", "content": piece}, "done": False}
            await response.write(json.dumps(chunk).encode() + b"\n")
        await response.write(json.dumps({**done, "message": {"role": "assistant", "content": ""}}).encode() + b"\n")
        await response.write_eof()
        return response


async def dry_run_plan(tmp_path: Path, harness: str, config: dict[str, Any], *launch_args: str,
                       binary: str) -> tuple[int, dict[str, Any] | None, str]:
    """``amux launch HARNESS LAUNCH_ARGS --dry-run`` in the same fresh home: (exit code, plan JSON, stderr)."""
    (tmp_path / "work").mkdir(parents=True, exist_ok=True)
    (tmp_path / "providers.json").write_text(json.dumps(config))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", "launch", harness, *launch_args, "--dry-run",
        env=fresh_home_env(tmp_path, binary, uuid.uuid4().hex), cwd=tmp_path / "work",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    try:
        plan = json.loads(out)
    except ValueError:
        plan = None
    return process.returncode or 0, plan, err.decode(errors="replace")
