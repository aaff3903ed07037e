"""What the amux proxy adds on top of talking to the upstream directly, measured in one run.

A local OpenAI-chat upstream (the tests' fixture server) runs in its own process, the proxy in
another (``python -m amux_tui.cli proxy`` with a temporary config), and this process is the
client. Every figure is proxy minus direct (or proxy / direct), measured side by side:

* added latency p50/p99: Anthropic Messages in → OpenAI chat upstream (translation), streamed
  and not; OpenAI chat through ``/{provider}/...`` (passthrough) and through ``/v1/chat/completions``
  to the OpenAI-chat provider (same-protocol relay), streamed and not
* cost per streamed chunk on a 500-chunk stream of distinct chunks
* requests per second with 32 and 64 concurrent clients
* the proxy's resident memory (from /proc), and 64 concurrent streams checked for lost or
  interleaved chunks

``--peers`` also runs claude-code-router and LiteLLM's proxy against the same upstream when they
can be installed (npm / a separate venv under ``.cache/bench-peers``), and prints ratios.
Run: ``python bench/proxy_overhead.py [--quick] [--peers]``. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

UPSTREAM_KEY = "bench-upstream-key"
MODEL = "bench-model"


# --- the upstream process ----------------------------------------------------------------------

def serve_upstream() -> None:
    """``--serve-upstream``: the fixture server; ``chunks=N`` in a request asks for N distinct chunks."""
    from upstreams import Reply

    replies: dict[int, Reply] = {}

    def answer(request) -> Reply:
        found = re.search(rb"chunks=(\d+)", request.body)
        count = int(found.group(1)) if found else 8
        if count not in replies:
            replies[count] = Reply(pieces=tuple(f"w{i} " for i in range(count)), input_tokens=12, output_tokens=count)
        return replies[count]

    serve_until_term(answer, UPSTREAM_KEY)


def serve_until_term(answer, api_key: str) -> None:  # noqa: ANN001 - a fixture server's answer function
    """Run an OpenAI-chat fixture server answering with ``answer`` until SIGTERM; print its port first."""
    from upstreams import UpstreamServer

    async def main() -> None:
        server = UpstreamServer("openai-chat", answer, api_key=api_key)
        await server.start()
        print(server.port, flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        while not stop.is_set():
            server.requests.clear()  # the bench sends thousands; keep memory flat
            try:
                await asyncio.wait_for(stop.wait(), 1)
            except asyncio.TimeoutError:
                pass
        await server.stop()

    asyncio.run(main())


# --- processes ---------------------------------------------------------------------------------

@dataclass
class Target:
    """Something to send requests to: the upstream directly, amux, or a peer."""

    name: str
    anthropic_url: str | None  # Anthropic Messages in (translated to OpenAI chat upstream)
    chat_url: str  # OpenAI chat, passthrough (or direct)
    headers_anthropic: dict[str, str] = field(default_factory=dict)
    headers_chat: dict[str, str] = field(default_factory=dict)
    pid: int | None = None
    same_protocol_url: str | None = None  # OpenAI chat in, OpenAI-chat provider: relayed on its protocol route


async def start_process(*argv: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL, env=env)


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()


async def start_amux(upstream_base: str, workdir: Path) -> tuple[asyncio.subprocess.Process, Target]:
    config = workdir / "providers.json"
    config.write_text(json.dumps({"version": 1, "providers": {"bench": {
        "type": "openai", "api_base": upstream_base, "api_key": UPSTREAM_KEY, "api_format": "openai-chat"}}}))
    proc = await start_process(sys.executable, "-m", "amux_tui.cli", "proxy", "--config", str(config),
                               "--provider", "bench", "--model", MODEL,
                               env={**os.environ, "PYTHONPATH": _pythonpath(), "HOME": str(workdir)})
    ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
    url, token = ready["url"], ready["token"]
    return proc, Target("amux", f"{url}/v1/messages", f"{url}/bench/v1/chat/completions",
                        {"x-api-key": token, "anthropic-version": "2023-06-01"},
                        {"Authorization": f"Bearer {token}"}, proc.pid, f"{url}/v1/chat/completions")


def _pythonpath() -> str:
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (a figure the machine's load barely moves)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += tree_cpu_seconds(int(child))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (peers run workers)."""
    total = rss_mb(pid)[0]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += tree_rss_mb(int(child))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


# --- requests ----------------------------------------------------------------------------------

def anthropic_body(chunks: int, stream: bool) -> bytes:
    return json.dumps({"model": "claude-sonnet-4", "max_tokens": 1024, "stream": stream,
                       "system": "You are a coding agent.",
                       "messages": [{"role": "user", "content": f"answer in chunks={chunks} please"}]}).encode()


