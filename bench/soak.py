"""Soak: the amux proxy under mixed traffic for a while, normal and hostile at the same time.

The proxy runs as ``amux proxy`` in its own process (so its memory and descriptors are its own), a
fixture OpenAI-chat upstream in another, and this process drives, all on 127.0.0.1:

* normal      Anthropic Messages translated to the upstream, and OpenAI chat relayed on the fast lane
* streamed    the same, streamed (40 chunks)
* hostile     unauthenticated 60 MiB uploads, malformed and bare-LF heads, '..' paths out of api_base
* slow        clients reading a stream 1 KiB at a time, heads sent a byte per 0.3 s (slowloris)
* silent      a pool of connections that never send a byte, reopened when the proxy closes them
* faults      upstream 500s, connections cut mid-stream, answers that never come (provider timeout 5 s)

First a quiet run (normal traffic alone) gives the p99 to compare with, then the mixed run. Printed:
requests served, errors by class, normal-traffic p50/p99 (quiet vs mixed, and the ratio), the
proxy's RSS at start/peak/end and its open descriptors at start/end. Targets: no 5xx from amux's own
code (a 500; a 502/504 on a fault request is the right answer), p99 <= 3x quiet, RSS growth <= 50 MB,
descriptors back to their start.

Run: ``python bench/soak.py [--duration 600] [--quiet 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from proxy_overhead import rss_mb, serve_until_term, start_process, stop_process  # noqa: E402

UPSTREAM_KEY = "soak-upstream-key"
FAULT_TIMEOUT = 5


def serve_upstream() -> None:
    """``--serve-upstream``: the fixture server; ``fault=...`` in a request picks a misbehaviour."""
    import re

    from upstreams import Reply

    pieces = tuple(f"w{i} " for i in range(40))
    replies = {b"cut": Reply(pieces=pieces, cut_after=5), b"500": Reply.error(500, "scripted upstream failure"),
               b"hang": Reply(hang=True), b"slow": Reply(pieces=pieces, delay=0.02)}
    normal = Reply(pieces=pieces)

    def answer(request) -> Reply:
        found = re.search(rb"fault=(\w+)", request.body)
        return replies.get(found.group(1), normal) if found else normal

    serve_until_term(answer, UPSTREAM_KEY)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class Tally:
    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.normal_ms: list[float] = []

    def note(self, kind: str, status: int | str) -> None:
        self.counts[f"{kind}:{status}"] += 1


class Soak:
    def __init__(self, url: str, token: str, pid: int):
        self.url, self.token, self.pid = url, token, pid
        self.port = int(url.rsplit(":", 1)[1])
        self.anthropic = {"x-api-key": token, "anthropic-version": "2023-06-01"}
        self.chat = {"Authorization": f"Bearer {token}"}

    @staticmethod
    def anthropic_body(text: str, stream: bool) -> dict:
        return {"model": "m", "max_tokens": 100, "stream": stream, "messages": [{"role": "user", "content": text}]}

    @staticmethod
    def chat_body(text: str, stream: bool) -> dict:
        return {"model": "m", "stream": stream, "messages": [{"role": "user", "content": text}]}

    async def normal(self, http: aiohttp.ClientSession, tally: Tally, until: float, stream: bool) -> None:
        turn = 0
        while time.monotonic() < until:
            turn += 1
            translated = turn % 2 == 0
            url = f"{self.url}/v1/messages" if translated else f"{self.url}/fx/chat/completions"
            body = self.anthropic_body("hi", stream) if translated else self.chat_body("hi", stream)
            started = time.perf_counter()
            try:
                async with http.post(url, json=body, headers=self.anthropic if translated else self.chat,
                                     timeout=aiohttp.ClientTimeout(total=30)) as response:
                    data = await response.read()
                    status = response.status
                    if stream and b"w39" not in data:
                        status = f"{status}-incomplete"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status = type(exc).__name__
            if not stream:
                tally.normal_ms.append((time.perf_counter() - started) * 1000)
            tally.note("streamed" if stream else "normal", status)

    async def faults(self, http: aiohttp.ClientSession, tally: Tally, until: float) -> None:
        kinds = ["cut", "500", "hang", "slow"]
        turn = 0
        while time.monotonic() < until:
            kind = kinds[turn % len(kinds)]
            turn += 1
            try:
                async with http.post(f"{self.url}/v1/messages", json=self.anthropic_body(f"fault={kind}", True),
                                     headers=self.anthropic, timeout=aiohttp.ClientTimeout(total=30)) as response:
                    data = await response.read()
                    status = response.status
                    if status == 200 and b"event: error" in data:
                        status = "200-error-event"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status = type(exc).__name__
            tally.note(f"fault-{kind}", status)

    async def raw(self, payload: bytes, *, read_timeout: float = 15) -> str:
        """Send ``payload`` on a new connection; the answer's status (or how the connection ended)."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 10)
        except (OSError, asyncio.TimeoutError) as exc:
            return f"connect-{type(exc).__name__}"
        try:
            writer.write(payload)
            line = await asyncio.wait_for(reader.readline(), read_timeout)
            return line.split(b" ")[1].decode() if line.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")) else "closed"
        except (OSError, asyncio.TimeoutError, IndexError) as exc:
            return type(exc).__name__
        finally:
            writer.close()

    async def hostile(self, tally: Tally, until: float) -> None:
        attacks = {
            "upload-401": b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: amux-nope\r\nContent-Length: 62914560"
                          b"\r\n\r\n" + b" " * 262144,
            "malformed-400": f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: {self.token}\x01\r\n"
                             "Content-Length: 2\r\n\r\n{}".encode(),
            "bare-lf-400": b"GET /fx/models HTTP/1.1\nHost: x\n\n",
            "escape-400": f"GET /fx/%2e%2e/%2e%2e/other/models HTTP/1.1\r\nHost: x\r\n"
                          f"Authorization: Bearer {self.token}\r\n\r\n".encode(),
        }
        turn = 0
        names = list(attacks)
        while time.monotonic() < until:
            name = names[turn % len(names)]
            turn += 1
            tally.note(f"hostile-{name}", await self.raw(attacks[name]))
            await asyncio.sleep(0.02)  # hostile, not a CPU benchmark: ~40 attacks/s per worker

    async def slow_reader(self, tally: Tally, until: float) -> None:
        while time.monotonic() < until:
            body = json.dumps(self.chat_body("fault=slow", True)).encode()
            head = (f"POST /fx/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.token}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=4096)
            except OSError as exc:
                tally.note("slow-reader", type(exc).__name__)
                continue
            try:
                writer.write(head + body)
                got = b""
                for _ in range(400):  # bounded: the answer is ~4 KiB
                    piece = await asyncio.wait_for(reader.read(1024), 15)
                    if not piece or b"0\r\n\r\n" in (got[-8:] + piece):
                        got += piece
                        break
                    got += piece
                    await asyncio.sleep(0.05)
                tally.note("slow-reader", got.split(b" ")[1].decode() if got.startswith(b"HTTP/1.1") else "closed")
            except (OSError, asyncio.TimeoutError) as exc:
                tally.note("slow-reader", type(exc).__name__)
            finally:
                writer.close()

    async def slowloris(self, tally: Tally, until: float) -> None:
        head = b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: amux-nope\r\n" + b"X-Pad: y\r\n" * 200
        while time.monotonic() < until:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError as exc:
                tally.note("slowloris", type(exc).__name__)
                await asyncio.sleep(1)
                continue
            outcome = "never-closed"
            try:
                for index in range(len(head)):  # bounded by the head's length
                    if time.monotonic() >= until:
                        outcome = "soak-ended"
                        break
                    writer.write(head[index:index + 1])
                    await writer.drain()
                    await asyncio.sleep(0.3)
                    if reader.at_eof():
                        outcome = "closed-by-proxy"
                        break
            except OSError:
                outcome = "closed-by-proxy"
            finally:
                writer.close()
            tally.note("slowloris", outcome)

    async def silent(self, tally: Tally, until: float, count: int) -> None:
        sockets: list[socket.socket] = []
        while time.monotonic() < until:
            alive = []
            for sock in sockets:
                try:
                    closed = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if closed:
                    sock.close()
                    tally.note("silent", "closed-by-proxy")
                else:
                    alive.append(sock)
            sockets = alive
            while len(sockets) < count:
                sock = socket.socket()
                sock.setblocking(False)
                try:
                    sock.connect(("127.0.0.1", self.port))
                except BlockingIOError:
                    pass
                sockets.append(sock)
            await asyncio.sleep(1)
        for sock in sockets:
            sock.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


async def run(duration: float, quiet: float, silent: int) -> int:
    with tempfile.TemporaryDirectory(prefix="amux-soak-") as workdir:
        upstream = await start_process(sys.executable, __file__, "--serve-upstream",
                                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        port = int(await asyncio.wait_for(upstream.stdout.readline(), 60))
        config = Path(workdir) / "providers.json"
        config.write_text(json.dumps({"version": 1, "providers": {"fx": {
            "type": "openai", "api_base": f"http://127.0.0.1:{port}/v1", "api_key": UPSTREAM_KEY,
            "api_format": "openai-chat", "params": {"timeout": FAULT_TIMEOUT}}}}))
        proxy = await start_process(sys.executable, "-m", "amux_tui.cli", "proxy", "--config", str(config),
                                    "--provider", "fx", "--model", "m",
                                    env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": workdir,
                                         "AMUX_STATE_DIR": str(Path(workdir) / "state")})
        try:
            ready = json.loads(await asyncio.wait_for(proxy.stdout.readline(), 60))
            soak = Soak(ready["url"], ready["token"], proxy.pid)
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                quiet_tally = Tally()
                until = time.monotonic() + quiet
                await asyncio.gather(*(soak.normal(http, quiet_tally, until, False) for _ in range(4)))
                await asyncio.sleep(1)
                rss_start, fds_start = rss_mb(proxy.pid)[0], open_fds(proxy.pid)
                tally = Tally()
                peak = rss_start
                until = time.monotonic() + duration

                async def sample() -> None:
                    nonlocal peak
                    while time.monotonic() < until:
                        peak = max(peak, rss_mb(proxy.pid)[0])
                        await asyncio.sleep(0.5)

                started = time.monotonic()
                await asyncio.gather(
                    sample(), *(soak.normal(http, tally, until, False) for _ in range(4)),
                    *(soak.normal(http, tally, until, True) for _ in range(2)),
                    *(soak.hostile(tally, until) for _ in range(2)), soak.faults(http, tally, until),
                    *(soak.slow_reader(tally, until) for _ in range(2)), soak.slowloris(tally, until),
                    soak.silent(tally, until, silent))
                elapsed = time.monotonic() - started
            await asyncio.sleep(3)  # clients are gone: the proxy sees every close
            rss_end, fds_end = rss_mb(proxy.pid)[0], open_fds(proxy.pid)
        finally:
            await stop_process(proxy)
            await stop_process(upstream)
    return report(quiet_tally, tally, elapsed, rss_start, peak, rss_end, fds_start, fds_end)


def report(quiet: Tally, mixed: Tally, elapsed: float, rss_start: float, peak: float, rss_end: float,
           fds_start: int, fds_end: int) -> int:
    served = sum(count for key, count in mixed.counts.items() if key.split(":")[1][:1] in "2345")
    print(f"mixed run: {elapsed:.0f} s, {sum(mixed.counts.values())} requests/connections, {served} answered "
          f"({served / elapsed:.0f}/s)")
    print("outcomes by class:")
    for key in sorted(mixed.counts):
        print(f"  {key:<34} {mixed.counts[key]}")
    amux_500 = sum(count for key, count in mixed.counts.items() if key.endswith(":500") and "fault-500" not in key)
    normal_bad = sum(count for key, count in mixed.counts.items()
                     if key.startswith(("normal:", "streamed:")) and not key.endswith(":200"))
    q99, m99 = percentile(quiet.normal_ms, 0.99), percentile(mixed.normal_ms, 0.99)
    print(f"normal latency  quiet: p50 {statistics.median(quiet.normal_ms):.1f} ms p99 {q99:.1f} ms "
          f"({len(quiet.normal_ms)} requests) | mixed: p50 {statistics.median(mixed.normal_ms):.1f} ms "
          f"p99 {m99:.1f} ms ({len(mixed.normal_ms)}) | p99 ratio {m99 / q99:.2f}x (target <= 3)")
    print(f"proxy RSS  start {rss_start:.1f} MB, peak {peak:.1f} MB, end {rss_end:.1f} MB, growth "
          f"{rss_end - rss_start:+.1f} MB (target <= 50)")
    print(f"proxy open fds  start {fds_start}, end {fds_end} (target: back to start)")
    print(f"500s from amux's own code: {amux_500} (target 0); normal/streamed requests not 200: {normal_bad}")
    ok = amux_500 == 0 and normal_bad == 0 and m99 <= 3 * q99 and rss_end - rss_start <= 50 and fds_end <= fds_start
    print("targets:", "met" if ok else "NOT met")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of mixed traffic (default 600)")
    parser.add_argument("--quiet", type=float, default=60.0, help="seconds of the quiet run first (default 60)")
    parser.add_argument("--silent", type=int, default=200, help="silent connections held open (default 200)")
    parser.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream()
        return 0
    # TERM like Ctrl-C: the run is cancelled and its finally stops the proxy and upstream processes
    # (killed outright, they were left running).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return asyncio.run(run(args.duration, args.quiet, args.silent))


if __name__ == "__main__":
    sys.exit(main())
