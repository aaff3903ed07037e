"""Terminal throughput and event-loop lag: amux's pipeline against raw pyte, in one run.

    python bench/terminal_throughput.py [--scale 0.1] [--only text,seq,redraw,colour] [--skip-lag]

Streams (written to a temp dir, replayed through ``cat`` in a PTY, or fed
in-process with ``\\n`` already turned into ``\\r\\n`` as a PTY would):

* text:   20 MB of cat-like text lines (source-code-ish, a little non-ASCII);
* seq:    the output of ``seq 1 2000000``;
* redraw: 10 MB of full-screen repaints with truecolour SGR and cursor moves;
* colour: 10 MB of log-like lines with ~25 % of the words in 16/256/truecolour SGR runs.

Each stream goes through, at 200x50:

* ``pty``:        PtySession + ``cat``, bytes counted, nothing parsed (the ceiling);
* ``pyte``:       raw ``pyte.ByteStream`` + ``pyte.Screen`` in-process (the baseline);
* ``minimal``:    a minimal Textual widget: ptyprocess + add_reader + pyte.Screen;
* ``amux``:       amux's Terminal (PtySession + TerminalScreen with 10 000 lines of scrollback);
* ``amux-view``:  amux's TerminalView in a headless Textual app;
* ``tmux``:       a detached tmux server, same size (a native emulator: a ceiling, for information).

Ratios are against ``pyte`` measured in the same run. Targets: amux end to end
>= 12x pyte on text, >= 6x on colour, >= 2x on seq, >= 1x on redraw. Then the
memory of 10 000 rows of 200-column scrollback (tracemalloc; target <= 6 MB
coloured), then four sessions flood at once in a headless app while a 10 ms
timer measures loop lag (target p99 < 20 ms) and keys are pressed into the
focused session (their echo must come back).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import pyte
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import Grid
from textual.strip import Strip
from textual.widget import Widget

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amux_tui.terminal import PtySession, Terminal  # noqa: E402
from amux_tui.ui.terminal_view import TerminalView  # noqa: E402
from bench.terminal_streams import (  # noqa: E402
    COLUMNS, LINES, NAMES, run_tmux, scrollback_memory, write_streams)

# -- pipelines -------------------------------------------------------------------


async def run_pty(path: Path) -> float:
    session = PtySession(["cat", str(path)], columns=COLUMNS, lines=LINES)
    count = 0

    def counted(data: bytes) -> None:
        nonlocal count
        count += len(data)

    session.on_output = counted
    start = time.perf_counter()
    session.start()
    await session.wait()
    elapsed = time.perf_counter() - start
    await session.close()
    return elapsed


def run_raw_pyte(path: Path) -> float:
    data = path.read_bytes().replace(b"\n", b"\r\n")
    stream = pyte.ByteStream(pyte.Screen(COLUMNS, LINES))
    start = time.perf_counter()
    for offset in range(0, len(data), 65536):
        stream.feed(data[offset:offset + 65536])
    return time.perf_counter() - start


async def run_amux(path: Path) -> float:
    terminal = Terminal(["cat", str(path)], columns=COLUMNS, lines=LINES, scrollback=10_000)
    start = time.perf_counter()
    terminal.start()
    await terminal.wait()
    elapsed = time.perf_counter() - start
    await terminal.close()
    return elapsed


class MinimalTerminal(Widget):
    """What a first attempt looks like: read, feed pyte, refresh, render every cell."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__()
        self.argv = argv
        self.screen_model = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen_model)
        self.done = asyncio.Event()
        self._styles: dict[tuple, Style] = {}

    def on_mount(self) -> None:
        import ptyprocess

        self.process = ptyprocess.PtyProcess.spawn(self.argv, dimensions=(LINES, COLUMNS))
        os.set_blocking(self.process.fd, False)
        asyncio.get_running_loop().add_reader(self.process.fd, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.process.fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.process.fd)
            self.process.fileobj.close()
            self.process.closed = True
            os.waitpid(self.process.pid, 0)
            self.done.set()
            return
        self.stream.feed(data)
        self.refresh()

    def _style(self, char: pyte.screens.Char) -> Style:
        key = char[1:]
        style = self._styles.get(key)
        if style is None:
            def colour(value: str) -> str | None:
                if value == "default":
                    return None
                return f"#{value}" if len(value) == 6 and value.isalnum() else None
            style = self._styles[key] = Style(color=colour(char.fg), bgcolor=colour(char.bg), bold=char.bold)
        return style

    def render_line(self, y: int) -> Strip:
        if y >= LINES:
            return Strip.blank(self.size.width)
        line = self.screen_model.buffer[y]
        segments = [Segment(line[x].data or "", self._style(line[x])) for x in range(COLUMNS)]
        return Strip(segments).adjust_cell_length(self.size.width)