def chat_body(chunks: int, stream: bool) -> bytes:
    body = {"model": MODEL, "stream": stream, "messages": [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": f"answer in chunks={chunks} please"}]}
    if stream:
        body["stream_options"] = {"include_usage": True}
    return json.dumps(body).encode()


Call = Callable[[aiohttp.ClientSession], Awaitable[bytes]]


def call(url: str, headers: dict[str, str], body: bytes) -> Call:
    headers = {**headers, "Content-Type": "application/json"}

    async def send(http: aiohttp.ClientSession) -> bytes:
        async with http.post(url, data=body, headers=headers) as resp:
            data = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{url} answered {resp.status}: {data[:300]!r}")
            return data

    return send


async def latencies(http: aiohttp.ClientSession, send: Call, count: int, warmup: int = 30) -> list[float]:
    for _ in range(warmup):
        await send(http)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        await send(http)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def interleaved(sends: dict[str, Call], count: int) -> dict[str, list[float]]:
    """Latencies of several targets measured in alternation, so drift hits all of them alike.
    Each target has its own client (its own keep-alive connections), as each harness has: a
    connection that carried a translated request stays with aiohttp, off the passthrough lane."""
    clients = {name: aiohttp.ClientSession() for name in sends}
    try:
        for name, send in sends.items():
            for _ in range(30):
                await send(clients[name])
        times: dict[str, list[float]] = {name: [] for name in sends}
        for _ in range(count):
            for name, send in sends.items():
                started = time.perf_counter()
                await send(clients[name])
                times[name].append((time.perf_counter() - started) * 1000)
        return times
    finally:
        for client in clients.values():
            await client.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def throughput(send: Call, clients: int, total: int) -> float:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(clients):
            await send(http)
        remaining = total

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await send(http)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return total / (time.perf_counter() - started)


async def integrity(target: Target, streams: int = 64, chunks: int = 100) -> tuple[int, int]:
    """64 streams at once, each with its own chunks: (streams intact, streams broken)."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def one(n: int) -> bool:
            body = json.dumps({"model": "claude-sonnet-4", "max_tokens": 100, "stream": True, "messages": [
                {"role": "user", "content": f"stream {n} chunks={chunks + n}"}]}).encode()
            raw = await call(target.anthropic_url, target.headers_anthropic, body)(http)
            text = "".join(json.loads(line[5:])["delta"].get("text", "") for line in raw.decode().splitlines()
                           if line.startswith("data:") and '"content_block_delta"' in line)
            return text == "".join(f"w{i} " for i in range(chunks + n))

        results = await asyncio.gather(*(one(n) for n in range(streams)))
    return sum(results), streams - sum(results)


# --- the run -----------------------------------------------------------------------------------

@dataclass
class Figures:
    name: str
    added: dict[str, tuple[float, float]] = field(default_factory=dict)  # case -> (p50, p99) added ms
    per_chunk_us: float | None = None
    rps: dict[int, float] = field(default_factory=dict)
    rss_mb: float | None = None
    intact: tuple[int, int] | None = None
    cpu_ms_per_request: float | None = None


async def measure(target: Target, direct: Target, args: argparse.Namespace, *, passthrough: bool) -> Figures:
    figures = Figures(target.name)
    n = args.requests
    for stream in (False, True):
        label = "stream" if stream else "json"
        direct_call = call(direct.chat_url, direct.headers_chat, chat_body(8, stream))
        sends = {"direct": direct_call,
                 "translated": call(target.anthropic_url, target.headers_anthropic, anthropic_body(8, stream))}
        if passthrough:
            sends["passthrough"] = call(target.chat_url, target.headers_chat, chat_body(8, stream))
            if target.same_protocol_url:
                sends["same-protocol"] = call(target.same_protocol_url, target.headers_chat, chat_body(8, stream))
        times = await interleaved(sends, n)
        for case in sends:
            if case != "direct":
                figures.added[f"{case} {label}"] = (pct(times[case], 0.5) - pct(times["direct"], 0.5),
                                                    pct(times[case], 0.99) - pct(times["direct"], 0.99))
    long_runs = max(10, n // 15)
    times = await interleaved({
        "direct": call(direct.chat_url, direct.headers_chat, chat_body(500, True)),
        "translated": call(target.anthropic_url, target.headers_anthropic, anthropic_body(500, True))}, long_runs)
    figures.per_chunk_us = (statistics.median(times["translated"]) - statistics.median(times["direct"])) * 1000 / 500
    cpu_before = tree_cpu_seconds(target.pid) if target.pid else 0.0
    for clients in (32, 64):
        figures.rps[clients] = await throughput(
            call(target.anthropic_url, target.headers_anthropic, anthropic_body(8, False)), clients, args.total)
    if target.pid:
        figures.cpu_ms_per_request = (tree_cpu_seconds(target.pid) - cpu_before) * 1000 / (2 * args.total + 32 + 64)
    figures.intact = await integrity(target)
    if target.pid:
        figures.rss_mb = tree_rss_mb(target.pid)
    return figures


async def direct_throughput(direct: Target, args: argparse.Namespace) -> dict[int, float]:
    return {clients: await throughput(call(direct.chat_url, direct.headers_chat, chat_body(8, False)), clients,
                                      args.total) for clients in (32, 64)}


def report(amux: Figures, direct_rps: dict[int, float], peers: list[Figures]) -> None:
    print("\nadded latency vs direct (ms; p50 / p99):")
    for case, (p50, p99) in amux.added.items():
        line = f"  amux {case:<20} +{p50:6.2f} / +{p99:6.2f}"
        for peer in peers:
            if case in peer.added:
                peer_p50, peer_p99 = peer.added[case]
                line += f"   {peer.name}: +{peer_p50:.2f} / +{peer_p99:.2f} (amux/peer p50 {ratio(p50, peer_p50)})"
        print(line)
    print(f"\nper streamed chunk (500 distinct chunks, Anthropic in): amux {amux.per_chunk_us:.2f} µs"
          + "".join(f", {p.name} {p.per_chunk_us:.2f} µs" for p in peers if p.per_chunk_us is not None))
    print("\nrequests/s (Anthropic in, non-streaming):")
    for clients in (32, 64):
        line = f"  {clients} clients: direct {direct_rps[clients]:7.0f}  amux {amux.rps[clients]:7.0f} " \
               f"({amux.rps[clients] / direct_rps[clients]:.2f}x direct)"
        for peer in peers:
            if clients in peer.rps:
                line += f"  {peer.name} {peer.rps[clients]:6.0f} (amux {amux.rps[clients] / peer.rps[clients]:.2f}x)"
        print(line)
    print("\nCPU per request (Anthropic in, under the throughput load): amux "
          + (f"{amux.cpu_ms_per_request:.2f} ms" if amux.cpu_ms_per_request else "n/a")
          + "".join(f", {p.name} {p.cpu_ms_per_request:.2f} ms" for p in peers if p.cpu_ms_per_request))
    print("memory (RSS after the run): amux " + (f"{amux.rss_mb:.0f} MB" if amux.rss_mb else "n/a")
          + "".join(f", {p.name} {p.rss_mb:.0f} MB" for p in peers if p.rss_mb))
    print("64 concurrent streams intact / broken: " + ", ".join(
        f"{f.name} {f.intact[0]}/{f.intact[1]}" for f in [amux, *peers] if f.intact))


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0.001 else "n/a"


async def run(args: argparse.Namespace) -> None:
    upstream = await start_process(sys.executable, __file__, "--serve-upstream",
                                   env={**os.environ, "PYTHONPATH": _pythonpath()})
    procs = [upstream]
    try:
        port = int(await asyncio.wait_for(upstream.stdout.readline(), 60))
        base = f"http://127.0.0.1:{port}/v1"
        direct = Target("direct", None, f"{base}/chat/completions", {},
                        {"Authorization": f"Bearer {UPSTREAM_KEY}"})
        with tempfile.TemporaryDirectory(prefix="amux-bench-") as tmp:
            proc, amux = await start_amux(base, Path(tmp))
            procs.append(proc)
            print(f"amux proxy pid {proc.pid}, idle RSS {rss_mb(proc.pid)[0]:.0f} MB; upstream {base}")
            direct_rps = await direct_throughput(direct, args)
            amux_figures = await measure(amux, direct, args, passthrough=True)
            await stop_process(proc)
            peers = []
            if args.peers:
                from proxy_peers import run_peers

                peers = await run_peers(base, UPSTREAM_KEY, MODEL, Path(tmp),
                                        lambda target: measure(target, direct, args, passthrough=False))
        report(amux_figures, direct_rps, peers)
        check_targets(amux_figures, direct_rps, peers)
    finally:
        for proc in procs:
            await stop_process(proc)


def check_targets(amux: Figures, direct_rps: dict[int, float], peers: list[Figures]) -> None:
    """The targets, as lines to read (a bench never fails a build)."""
    p50, p99 = amux.added["translated json"]
    checks = [
        ("translation adds <= 1.2 ms p50", p50 <= 1.2), ("translation adds <= 5 ms p99", p99 <= 5.0),
        ("<= 10 µs per chunk", (amux.per_chunk_us or 0) <= 10),
        ("passthrough adds < 0.5 ms p50", amux.added["passthrough json"][0] < 0.5),
        ("same-protocol relay adds < 0.5 ms p50", amux.added["same-protocol json"][0] < 0.5),
        ("RSS <= 100 MB", (amux.rss_mb or 0) <= 100),
        ("no lost or interleaved stream", amux.intact is not None and amux.intact[1] == 0),
    ]
    if peers:
        best = max(max(p.rps.values()) for p in peers if p.rps)
        checks.append(("throughput >= fastest peer", max(amux.rps.values()) >= best))
    print("\ntargets: " + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--peers", action="store_true", help="also measure claude-code-router and LiteLLM's proxy")
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream()
        return
    args.requests = 60 if args.quick else 400
    args.total = 400 if args.quick else 3000
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
