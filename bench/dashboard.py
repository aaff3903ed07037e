"""Dashboard start-up: time from process start to first paint, against a bare Textual app.

Both run as ``python ...`` under a real pseudo-terminal (ptyprocess), 80x24, alternately, and
write ``time.time()`` and their own CPU time at their first frame (amux: ``AMUX_FIRST_PAINT_FILE``);
amux then adds a second stamp when the providers table shows providers.json's rows (the config's
pydantic models are built just after the first frame). Printed: medians of the wall time from
spawning and of the process's CPU time (steadier than wall time on a shared machine), the ratios
amux/baseline, and whether LiteLLM was imported by then.

    python bench/dashboard.py [--runs 7]

Then the first probes (local detection, health, the model list; every address refuses at once):
in a fresh headless app per run, the longest event-loop stall from the moment providers.json was
read until every probe answered, against the longest stall of the same app idle just after (the
TLS set-up of the probes' HTTP clients must not stall the loop), and how long the probes took.

With 200 recorded sessions in the session database (10 of them left "running" by a dead amux, so
start-up marks them lost): the same first paint, and when the earlier sessions are listed.

The session figures (RSS with four live sessions, event-loop lag while they stream and the
proxy serves) come from bench/dashboard_sessions.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ptyprocess

ROOT = Path(__file__).resolve().parent.parent

BASELINE_APP = """
import sys, time
from textual.app import App
from textual.widgets import Footer, Header, Static

class Hello(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.done)

    def done(self):
        with open(sys.argv[1], "w") as handle:
            handle.write(f"{time.time():.6f} cpu={time.process_time() * 1000:.1f} litellm={'litellm' in sys.modules}\\n")
        self.exit()

Hello().run()
"""

PROBING_APP = """
import asyncio, sys, time
from amux_tui.ui.app import AmuxApp
from amux_tui.ui.options import DashboardOptions

PROBES = {"providers-detect", "providers-health", "providers-models"}

async def longest_stall(until, tick=0.001):
    loop, longest = asyncio.get_running_loop(), 0.0
    while not until():
        before = loop.time()
        await asyncio.sleep(tick)
        longest = max(longest, loop.time() - before - tick)
    return longest * 1000

async def main():
    app = AmuxApp(DashboardOptions(config_path=sys.argv[1], detect_local=True, harness_search_path=sys.argv[2]))
    async with app.run_test(size=(80, 24)):
        while app.catalog_load is None:  # providers.json is read just after the first frame
            await asyncio.sleep(0.001)
        started, seen = time.perf_counter(), set()
        def probed():  # every probe worker ran and is gone (finished workers leave app.workers)
            running = {w.group for w in app.workers if w.group in PROBES and not w.is_finished}
            seen.update(running)
            return seen == PROBES and not running
        probing = await longest_stall(probed)
        took = (time.perf_counter() - started) * 1000
        idle_end = time.perf_counter() + took / 1000
        idle = await longest_stall(lambda: time.perf_counter() > idle_end)
        print(f"{probing:.2f} {idle:.2f} {took:.1f}")

