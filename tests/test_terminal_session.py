"""Terminal: PTY + screen + stream, with real programs; callbacks and flow control."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from amux_tui import __version__
from amux_tui.terminal.colors import TerminalColors
from amux_tui.terminal.terminal import Terminal

FIXTURES = Path(__file__).parent / "fixtures" / "terminal"


async def wait_until(predicate, timeout: float = 15.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


def screen_text(terminal: Terminal) -> str:
    lines = [line.rstrip() for line in terminal.screen.history_text()]
    lines += [line.rstrip() for line in terminal.screen.display]
    return "\n".join(lines)


async def test_queries_are_answered_through_the_pty() -> None:
    terminal = Terminal(
        [sys.executable, str(FIXTURES / "query_terminal.py")], columns=60, lines=12,
        colors=TerminalColors(background="#102030"),
    )
    terminal.start()
    try:
        code = await asyncio.wait_for(terminal.wait(), 20)
        assert code == 0
        text = screen_text(terminal)
        assert "DONE" in text
        assert "MISSING" not in text
        assert "ANSWER '\\x1b[?62;22c'" in text
        assert "ANSWER '\\x1b[2;3R'" in text  # after "hello\r\nxy"
        assert "ANSWER '\\x1b]11;rgb:1010/2020/3030\\x07'" in text
        assert f"amux({__version__})" in text
        assert "ANSWER '\\x1b[?2026;2$y'" in text
    finally:
        await terminal.close()


async def test_callbacks_title_busy_frames_and_exit() -> None:
    script = (
        "import sys, time\n"
        "w = sys.stdout.write\n"
        "w('\\x1b]0;my title\\x07\\x1b]7501;state=working\\x07busy\\r\\n'); sys.stdout.flush()\n"
        "time.sleep(0.2)\n"
        "w('\\x1b]7501;state=idle\\x07idle\\r\\n'); sys.stdout.flush()\n"
        "time.sleep(0.2)\n"
        "raise SystemExit(7)\n"
    )
    terminal = Terminal([sys.executable, "-c", script], columns=40, lines=5)
    titles: list[str] = []
    busy: list[bool] = []
    exits: list[int] = []
    frames: list[int] = []
    terminal.on_title = titles.append
    terminal.on_busy = busy.append
    terminal.on_exit = exits.append
    terminal.on_frame = lambda: frames.append(1)
    terminal.start()
    try:
        assert await asyncio.wait_for(terminal.wait(), 15) == 7
        assert titles == ["my title"]
        assert busy == [True, False]
        assert exits == [7]
        assert frames
        assert "idle" in screen_text(terminal)
    finally:
        await terminal.close()


async def test_flood_is_parsed_completely_with_backpressure() -> None:
    lines = 200_000
    terminal = Terminal(["seq", "1", str(lines)], columns=40, lines=10, scrollback=50)
    terminal.start()
    try:
        assert await asyncio.wait_for(terminal.wait(), 60) == 0
        rows = [line.rstrip() for line in terminal.screen.display if line.strip()]
        assert rows[-1] == str(lines)
        assert terminal.screen.history_text()[-1] == str(lines - len(rows))
        assert len(terminal.screen.history) == 50
    finally:
        await terminal.close()


async def test_a_coloured_flood_ends_as_the_same_bytes_fed_at_once(tmp_path: Path) -> None:
    """Output parsed in slices, rows left lazy within a turn, lines cut by slices held
    back: every frame sees finished rows, and the end is cell for cell what one feed gives."""
    import random

    from amux_tui.terminal import TerminalScreen, TerminalStream
    from amux_tui.terminal.lines import row_cells

    rng = random.Random(5)
    words = ["alpha", "beta", "\x1b[31mred\x1b[0m", "\x1b[38;5;208morange\x1b[0m", "\x1b[1;44mbold\x1b[0m", "caf\u00e9"]
    text = "".join(" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) + "\n" for _ in range(20_000))
    path = tmp_path / "flood.txt"
    path.write_text(text)
    terminal = Terminal(["cat", str(path)], columns=80, lines=20, scrollback=30_000)
    lazy_seen = []
    terminal.on_frame = lambda: lazy_seen.append(any(line.lazy for line in terminal.screen.buffer))
    terminal.start()
    try:
        assert await asyncio.wait_for(terminal.wait(), 60) == 0
    finally:
        await terminal.close()
    expected = TerminalScreen(80, 20, scrollback=30_000)
    TerminalStream(expected).feed(text.replace("\n", "\r\n").encode())
    screen = terminal.screen
    assert lazy_seen and not any(lazy_seen)
    assert [screen.buffer[y] for y in range(20)] == [expected.buffer[y] for y in range(20)]
    # (a row's history form depends on the path that wrote it; its cells may not)
    assert [row_cells(row, 80) for row in screen.history] == [row_cells(row, 80) for row in expected.history]
    assert screen.cursor.x == expected.cursor.x and screen.cursor.y == expected.cursor.y


async def test_keys_paste_and_focus_reach_the_program() -> None:
    script = (
        "import os, sys, tty\n"
        "tty.setraw(0)\n"
        "os.write(1, b'\\x1b[?2004h\\x1b[?1004h\\x1b[?1hREADY\\r\\n')\n"
        "data = b''\n"
        "while b'END' not in data:\n"
        "    data += os.read(0, 1024)\n"
        "os.write(1, repr(data).encode() + b'\\r\\n')\n"
    )
    terminal = Terminal([sys.executable, "-c", script], columns=120, lines=6)
    terminal.start()
    try:
        await wait_until(lambda: "READY" in screen_text(terminal))
        assert terminal.send_key("up")  # application cursor mode: SS3 A
        assert terminal.send_key("ctrl+c")
        terminal.paste("one\ntwo")
        assert terminal.send_focus(False)
        terminal.send_text("END")
        assert await asyncio.wait_for(terminal.wait(), 15) == 0
        expected = repr(b"\x1bOA\x03\x1b[200~one\rtwo\x1b[201~\x1b[OEND")
        assert expected in screen_text(terminal)
    finally:
        await terminal.close()


async def test_synchronized_output_holds_the_frame() -> None:
    terminal = Terminal(columns=20, lines=3)
    frames: list[str] = []
    terminal.on_frame = lambda: frames.append(terminal.screen.display[0].rstrip())
    terminal.feed(b"\x1b[?2026hhalf")
    assert frames == []
    terminal.feed(b" done\x1b[?2026l")
    assert frames == ["half done"]
    terminal.feed(b"\x1b[?2026hlate")
    await asyncio.sleep(0.3)  # the end mark never comes: the frame is shown anyway
    assert frames[-1] == "half donelate"


async def test_a_program_that_cannot_start_exits_127_with_the_reason() -> None:
    terminal = Terminal(["amux-no-such-command-xyz"], columns=60, lines=4)
    exits: list[int] = []
    terminal.on_exit = exits.append
    terminal.start()
    assert await asyncio.wait_for(terminal.wait(), 5) == 127
    assert exits == [127]
    assert "cannot start amux-no-such-command-xyz" in screen_text(terminal)
    assert await terminal.close() == 127
