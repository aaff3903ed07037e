"""The dashboard under load: RSS with four live sessions, and event-loop lag while they stream
output and two of them talk to a local upstream through amux's proxy.

The app runs headless in this process (120x40). Each session is the `shell` harness running a
small Python program that prints coloured lines continuously (``--rate`` lines/s each; real
harnesses write 0.6-21 KB per turn); two of them also post a streamed chat request through the
proxy every 0.2 s. A probe task sleeps 5 ms in a loop and records how late
it wakes. The same probe runs first on the idle dashboard (no sessions): the baseline. Last, the
probe runs while a person flips through the tabs (Ctrl+Right every 0.2 s) with the sessions still
streaming: every switch changes the focus and the keys shown.

    python bench/dashboard_sessions.py [--seconds 8]
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


async def run(seconds: float, rate: float) -> None:
    reply = Reply(text="streamed answer " * 20, delay=0.001)
    async with UpstreamServer("openai-chat", [reply], api_key="bench-key") as upstream:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "providers.json"
            config.write_text(json.dumps({"version": 1, "providers": {"up": {
                "type": "vllm", "api_base": upstream.base_url, "api_key": "bench-key", "models": ["fixture-model"]}}}))
            env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_STATE_HOME": str(Path(tmp) / "state"),
                   "TERM": "xterm-256color"}
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=50.0, help="lines per second each session prints")
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
