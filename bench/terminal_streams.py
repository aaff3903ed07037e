"""The byte streams bench/terminal_throughput.py replays, and the two measures it takes
outside the event loop: tmux's time for a stream (an informational ceiling from a native
emulator) and the memory 10 000 rows of scrollback cost (tracemalloc).

All streams are generated from a fixed seed, so every run (and every machine) gets the
same bytes.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

COLUMNS, LINES = 200, 50
WORDS = (
    "def return self import from class value result None True False for in if else elif while "
    "async await yield lambda with as try except raise data config request response stream "
    "token model provider session terminal screen buffer cursor line column width height"
).split()
NAMES = ("text", "seq", "redraw", "colour")


def make_text(size: int, rng: random.Random) -> bytes:
    lines, total = [], 0
    while total < size:
        indent = " " * (4 * rng.randint(0, 3))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 14)))
        if rng.random() < 0.02:
            words += " # caf\u00e9 \u2014 \u2192 ok"
        line = (indent + words)[:120]
        lines.append(line)
        total += len(line.encode()) + 1
    return ("\n".join(lines) + "\n").encode()


def make_redraw(size: int, rng: random.Random) -> bytes:
    palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(48)]
    frames, total = [], 0
    while total < size:
        parts = ["\x1b[?25l"]
        for row in range(1, LINES + 1):
            parts.append(f"\x1b[{row};1H")
            column = 0
            while column < COLUMNS:
                width = min(rng.randint(2, 14), COLUMNS - column)
                fg = rng.choice(palette)
                text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_(). ") for _ in range(width))
                if rng.random() < 0.3:
                    bg = rng.choice(palette)
                    parts.append(f"\x1b[38;2;{fg[0]};{fg[1]};{fg[2]};48;2;{bg[0]};{bg[1]};{bg[2]}m{text}")
                else:
                    parts.append(f"\x1b[38;2;{fg[0]};{fg[1]};{fg[2]}m{text}")
                column += width
            parts.append("\x1b[0m")
        parts.append("\x1b[?25h")
        frame = "".join(parts).encode()
        frames.append(frame)
        total += len(frame)
    return b"".join(frames)


def _colour_sgr(rng: random.Random, palette: list[tuple[int, int, int]]) -> str:
    """One SGR opening a coloured run: 16-colour (sometimes bold), 256-colour or truecolour."""
    kind = rng.random()
    if kind < 0.4:
        code = rng.choice((31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96))
        return f"\x1b[1;{code}m" if rng.random() < 0.3 else f"\x1b[{code}m"
    if kind < 0.7:
        return f"\x1b[38;5;{rng.randrange(16, 256)}m"
    r, g, b = rng.choice(palette)
    return f"\x1b[38;2;{r};{g};{b}m"


def coloured_line(rng: random.Random, palette: list[tuple[int, int, int]], width: int) -> str:
    """A line of words, about a quarter of them in a coloured run (then SGR 0), up to ``width`` cells."""
    parts, used = [], 0
    while True:
        word = rng.choice(WORDS)
        if used + len(word) + 1 > width:
            break
        if rng.random() < 0.25:
            parts.append(f"{_colour_sgr(rng, palette)}{word}\x1b[0m")
        else:
            parts.append(word)
        used += len(word) + 1
        if used > width // 3 and rng.random() < 0.08:
            break
    return " ".join(parts)


def make_colour(size: int, rng: random.Random) -> bytes:
    """Log/compiler-like output: lines of words with ~25 % of the words coloured."""
    palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(64)]
    lines, total = [], 0
    while total < size:
        line = coloured_line(rng, palette, 160)
        lines.append(line)
        total += len(line.encode()) + 1
    return ("\n".join(lines) + "\n").encode()


def write_streams(directory: Path, scale: float, only: set[str]) -> dict[str, Path]:
    rng = random.Random(20261126)
    paths: dict[str, Path] = {}
    if "text" in only:
        paths["text"] = directory / "text.txt"
        paths["text"].write_bytes(make_text(int(20_000_000 * scale), rng))
    if "seq" in only:
        paths["seq"] = directory / "seq.txt"
        paths["seq"].write_bytes(subprocess.run(["seq", "1", str(int(2_000_000 * scale))],
                                                capture_output=True, check=True).stdout)
    if "redraw" in only:
        paths["redraw"] = directory / "redraw.bin"
        paths["redraw"].write_bytes(make_redraw(int(10_000_000 * scale), rng))
    if "colour" in only:
        paths["colour"] = directory / "colour.txt"
        paths["colour"].write_bytes(make_colour(int(10_000_000 * scale), random.Random(20261205)))
    return paths


def run_tmux(path: Path) -> float | None:
    """Seconds tmux (detached, no client, same size, 10 000 lines of history) takes to
    take in ``cat path``; None without tmux. A private server socket and no config."""
    if shutil.which("tmux") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        socket = str(Path(tmp) / "bench.sock")
        tmux = ["tmux", "-S", socket, "-f", os.devnull]
        env = {**os.environ, "TERM": "xterm-256color"}
        env.pop("TMUX", None)
        command = f"cat '{path}'; tmux -S '{socket}' wait-for -S done"
        start = time.perf_counter()
        # One command queue: a server started alone would exit before the session came.
        subprocess.run([*tmux, "start-server", ";", "set", "-g", "history-limit", "10000", ";",
                        "new-session", "-d", "-x", str(COLUMNS), "-y", str(LINES), command],
                       check=True, env=env)
        subprocess.run([*tmux, "wait-for", "done"], check=True, env=env)
        elapsed = time.perf_counter() - start
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True)
        return elapsed


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def scrollback_memory(rows: int = 10_000) -> dict[str, float]:
    """MB a screen allocates while taking in ``rows`` + a screenful of 200-column rows
    (tracemalloc), and how much of it is the scrollback (the same without one):
    coloured rows, then the same rows plain."""
    from amux_tui.terminal import TerminalScreen, TerminalStream

    rng = random.Random(7)
    palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(64)]
    coloured = []
    for _ in range(rows + LINES):
        line = coloured_line(rng, palette, COLUMNS)
        coloured.append(line + "-" * (COLUMNS - len(_SGR.sub("", line))))  # every column written
    results = {}
    for name, lines in (("coloured", coloured), ("plain", [_SGR.sub("", line) for line in coloured])):
        data = "\r\n".join(lines) + "\r\n"
        used = []
        for scrollback in (rows, 0):
            tracemalloc.start()
            screen = TerminalScreen(COLUMNS, LINES, scrollback=scrollback)
            stream = TerminalStream(screen)
            for offset in range(0, len(data), 16384):
                stream.feed_text(data[offset:offset + 16384])
            used.append(tracemalloc.get_traced_memory()[0] / 1e6)
            tracemalloc.stop()
            assert len(screen.history) == scrollback
            del screen, stream
        results[name] = used[0]
        results[name + " history"] = used[0] - used[1]
    return results