asyncio.run(main())
"""

PROBING_CONFIG = {
    "version": 1,
    "default_provider": "plain",
    "providers": {
        "plain": {"type": "openai", "api_base": "http://127.0.0.1:9/v1", "api_key": "sk-bench-0000000000",
                  "models": ["m1"]},
        "tls": {"type": "anthropic", "api_base": "https://127.0.0.1:9", "api_key": "sk-bench-0000000001",
                "models": ["m2"]},
    },
}

CONFIG = {
    "version": 1,
    "default_provider": "local",
    "providers": {
        "local": {"type": "openai", "api_base": "http://127.0.0.1:9/v1", "api_key": "sk-bench-0000000000",
                  "models": ["m1", "m2"], "default_model": "m1"},
        "claude": {"type": "anthropic", "api_key": "${BENCH_NO_SUCH_KEY}"},
        "bedrock": {"type": "bedrock", "models": ["anthropic.claude-sonnet-4"]},
    },
}


def first_paint_ms(argv: list[str], marker: Path, env: dict[str, str], timeout: float = 30.0,
                   lines: int = 1) -> tuple[list[tuple[float, float]], bool]:
    """(wall ms from spawning, CPU ms of the process) at each of the first ``lines`` stamps, and
    whether LiteLLM was loaded at the first."""
    marker.unlink(missing_ok=True)
    started = time.time()
    child = ptyprocess.PtyProcess.spawn(argv, env=env, dimensions=(24, 80), cwd=str(ROOT))
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists() or marker.read_text().count("\n") < lines:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no first paint from {argv} within {timeout} s")
            try:
                child.read(65536)  # keep the PTY drained so the app never blocks on output
            except EOFError:
                if not marker.exists():
                    raise RuntimeError(f"{argv} exited without painting") from None
    finally:
        child.terminate(force=True)
    stamps = [line.split() for line in marker.read_text().splitlines()[:lines]]
    notes = [dict(field.split("=", 1) for field in fields[1:]) for fields in stamps]
    return ([((float(fields[0]) - started) * 1000, float(note["cpu"])) for fields, note in zip(stamps, notes)],
            notes[0].get("litellm") == "True")


RECORDED_SESSIONS = 200
LEFT_RUNNING = 10


def recorded_sessions_db(path: Path) -> None:
    """A session database with `RECORDED_SESSIONS` sessions, `LEFT_RUNNING` of them owned by a dead amux."""
    sys.path.insert(0, str(ROOT))
    from amux_tui.records.store import SessionRecord, SessionStore

    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid with no process behind it (for the records a crashed amux left running)
    store = SessionStore(path)
    now = time.time()
    for number in range(RECORDED_SESSIONS):
        running = number < LEFT_RUNNING
        store.add(SessionRecord(
            id=f"bench{number:07d}", harness=("claude", "codex", "shell")[number % 3], provider="openrouter",
            model="qwen/qwen3-coder", route="proxy", cwd=str(ROOT), started=now - 3600 + number,
            state="running" if running else "exited", ended=None if running else now - 3000 + number,
            exit_code=None if running else 0, requests=number, input_tokens=number * 1000,
            output_tokens=number * 100, cost=number * 0.001, owner_pid=gone.pid if running else None))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        config = tmp_path / "providers.json"
        config.write_text(json.dumps(CONFIG))
        baseline_script = tmp_path / "hello.py"
        baseline_script.write_text(BASELINE_APP)
        marker = tmp_path / "painted"
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env.update(TERM="xterm-256color", AMUX_FIRST_PAINT_FILE=str(marker), XDG_STATE_HOME=str(tmp_path / "state"))
        amux_argv = [sys.executable, "-m", "amux_tui.cli", "--config", str(config)]
        baseline_argv = [sys.executable, str(baseline_script), str(marker)]
        first_paint_ms(baseline_argv, marker, env)  # warm the file cache once
        first_paint_ms(amux_argv, marker, env, lines=2)
        base, painted, listed, litellm_seen = [], [], [], False
        for _ in range(args.runs):
            base.append(first_paint_ms(baseline_argv, marker, env)[0][0])
            (paint, rows), litellm = first_paint_ms(amux_argv, marker, env, lines=2)
            painted.append(paint)
            listed.append(rows)
            litellm_seen |= litellm
        template = tmp_path / "recorded.db"
        recorded_sessions_db(template)
        state = tmp_path / "state" / "amux"
        state.mkdir(parents=True, exist_ok=True)
        with_records, records_listed = [], []
        for _ in range(args.runs):
            for suffix in ("", "-wal", "-shm"):
                (state / f"sessions.db{suffix}").unlink(missing_ok=True)
            (state / "sessions.db").write_bytes(template.read_bytes())
            (paint, _, records), _ = first_paint_ms(amux_argv, marker, env, lines=3)
            with_records.append(paint)
            records_listed.append(records)
    print(f"first paint, median of {args.runs} (80x24 PTY, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"  {'':26}  {'wall ms':>8} {'ratio':>6}   {'CPU ms':>7} {'ratio':>6}")
    b_wall, b_cpu = (statistics.median(x[i] for x in base) for i in (0, 1))
    for label, values in (("bare textual app", base), ("amux dashboard", painted),
                          ("amux, providers listed", listed),
                          (f"amux, {RECORDED_SESSIONS} sessions recorded", with_records),
                          ("  ... earlier ones listed", records_listed)):
        wall, cpu = (statistics.median(x[i] for x in values) for i in (0, 1))
        print(f"  {label:26}  {wall:8.1f} {wall / b_wall:5.2f}x   {cpu:7.1f} {cpu / b_cpu:5.2f}x")
    print("  target: amux's first paint <= 400 ms on an idle machine")
    print(f"  litellm imported by first paint: {litellm_seen}")
    first_probes(args.runs)
    return 0 if not litellm_seen else 1


def first_probes(runs: int) -> None:
    """The first round of probes, each run in a fresh interpreter (the TLS context is built once per process)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        config = tmp_path / "providers.json"
        config.write_text(json.dumps(PROBING_CONFIG))
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env.update(XDG_STATE_HOME=str(tmp_path / "state"))
        argv = [sys.executable, "-c", PROBING_APP, str(config), str(tmp_path)]  # no harness binaries to ask
        rows = []
        for _ in range(runs):
            done = subprocess.run(argv, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=30)
            if done.returncode != 0:
                raise SystemExit(f"the probing app failed:\n{done.stderr}")
            rows.append([float(value) for value in done.stdout.split()[-3:]])
    probing, idle, took = (statistics.median(row[i] for row in rows) for i in range(3))
    print(f"first probes (detection, health, models; local addresses that refuse), median of {runs}:")
    print(f"  longest event-loop stall while probing {probing:6.1f} ms, idle just after {idle:5.1f} ms"
          f"   ratio {probing / idle:.1f}x")
    print(f"  probes answered {took:.0f} ms after providers.json was read")


if __name__ == "__main__":
    sys.exit(main())
