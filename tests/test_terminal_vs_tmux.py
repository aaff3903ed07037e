"""amux's terminal core against tmux with real programs: vim, less, a curses program, bash.

Each test runs the program in both at 80x24 with the same keys and compares text, attributes,
cursor and modes at settled points (see tests/tmux_reference.py). The programs are chosen to
stay where tmux 3.3 and xterm agree; hand-written sequences where they do not are in
tests/test_terminal_vs_tmux_sequences.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tmux_reference import FIXTURES, fresh_pairs, needs_tmux, require_tool, tmux_installed  # noqa: F401

pytestmark = needs_tmux


@pytest.fixture
async def run(tmp_path: Path):
    start, pairs = fresh_pairs(tmp_path)
    yield start
    for pair in pairs:
        await pair.close()


def source_file(path: Path, lines: int = 160) -> Path:
    """A Python file for vim's syntax colours and less's pages."""
    body = []
    for n in range(lines):
        if n % 12 == 0:
            body.append(f"def function_{n}(value: int = {n}) -> str:")
            body.append(f'    """Docstring number {n}: the quick brown fox jumps over the lazy dog."""')
        elif n % 5 == 0:
            body.append(f"    # comment {n} with a TODO and a long tail " + "-" * (n % 40))
        else:
            body.append(f"    result_{n} = compute({n}, 'text {n}', [1, 2, 3]) + {n * 7}")
    path.write_text("\n".join(body) + "\n")
    return path


async def test_colour_queries_get_the_same_answers(run) -> None:
    script = ("import os, select, tty; tty.setraw(0); os.write(1, b'\\x1b]10;?\\x07\\x1b]11;?\\x1b\\\\');"
              "r = b''\nwhile r.count(b'rgb:') < 2 and select.select([0], [], [], 3)[0]: r += os.read(0, 100)\n"
              "os.write(1, repr(r).encode() + b'\\r\\n'); select.select([0], [], [])")
    pair = run([sys.executable, "-c", script])
    assert "rgb:1e1e/1e1e/1e1e" in await pair.compare("OSC 10/11 answers")


async def test_vim_edit_cjk_split_help_scroll(run, tmp_path: Path) -> None:
    require_tool("vim")
    path = source_file(tmp_path / "sample.py")
    vimrc = tmp_path / "vimrc"
    # No version request (t_RV): xterm and tmux answer it differently and vim picks features by it.
    vimrc.write_text("set nocompatible t_RV= ttimeout ttimeoutlen=20 mouse=\nsyntax on\n"
                     "set number ruler laststatus=2 showcmd\n")
    pair = run(["vim", "-u", str(vimrc), "-i", "NONE", "-n", str(path)])
    assert "def function_0" in await pair.compare("vim opened")
    pair.send("3Gdd")
    pair.send("ihello \x1b")
    await pair.compare("vim deleted a line and inserted text")
    pair.send("o    new_line = 'x' * 100  # a long line that wraps on the screen of eighty columns\x1b")
    await pair.compare("vim opened a long line")
    pair.send("7G0wi")
    pair.send("\u4e2d\u6587\u5b57\u7b26 ")
    pair.send("\x1b")
    assert "\u4e2d\u6587\u5b57\u7b26" in await pair.compare("vim inserted CJK")
    pair.send("A \u3053\u3093\u306b\u3061\u306f\u4e16\u754c" * 6)
    pair.send("\x1b")
    await pair.compare("vim wrapped a CJK line")
    pair.send(":split\r")
    pair.send(":vsplit\r")
    await pair.compare("vim split")
    pair.send(":help\r")
    assert "help.txt" in await pair.compare("vim help")
    pair.send(":q\r:only\r")
    pair.send("90G")
    await pair.compare("vim jumped")
    pair.send("\x05\x05\x05\x04")
    await pair.compare("vim scrolled down")
    pair.send("\x19\x19\x02")
    await pair.compare("vim scrolled up")


def coloured_file(path: Path) -> Path:
    lines = []
    for n in range(120):
        lines.append(f"\x1b[1;3{n % 8}mheader {n}\x1b[0m plain \x1b[38;5;{16 + n}mcolour {16 + n}\x1b[0m "
                     f"\x1b[48;2;{n};40;80mtrue {n}\x1b[0m \x1b[4munder\x1b[24m tail text for line {n}")
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_less_search_and_page(run, tmp_path: Path) -> None:
    require_tool("less")
    pair = run(["less", "-R", str(coloured_file(tmp_path / "coloured.txt"))])
    assert "header 0" in await pair.compare("less opened")
    pair.send("/line 4\r")
    await pair.compare("less found")
    pair.send("n")
    await pair.compare("less found the next")
    pair.send(" ")
    await pair.compare("less paged down")
    pair.send("b")
    await pair.compare("less paged up")
    pair.send("G")
    assert "line 119" in await pair.compare("less at the end")


async def test_curses_boxes_colours_scroll_region_insert_delete(run) -> None:
    # Kept alive after curses ends, so the screen it leaves behind can be compared too.
    pair = run(["sh", "-c", '"$@"; exec sleep 600', "sh", sys.executable, str(FIXTURES / "curses_stages.py")])
    assert "curses stages" in await pair.compare("curses boxes and colours")
    for stage in ("scroll region", "insert and delete lines and characters", "scrolled back and cleared"):
        pair.send(" ")
        await pair.compare(f"curses {stage}")
    pair.send("q")
    await pair.compare("curses ended")


async def test_bash_readline_and_ls_colours(run, tmp_path: Path) -> None:
    files = tmp_path / "files"
    (files / "subdir").mkdir(parents=True)
    (files / "plain.txt").write_text("x")
    (files / "\u4e2d\u6587.txt").write_text("x")
    (files / "archive.tar.gz").write_bytes(b"x")
    (files / "run.sh").write_text("#!/bin/sh\n")
    (files / "run.sh").chmod(0o755)
    (files / "link").symlink_to("plain.txt")
    (files / "dangling").symlink_to("missing")
    pair = run(["bash", "--norc", "--noprofile", "-i"], cwd=files)
    await pair.compare("bash prompt")
    pair.send("ls --color -C\r")
    assert "subdir" in await pair.compare("ls --color")
    pair.send("ls --color -1 -F\r")
    await pair.compare("ls --color -1 -F")
    pair.send("echo hello wrold")
    pair.send("\x01\x06\x06\x06\x06\x06 big\x05\x1b[D\x1b[D\x1b[D")
    await pair.compare("readline: cursor moved inside the line")
    pair.send("\x14\r")
    await pair.compare("readline: transposed and ran")
    pair.send("echo " + "wrapping-" * 12)
    await pair.compare("readline: a line longer than the screen")
    pair.send("\x01\x0b\x1b[A")
    await pair.compare("readline: history")
    pair.send("\x15printf '%s\\n' one two; printf '\\e[7mrev\\e[0m\\n'\r")
    assert "rev" in await pair.compare("readline: printf")
