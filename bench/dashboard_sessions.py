"""The dashboard under load: RSS with four live sessions, and event-loop lag while they stream
output and two of them talk to a local upstream through amux's proxy.

The app runs headless in this process (120x40). Each session is the `shell` harness running a
small Python program that prints coloured lines continuously (``--rate`` lines/s each; real
harnesses write 0.6-21 KB per turn); two of them also post a streamed chat request through the
proxy every 0.2 s. A probe task sleeps 5 ms in a loop and records how late
it wakes. The same probe runs first on the idle dashboard (no sessions): the baseline. Last, the
probe runs while a person flips through the tabs (Ctrl+Right every 0.2 s) with the sessions still
streaming: every switch changes the focus and the keys shown.

Then the first proxied launch of a fresh dashboard (its own interpreter, aiohttp not imported yet,
the upstream in this process): how long until the harness runs, and the longest event-loop stall
until the proxy serves, against a direct launch in the same dashboard just before (the baseline).

    python bench/dashboard_sessions.py [--seconds 8] [--launch-runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from upstreams import Reply, UpstreamServer  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.backend.sessions import LaunchChoice  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

STREAMER = r"""
import json, os, sys, time, urllib.request
RATE = float(os.environ["BENCH_RATE"])
base = os.environ.get("OPENAI_BASE_URL") if os.environ.get("BENCH_ASK") else None
n, last = 0, 0.0
while True:
    n += 1
    sys.stdout.write(f"\x1b[3{n % 7 + 1}mline {n:06d}\x1b[0m " + "x" * 60 + "\r\n")
    if n % 5 == 0:
        sys.stdout.flush(); time.sleep(5 / RATE)
    if base and time.time() - last > 0.2:
        last = time.time()
        body = json.dumps({"model": os.environ["AMUX_MODEL"], "stream": True,
                           "messages": [{"role": "user", "content": "go"}]}).encode()
        req = urllib.request.Request(base.rstrip("/") + "/chat/completions", data=body, method="POST",
            headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
"""


FIRST_LAUNCH_APP = r"""
import asyncio, os, sys, time
from pathlib import Path
from amux_tui.ui.app import AmuxApp
from amux_tui.ui.backend.sessions import LaunchChoice
from amux_tui.ui.options import DashboardOptions

stamps = Path(sys.argv[2])

async def longest_stall(done, tick=0.001):
    loop, longest = asyncio.get_running_loop(), 0.0
    while not done():
        before = loop.time()
        await asyncio.sleep(tick)
        longest = max(longest, loop.time() - before - tick)
    return longest * 1000

def stamped(path):
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None

async def launch(app, name, proxied):
    # The harness writes the time it runs, then waits to be ended.
    stamp = stamps / name
    command = ("/bin/sh", "-c", f"date +%s%N > {stamp}.tmp && mv {stamp}.tmp {stamp} && exec sleep 60")
    preview = app.sessions.preview(LaunchChoice("shell", app.registry.get("up"), "fixture-model", command,
                                                always_proxy=proxied))
    assert preview.ok, preview.error
    started = time.time_ns()
    app._main_screen().launch(preview)
    serving = lambda: not proxied or (app.sessions.proxy is not None and app.sessions.proxy.running)
    stall = await longest_stall(lambda: stamped(stamp) is not None and serving())
    return (stamped(stamp) - started) / 1e6, stall, (time.time_ns() - started) / 1e6

async def main():
    app = AmuxApp(DashboardOptions(config_path=sys.argv[1], env=dict(os.environ), detect_local=False))
    async with app.run_test(size=(120, 40)) as pilot:
        while app.catalog_load is None:
            await asyncio.sleep(0.01)
        await pilot.pause(0.5)
        await launch(app, "warm-up", False)  # the launch code's imports, the preflight cache
        direct = await launch(app, "direct", False)
        proxied = await launch(app, "proxied", True)
        print(*direct[:2], *proxied)
        await app.action_quit()

asyncio.run(main())
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def loop_lag(seconds: float, interval: float = 0.005) -> list[float]:
    lags = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        before = loop.time()
        await asyncio.sleep(interval)
        lags.append((loop.time() - before - interval) * 1000)
    return lags


async def flip_tabs(pilot, seconds: float, every: float = 0.2) -> int:
    loop = asyncio.get_running_loop()
    end, switches = loop.time() + seconds, 0
    while loop.time() < end:
        await pilot.press("ctrl+right")
        switches += 1
        await asyncio.sleep(every)
    return switches


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def dashboard_home(tmp: Path, upstream: UpstreamServer) -> tuple[Path, dict[str, str]]:
    """A providers.json whose one provider is ``upstream``, and a clean environment around it."""
    config = tmp / "providers.json"
    config.write_text(json.dumps({"version": 1, "providers": {"up": {
        "type": "vllm", "api_base": upstream.base_url, "api_key": "bench-key", "models": ["fixture-model"]}}}))
    return config, {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "XDG_STATE_HOME": str(tmp / "state"),
                    "TERM": "xterm-256color"}


async def run(seconds: float, rate: float) -> None:
    reply = Reply(text="streamed answer " * 20, delay=0.001)
    async with UpstreamServer("openai-chat", [reply], api_key="bench-key") as upstream:
        with tempfile.TemporaryDirectory() as tmp:
            config, env = dashboard_home(Path(tmp), upstream)
            app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False))
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause(1.0)
                await app.workers.wait_for_complete()
                idle_rss = rss_mb()
                idle_lag = await loop_lag(seconds / 2)
                main = app._main_screen()
                provider = app.registry.get("up")
                for index in range(4):
                    ask = index < 2
                    args = ("/usr/bin/env", f"BENCH_ASK={'1' if ask else ''}", f"BENCH_RATE={rate}", sys.executable,
                            "-c", STREAMER)
                    preview = app.sessions.preview(LaunchChoice("shell", provider, "fixture-model", args, always_proxy=ask))
                    if not preview.ok:
                        raise SystemExit(f"cannot launch: {preview.error}")
                    main.launch(preview)
                    await pilot.pause(0.3)
                    await app.workers.wait_for_complete()
                await pilot.pause(1.0)
                if len(main.session_pane_ids()) != 4:
                    raise SystemExit(f"expected 4 sessions; notifications: {[n.message for n in app._notifications]}")
                main.show_split(main.session_pane_ids())
                await pilot.pause(2.0)  # measure the steady state, not the launches
                busy_lag = await loop_lag(seconds)
                busy_rss = rss_mb()
                switching_lag, switches = await asyncio.gather(loop_lag(seconds / 2), flip_tabs(pilot, seconds / 2))
                requests = sum(len(s.traffic.records()) for s in app.sessions.live_sessions() if s.traffic)
                live = len(app.sessions.live_sessions())
                await app.action_quit()
    print(f"dashboard under load ({live} live sessions in a 2x2 split, each printing {rate:g} coloured "
          f"80-column lines/s, {seconds:g} s, 120x40):")
    print(f"  RSS: idle {idle_rss:6.1f} MB, 4 sessions {busy_rss:6.1f} MB   ratio {busy_rss / idle_rss:.2f}x"
          "   (target <= 250 MB)")
    print(f"  event-loop lag p99: idle {p99(idle_lag):6.2f} ms, streaming {p99(busy_lag):6.2f} ms"
          f"   (max {max(busy_lag):.1f} ms; target p99 < 20 ms)")
    print(f"  event-loop lag p99 while switching tabs ({switches} switches): {p99(switching_lag):6.2f} ms"
          f"   (max {max(switching_lag):.1f} ms)")
    print(f"  proxied requests served meanwhile: {requests}")
    print(f"  machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


async def first_launch(runs: int) -> None:
    """A fresh dashboard's first proxied launch (each run in a new interpreter), after a direct one."""
    rows = []
    async with UpstreamServer("openai-chat", [], api_key="bench-key") as upstream:
        with tempfile.TemporaryDirectory() as tmp:
            config, env = dashboard_home(Path(tmp), upstream)
            for run_number in range(runs):
                stamps = Path(tmp) / f"run-{run_number}"
                stamps.mkdir()
                done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", FIRST_LAUNCH_APP, str(config), stamps],
                                               env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=60)
                if done.returncode != 0:
                    raise SystemExit(f"the launching dashboard failed:\n{done.stderr[-2000:]}")
                rows.append([float(value) for value in done.stdout.split()[-5:]])
    direct, direct_stall, proxied, proxied_stall, serving = (statistics.median(r[i] for r in rows) for i in range(5))
    print(f"first proxied launch of a fresh dashboard, median of {runs} (after a direct launch, the baseline):")
    print(f"  launch -> harness running: direct {direct:6.1f} ms, proxied {proxied:6.1f} ms"
          f"   ratio {proxied / direct:.2f}x")
    print(f"  longest event-loop stall until it runs (proxied: and the proxy serves): direct {direct_stall:5.1f} ms,"
          f" proxied {proxied_stall:5.1f} ms   ratio {proxied_stall / direct_stall:.2f}x")
    print(f"  proxy serving {serving:.0f} ms after the launch ({serving / proxied:.2f}x the time to the harness running)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=50.0, help="lines per second each session prints")
    parser.add_argument("--launch-runs", type=int, default=5, help="fresh dashboards for the first-launch figures")
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.rate))
    if args.launch_runs:
        asyncio.run(first_launch(args.launch_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
