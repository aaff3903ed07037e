#!/usr/bin/env python3
"""How long `amux launch` takes from the command to the harness's process starting.

Prints medians of several runs and each as a ratio against `python -c pass` measured in the same
run (the floor any Python CLI pays). Target: the harness starts within 300 ms when the provider is
reached without LiteLLM (no litellm/textual import, lazy imports, cached preflight), with or without
the proxy (which is bound before the spawn and serves once the harness is started).

    python bench/launch_latency.py [--runs 7]

A local fixture upstream (tests/upstreams.py) stands in for the provider; the first launch fills
the preflight cache, like a user's first launch does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from upstreams import UpstreamServer  # noqa: E402

STAMP = "import time, sys; sys.stdout.write(str(time.time_ns()))"
FLOOR = "import asyncio, amux_tui.cli, amux_tui.config.loader, amux_tui.providers.registry"
"""What any launch must import before it can read providers.json (not the harnesses room's code)."""


async def run(argv: list[str], env: dict[str, str]) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(*argv, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {err.decode()[-500:]}")
    return process.returncode, out, (time.perf_counter() - started) * 1000


async def time_to_start(argv: list[str], env: dict[str, str]) -> float:
    """ms from spawning ``argv`` to the harness (which prints time_ns at its start) running."""
    started_ns = time.time_ns()
    _, out, _ = await run(argv, env)
    return (int(out.decode().strip().splitlines()[-1]) - started_ns) / 1e6


async def median(runs: int, measure) -> float:  # noqa: ANN001
    return statistics.median([await measure() for _ in range(runs)])


async def main(runs: int) -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="amux-bench-") as tmp:
        async with UpstreamServer("openai-chat", api_key="bench-key") as upstream, \
                UpstreamServer("anthropic-messages", api_key="bench-key") as anthropic:
            config = Path(tmp) / "providers.json"
            provider = {"type": "vllm", "api_key": "bench-key", "default_model": "fixture-model"}
            config.write_text(json.dumps({"default_provider": "up", "providers": {
                "up": {**provider, "api_base": upstream.base_url, "api_format": "openai-chat"},
                "anth": {**provider, "api_base": anthropic.base_url, "api_format": "anthropic-messages"}}}))
            env = {**os.environ, "AMUX_CONFIG": str(config), "XDG_STATE_HOME": f"{tmp}/state",
                   "XDG_CACHE_HOME": f"{tmp}/cache", "AMUX_QUIET": "1", "PYTHONPATH": str(ROOT)}
            amux = [python, "-m", "amux_tui.cli", "launch"]
            stamp_harness = ["--", python, "-S", "-c", STAMP]

            baseline = await median(runs, lambda: _wall([python, "-c", "pass"], env))
            stamp_only = await median(runs, lambda: time_to_start([python, "-S", "-c", STAMP], env))
            floor = await median(runs, lambda: _wall([python, "-c", FLOOR], env))
            await run([*amux, "shell", *stamp_harness], env)  # fills the preflight cache
            direct = await median(runs, lambda: time_to_start([*amux, "shell", *stamp_harness], env))
            proxied = await median(runs, lambda: time_to_start([*amux, "shell", "--with-proxy", *stamp_harness], env))
            rows = [("python -c pass (baseline)", baseline),
                    ("a bare harness start (python -S)", stamp_only),
                    ("import asyncio + config + provider registry", floor),
                    ("amux launch shell -> harness start (direct)", direct),
                    ("amux launch shell --with-proxy -> harness start", proxied)]
            rows += await _real_binary(runs, amux, env)
    print(f"{'measurement':<52} {'median ms':>10} {'x baseline':>11}")
    for name, value in rows:
        print(f"{name:<52} {value:>10.1f} {value / baseline:>11.2f}")
    print(f"\namux launch -> harness running (direct): {direct:.1f} ms, of which {floor:.1f} ms is importing "
          f"asyncio/config/registry; target: within 300 ms")
    print(f"amux launch -> harness running (--with-proxy): {proxied:.1f} ms, {proxied / direct:.2f}x the direct "
          "launch (the proxy binds its port first and imports aiohttp while the harness boots)")


async def _wall(argv: list[str], env: dict[str, str]) -> float:
    return (await run(argv, env))[2]


async def _real_binary(runs: int, amux: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """A real harness binary with --version: on its own, and through `amux launch` (direct route)."""
    from amux_tui.harnesses.locations import find_binary

    bin_dir = ROOT / ".cache" / "harnesses" / "node_modules" / ".bin"
    env = {**env, "AMUX_HARNESS_BIN": os.pathsep.join(filter(None, [env.get("AMUX_HARNESS_BIN"), str(bin_dir)]))}
    claude = find_binary("claude", env)
    if claude is None:
        return []
    launch = [*amux, "claude", "--provider", "anth", "--", "--version"]
    await run(launch, env)  # fills the preflight cache
    alone = await median(runs, lambda: _wall([claude, "--version"], env))
    through = await median(runs, lambda: _wall(launch, env))
    return [("claude --version", alone), ("amux launch claude (direct) -- --version", through)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    asyncio.run(main(parser.parse_args().runs))
