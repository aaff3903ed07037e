"""A launch that reaches its provider without LiteLLM stays light: with a cached preflight, running
a harness imports neither LiteLLM nor Textual, nor any HTTP stack (no proxy, no probe needed)."""

import json
import subprocess
import sys
from pathlib import Path

from amux_tui.harnesses import preflight_cache
from amux_tui.providers.resolved import ResolvedProvider

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import contextlib, io, json, sys
from amux_tui import cli
with contextlib.redirect_stdout(io.StringIO()):
    code = cli.main(["launch", "shell", "--", "true"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_cached_direct_launch_imports_no_heavy_library(tmp_path):
    config = tmp_path / "providers.json"
    config.write_text(json.dumps({"default_provider": "v", "providers": {"v": {
        "type": "vllm", "api_base": "http://127.0.0.1:9/v1", "api_format": "openai-chat", "default_model": "m"}}}))
    provider = ResolvedProvider("v", "vllm", "http://127.0.0.1:9/v1", ("openai-chat",))
    preflight_cache.store(preflight_cache.cache_key(provider, "m"), {"model_found": True},
                          path=tmp_path / "cache" / preflight_cache.CACHE_FILE)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AMUX_CONFIG": str(config), "AMUX_QUIET": "1",
           "AMUX_CACHE_DIR": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert not loaded & {"litellm", "textual", "aiohttp", "httpx"}, loaded & {"litellm", "textual", "aiohttp", "httpx"}
