"""Helpers for the session records / worktree tests: real git repositories and `amux` subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-upstream-Secret-abcdefghijklmnop"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return done.stdout


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A repository with one commit holding ``files`` (default: a README), on branch main."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, text in (files or {"README.md": "hello\n"}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "first")
    return path


def make_env(tmp_path: Path, upstream=None, **extra: str) -> dict[str, str]:  # noqa: ANN001
    config = {"providers": {}}
    if upstream is not None:
        config = {"default_provider": "up", "providers": {"up": {
            "type": "vllm", "api_base": upstream.base_url, "api_key": KEY, "api_format": "openai-chat",
            "models": ["fixture-model"], "default_model": "fixture-model"}}}
    config_path = tmp_path / "providers.json"
    config_path.write_text(json.dumps(config))
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "AMUX_STATE_DIR": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "AMUX_CONFIG": str(config_path), "SHELL": "/bin/sh", "PYTHONPATH": str(ROOT), "AMUX_QUIET": "1", **GIT_ENV,
    }
    env.update(extra)
    return env


async def amux(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60,
               stdin: bytes | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "amux_tui.cli", *args, env=env, cwd=cwd,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    return process.returncode, out.decode(), err.decode()


async def sessions_json(env: dict[str, str], cwd: Path) -> list[dict]:
    code, out, err = await amux("sessions", "--json", "--all", env=env, cwd=cwd)
    assert code == 0, err
    return json.loads(out)
