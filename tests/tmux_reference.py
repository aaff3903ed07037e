"""Run one program in amux's terminal core and in tmux, a reference emulator, and compare them.

The same real program in both, the same size, the same keys, then text, attributes, cursor and
modes compared at settled points (tests/test_terminal_vs_tmux*.py).

Both sides run the program under ``env -i`` with one fresh environment (HOME in a temp dir,
TERM=xterm-256color, LANG=C.UTF-8), so neither sees TMUX or TERM_PROGRAM. tmux answers colour
queries from ``window-style`` when no client is attached, so it gets amux's default colours.
tmux's screen is read with ``capture-pane -e`` and parsed here (SGR only), its cursor and modes
with ``display -p``. capture-pane does not report the cells after the last one written on a row,
so the colour an erase or a scroll leaves there (back-colour erase) is compared only as "blank".
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from amux_tui.terminal.cells import ANSI_NAMES, colour_256, describe
from amux_tui.terminal.colors import TerminalColors
from amux_tui.terminal.graphemes import cluster_width
from amux_tui.terminal.terminal import Terminal

FIXTURES = Path(__file__).parent / "fixtures" / "terminal"
COLUMNS, LINES = 80, 24
COLOURS = TerminalColors()



def require_tool(name: str) -> None:
    """Skip without ``name`` locally; in CI (.ci/run installs tmux, vim and less) fail instead."""
    if shutil.which(name) is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=False)
def tmux_installed() -> None:
    require_tool("tmux")


needs_tmux = pytest.mark.usefixtures("tmux_installed")

# Attributes compared per cell: fg, bg, bold, dim, italics, underscore, blink, reverse, strike, conceal.
DEFAULT_ATTRS = ("default", "default", False, False, False, False, False, False, False, False)
_FLAG_INDEX = {1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 7: 7, 9: 8, 8: 9}
_OFF = {22: (2, 3), 23: (4,), 24: (5,), 25: (6,), 27: (7,), 29: (8,), 28: (9,)}
_SGR_OR_TEXT = re.compile(r"\x1b\[([0-9;:]*)m|([^\x1b])")
# capture-pane writes line-drawing cells as SO, the DEC special graphics letter, SI.
_LINE_DRAWING = dict(zip("jklmnqtuvwx", "\u2518\u2510\u250c\u2514\u253c\u2500\u251c\u2524\u2534\u252c\u2502"))


def _colour(codes: list[str], i: int) -> tuple[str | None, int]:
    """38/48 followed by 5;n or 2;r;g;b at ``codes[i]``: (colour, codes used)."""
    if codes[i] == "5":
        n = int(codes[i + 1])
        return (ANSI_NAMES[n] if n < 16 else colour_256(n)), 2
    r, g, b = (int(c) for c in codes[i + 1:i + 4])
    return f"{r:02x}{g:02x}{b:02x}", 4


def _apply(attrs: list, params: str) -> None:
    codes = params.split(";") if params else ["0"]
    i = 0
    while i < len(codes):
        code = codes[i]
        i += 1
        if ":" in code:  # tmux writes underline styles as 4:n
            head, _, style = code.partition(":")
            if head == "4":
                attrs[5] = style != "0"
            continue
        n = int(code or 0)
        if n == 0:
            attrs[:] = DEFAULT_ATTRS
        elif n in _FLAG_INDEX:
            attrs[_FLAG_INDEX[n]] = True
        elif n in _OFF:
            for index in _OFF[n]:
                attrs[index] = False
        elif n in (38, 48):
            colour, used = _colour(codes, i)
            attrs[0 if n == 38 else 1] = colour
            i += used
        elif 30 <= n <= 37 or 90 <= n <= 97:
            attrs[0] = ANSI_NAMES[n - 30 if n < 90 else n - 82]
        elif 40 <= n <= 47 or 100 <= n <= 107:
            attrs[1] = ANSI_NAMES[n - 40 if n < 100 else n - 92]
        elif n == 39:
            attrs[0] = "default"
        elif n == 49:
            attrs[1] = "default"


def parse_capture(captured: str) -> list[list[tuple[str, tuple]]]:
    """``capture-pane -p -e -N`` output as rows of (character, attributes), padded to the width."""
    attrs = list(DEFAULT_ATTRS)
    rows = []
    line_drawing = False
    for line in captured.split("\n")[:LINES]:
        cells, width = [], 0
        for match in _SGR_OR_TEXT.finditer(line):
            if match.group(2) is None:
                _apply(attrs, match.group(1))
                continue
            char = match.group(2)
            if char in "\x0e\x0f":
                line_drawing = char == "\x0e"
                continue
            if line_drawing:
                char = _LINE_DRAWING.get(char, char)
            if cluster_width(char) == 0 and cells:  # a combining mark joins the cell before
                cells[-1] = (cells[-1][0] + char, cells[-1][1])
                continue
            cells.append((char, tuple(attrs)))
            width += max(1, cluster_width(char))
        cells += [(" ", None)] * (COLUMNS - width)
        rows.append(cells)
    return rows


def same_cell(ours: tuple[str, tuple], theirs: tuple[str, tuple | None]) -> bool:
    """Whether amux's cell matches tmux's. Past the last written cell of a row capture-pane
    reports nothing (attributes None), not even the colour an erase left there: amux's
    cell must then be blank with no attributes but a background (checked by
    test_terminal_xterm_exact.py instead)."""
    if theirs[1] is not None:
        return ours == theirs
    return ours[0] == " " and ours[1][0] == "default" and not any(ours[1][2:])


def amux_rows(terminal: Terminal) -> list[list[tuple[str, tuple]]]:
    screen = terminal.screen
    rows = []
    for y in range(screen.lines):
        cells = []
        for x in range(screen.columns):
            cell = describe(screen.buffer[y][x])
            if cell.data == "":
                continue  # the right half of a wide character
            cells.append((cell.data, (cell.fg, cell.bg, cell.bold, cell.dim, cell.italics, cell.underscore,
                                      cell.blink, cell.reverse, cell.strikethrough, cell.conceal)))
        rows.append(cells)
    return rows


_TMUX_STATE = ("#{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on} #{keypad_cursor_flag} #{keypad_flag} "
               "#{mouse_standard_flag} #{mouse_button_flag} #{mouse_all_flag} #{mouse_sgr_flag} #{insert_flag} "
               "#{wrap_flag} #{origin_flag} #{scroll_region_upper} #{scroll_region_lower}")
STATE_NAMES = ("cursor x", "cursor y", "cursor visible", "alternate screen", "application cursor keys",
               "application keypad", "mouse 1000", "mouse 1002", "mouse 1003", "mouse sgr", "insert mode",
               "autowrap", "origin mode", "region top", "region bottom")


def amux_state(terminal: Terminal) -> dict[str, int]:
    screen, modes = terminal.screen, terminal.screen.modes
    top, bottom = (screen.margins.top, screen.margins.bottom) if screen.margins else (0, screen.lines - 1)
    # xterm keeps the cursor on the last column while a wrap is pending (and reports it there);
    # amux notes the pending wrap as x == columns. tmux agrees with xterm.
    values = (min(screen.cursor.x, screen.columns - 1), screen.cursor.y, 25 in modes.enabled,
              screen.in_alternate_screen, modes.application_cursor_keys, modes.application_keypad,
              modes.mouse_tracking == 1000, modes.mouse_tracking == 1002, modes.mouse_tracking == 1003,
              modes.mouse_sgr, 4 in modes.ansi_enabled, 7 in modes.enabled, 6 in modes.enabled, top, bottom)
    return dict(zip(STATE_NAMES, map(int, values)))


class Pair:
    """One program running in amux's Terminal and in a private tmux server."""

    def __init__(self, argv: list[str], home: Path, cwd: Path) -> None:
        env = {"HOME": str(home), "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "COLORTERM": "truecolor", "LESSHISTFILE": "-",
               "PYTHONDONTWRITEBYTECODE": "1"}
        self.command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv]
        self.socket = str(home.parent / "tmux.sock")
        self.cwd = cwd
        self.terminal = Terminal(self.command, cwd=cwd, columns=COLUMNS, lines=LINES, colors=COLOURS)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, "-f", os.devnull, *args], check=True,
                              capture_output=True, text=True, cwd=self.cwd).stdout

    def start(self) -> None:
        style = f"fg={COLOURS.foreground},bg={COLOURS.background}"
        self.tmux("start-server", ";", "set", "-g", "window-style", style, ";",
                  "set", "-g", "default-terminal", "xterm-256color", ";", "set", "-g", "history-limit", "0", ";",
                  "new-session", "-d", "-x", str(COLUMNS), "-y", str(LINES), "-c", str(self.cwd), "--", *self.command)
        self.terminal.start()

    async def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)
        await self.terminal.close(grace=0.2)

    def send(self, keys: str) -> None:
        """The same bytes to both: raw bytes for tmux (-H), literal text for non-ASCII."""
        self.terminal.send_text(keys)
        if keys.isascii():
            self.tmux("send-keys", "-t", "0", "-H", *(f"{byte:02x}" for byte in keys.encode()))
        else:
            self.tmux("send-keys", "-t", "0", "-l", keys)

    def tmux_view(self) -> tuple[list, dict[str, int]]:
        rows = parse_capture(self.tmux("capture-pane", "-p", "-e", "-N", "-t", "0"))
        state = dict(zip(STATE_NAMES, map(int, self.tmux("display", "-p", "-t", "0", _TMUX_STATE).split())))
        # tmux says x == width while a wrap is pending; xterm keeps the cursor on the last column.
        state["cursor x"] = min(state["cursor x"], COLUMNS - 1)
        return rows, state

    async def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until neither side has changed for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        last, since, end = None, loop.time(), loop.time() + timeout
        while loop.time() < end:
            await asyncio.sleep(0.06)
            now = (self.tmux_view(), amux_rows(self.terminal), amux_state(self.terminal), self.terminal._queued)
            if now != last:  # (a change of what tmux leaves unreported shows on amux's side)
                last, since = now, loop.time()
            elif loop.time() - since >= quiet:
                return

    async def compare(self, label: str) -> str:
        """Compare both screens; amux's text (for the test to check it is what it meant to see)."""
        await self.settle()
        rows, state = self.tmux_view()
        ours = amux_rows(self.terminal)
        for y in range(LINES):
            if len(ours[y]) != len(rows[y]) or not all(map(same_cell, ours[y], rows[y])):
                x = next((i for i, (a, b) in enumerate(zip(ours[y], rows[y])) if not same_cell(a, b)),
                         min(len(ours[y]), len(rows[y])))
                pytest.fail(f"{label}: row {y} differs at cell {x}\n amux: {''.join(c for c, _ in ours[y])!r}\n"
                            f" tmux: {''.join(c for c, _ in rows[y])!r}\n amux cell {ours[y][x:x + 1]}\n"
                            f" tmux cell {rows[y][x:x + 1]}")
        ours_state = amux_state(self.terminal)
        differing = {name: (ours_state[name], state[name]) for name in STATE_NAMES if ours_state[name] != state[name]}
        assert not differing, f"{label}: (amux, tmux) {differing}"
        return "\n".join(self.terminal.screen.display)



def fresh_pairs(tmp_path: Path):
    """A starter of pairs in ``tmp_path`` (one fresh HOME) and the list to close at the end."""
    pairs: list[Pair] = []

    def start(argv: list[str], cwd: Path | None = None) -> Pair:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        pair = Pair(argv, home, cwd or tmp_path)
        pair.start()
        pairs.append(pair)
        return pair

    return start, pairs