class OneApp(App):
    CSS = "Screen { layout: vertical; } * { width: 200; height: 50; }"

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


async def run_minimal(path: Path) -> float:
    widget = MinimalTerminal(["cat", str(path)])
    app = OneApp(widget)
    async with app.run_test(size=(COLUMNS, LINES)):
        start = time.perf_counter()
        await widget.done.wait()
        return time.perf_counter() - start


async def run_amux_view(path: Path) -> float:
    view = TerminalView(["cat", str(path)], scrollback=10_000)
    exited = asyncio.Event()
    view.terminal.on_exit = lambda code, original=view.terminal.on_exit: (original(code), exited.set())
    app = OneApp(view)
    async with app.run_test(size=(COLUMNS, LINES)):
        start = time.perf_counter()
        while not view.terminal.running and view.terminal.exit_code is None:
            await asyncio.sleep(0.001)
        start = min(start, time.perf_counter())
        await exited.wait()
        return time.perf_counter() - start


# -- lag with four floods -------------------------------------------------------------

FLOOD_AND_ECHO = r"""
import os, select, sys, time, tty
tty.setraw(0)
receipts = open(sys.argv[1], "a", buffering=1)
line = (b"flooding the terminal with text " * 6)[:190] + b"\r\n"
block = line * 200
while True:
    ready, _, _ = select.select([0], [1], [])
    if 0 in ready:
        data = os.read(0, 64)
        receipts.write(f"{data.hex()} {time.monotonic()}\n")
        os.write(1, b"\r\nKEY " + data.hex().encode() + b"\r\n")
        if data == b"q":
            break
    if 1 in ready:
        os.write(1, block)
"""


class FourApp(App):
    CSS = "Grid { grid-size: 2 2; } TerminalView { width: 1fr; height: 1fr; }"

    def __init__(self, views: list[TerminalView]) -> None:
        super().__init__()
        self.views = views

    def compose(self) -> ComposeResult:
        with Grid():
            yield from self.views


def key_seen(view: TerminalView, hex_text: str) -> bool:
    """Whether the echo of a key is on screen or in the last 300 rows of history."""
    screen = view.terminal.screen
    recent = [screen.line_text(row, screen.columns) for row in islice(reversed(screen.history.rows), 300)]
    return any(f"KEY {hex_text}" in line for line in recent + screen.display)


def receipt_time(path: Path, hex_text: str) -> float | None:
    """When the focused program read the key (its time.monotonic(), same clock as ours)."""
    try:
        for line in path.read_text().splitlines():
            key, _, when = line.partition(" ")
            if key == hex_text:
                return float(when)
    except OSError:
        pass
    return None


async def idle_lag(seconds: float) -> list[float]:
    """The same timer with four idle views: what this machine's load alone costs."""
    app = FourApp([TerminalView(["sleep", "60"]) for _ in range(4)])
    lags: list[float] = []
    async with app.run_test(size=(COLUMNS, LINES)):
        await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)
        for view in app.views:
            await view.close(grace=0.2)
    return lags


async def run_lag(seconds: float, text_path: Path) -> dict[str, list[float]]:
    """Four views flooding: timer lag, and keys pressed into the focused one (its program
    floods too and notes when each key arrives in a file, on the same monotonic clock)."""
    receipts = text_path.parent / "receipts.txt"
    flooders = [TerminalView(["sh", "-c", f"while :; do cat '{text_path}'; done"]) for _ in range(3)]
    focused = TerminalView([sys.executable, "-c", FLOOD_AND_ECHO, str(receipts)])
    app = FourApp([focused, *flooders])
    lags: list[float] = []
    shown: list[float] = []
    sent_keys: list[tuple[str, float]] = []

    async def sample(until: float) -> None:
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    async with app.run_test(size=(COLUMNS, LINES)) as pilot:
        focused.focus()
        await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        sampler = asyncio.create_task(sample(end))
        waiting: list[tuple[str, float]] = []
        keys = iter("abcdefghijklmnopqrstuvwxyz")
        next_key = loop.time() + 0.5
        while loop.time() < end:
            await asyncio.sleep(0.02)
            if loop.time() >= next_key:
                char = next(keys, None)
                if char is not None:
                    sent_keys.append((char.encode().hex(), time.monotonic()))
                    waiting.append(sent_keys[-1])
                    await pilot.press(char)
                next_key = loop.time() + 0.5
            for item in list(waiting):
                if key_seen(focused, item[0]):
                    shown.append(time.monotonic() - item[1])
                    waiting.remove(item)
        await sampler
        for view in [focused, *flooders]:
            await view.close(grace=0.2)
    received = []
    for hex_text, sent in sent_keys:
        when = receipt_time(receipts, hex_text)
        if when is not None:
            received.append(when - sent)
    return {"lag": lags, "received": received, "shown": shown,
            "missed": [float(len(sent_keys) - len(received))]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="stream size factor (0.1 for a quick run)")
    parser.add_argument("--only", default=",".join(NAMES), help="comma-separated streams")
    parser.add_argument("--skip-memory", action="store_true", help="skip the scrollback memory measure")
    parser.add_argument("--skip-lag", action="store_true", help="skip the four-session lag test")
    parser.add_argument("--lag-seconds", type=float, default=8.0)
    args = parser.parse_args()
    only = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_streams(Path(tmp), args.scale, only | ({"text"} if not args.skip_lag else set()))
        print(f"screen {COLUMNS}x{LINES}, scale {args.scale}, {os.cpu_count()} cores\n")
        print(f"{'stream':8} {'MB':>6} {'pty':>8} {'pyte':>7} {'minimal':>8} {'amux':>7} {'view':>7} {'tmux':>7}"
              f"  {'amux/pyte':>9} {'view/pyte':>9} {'min/pyte':>8}")
        for name in NAMES:
            if name not in only:
                continue
            path = paths[name]
            size = path.stat().st_size / 1e6
            rates = {
                "pty": size / await run_pty(path),
                "pyte": size / run_raw_pyte(path),
                "minimal": size / await run_minimal(path),
                "amux": size / await run_amux(path),
                "view": size / await run_amux_view(path),
            }
            tmux_time = run_tmux(path)
            tmux = f"{size / tmux_time:7.2f}" if tmux_time else f"{'-':>7}"
            base = rates["pyte"]
            print(f"{name:8} {size:6.1f} {rates['pty']:8.1f} {rates['pyte']:7.2f} {rates['minimal']:8.2f} "
                  f"{rates['amux']:7.2f} {rates['view']:7.2f} {tmux}  {rates['amux'] / base:8.2f}x "
                  f"{rates['view'] / base:8.2f}x {rates['minimal'] / base:7.2f}x", flush=True)
        print("(MB/s; targets: amux >= 12x pyte on text, >= 6x on colour, >= 2x on seq, >= 1x on redraw;"
              " tmux for information)")
        if not args.skip_memory:
            memory = scrollback_memory()
            print(f"\n10 000 rows x {COLUMNS} columns through a screen (tracemalloc): coloured {memory['coloured']:.1f} MB, "
                  f"of which scrollback {memory['coloured history']:.1f} MB (target <= 6 MB); plain {memory['plain']:.1f} MB, "
                  f"scrollback {memory['plain history']:.1f} MB", flush=True)
        if not args.skip_lag:
            idle = await idle_lag(min(args.lag_seconds, 4.0))
            print(f"\nfour idle sessions: loop lag of a 10 ms timer p50 {statistics.median(idle) * 1000:.1f} ms, "
                  f"p99 {percentile(idle, 0.99) * 1000:.1f} ms (this machine's own noise)")
            result = await run_lag(args.lag_seconds, paths["text"])
            lags = result["lag"]
            print(f"four sessions flooding for {args.lag_seconds:.0f} s: loop lag of a 10 ms timer "
                  f"({len(lags)} samples) p50 {statistics.median(lags) * 1000:.1f} ms, p99 {percentile(lags, 0.99) * 1000:.1f} ms, "
                  f"max {max(lags) * 1000:.1f} ms (target p99 < 20 ms)")
            received, shown = result["received"], result["shown"]
            if received:
                print(f"keys into the focused session: {len(received)} received by the program, "
                      f"{int(result['missed'][0])} not; press to read p50 {statistics.median(received) * 1000:.0f} ms, "
                      f"max {max(received) * 1000:.0f} ms")
            if shown:
                print(f"  its echo on screen behind the flood: p50 {statistics.median(shown) * 1000:.0f} ms, "
                      f"max {max(shown) * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
