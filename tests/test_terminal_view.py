"""TerminalView in a real Textual app (run_test pilot) with real programs in PTYs."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult
from textual.widgets import Button

from amux_tui.terminal import Terminal
from amux_tui.ui.terminal_view import TerminalView

FIXTURES = Path(__file__).parent / "fixtures" / "terminal"


class ViewApp(App):
    """A terminal view and a button to leave to; records the view's messages."""

    def __init__(self, view: TerminalView) -> None:
        super().__init__()
        self.view = view
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield self.view
        yield Button("elsewhere", id="elsewhere")

    def on_mount(self) -> None:
        self.view.focus()

    @on(TerminalView.TitleChanged)
    @on(TerminalView.BusyChanged)
    @on(TerminalView.Exited)
    @on(TerminalView.Left)
    def record(self, message: object) -> None:
        self.messages.append(message)


def text_of(view: TerminalView) -> str:
    screen = view.terminal.screen
    return "\n".join([*screen.history_text(), *(line.rstrip() for line in screen.display)])


async def until(predicate, timeout: float = 15.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


def received(view: TerminalView) -> bytes:
    """Everything input_echo.py reported reading, in order."""
    return bytes.fromhex("".join(re.findall(r"^IN ([0-9a-f]+)$", text_of(view), re.MULTILINE)))


def echo_view(*args: str) -> TerminalView:
    return TerminalView([sys.executable, str(FIXTURES / "input_echo.py"), *args])


async def test_keys_paste_focus_and_exit_through_the_app() -> None:
    view = echo_view()
    app = ViewApp(view)
    async with app.run_test(size=(90, 24)) as pilot:
        await until(lambda: "READY" in text_of(view))
        await pilot.press("h", "i", "up", "ctrl+c", "tab", "f5")
        await until(lambda: received(view).endswith(b"\x1b[15~"))
        assert received(view) == b"hi\x1b[A\x03\t\x1b[15~"
        view.paste("pasted\ntext")
        await until(lambda: received(view).endswith(b"\x1b[200~pasted\rtext\x1b[201~"))
        await pilot.click("#elsewhere")
        await until(lambda: received(view).endswith(b"\x1b[O"))
        await pilot.click(TerminalView)
        # Focus comes back first; the click itself is reported too (mouse tracking is on).
        await until(lambda: received(view).endswith(b"\x1b[O\x1b[I\x1b[<0;1;1M\x1b[<0;1;1m"))
        await pilot.press("q")
        await until(lambda: any(isinstance(m, TerminalView.Exited) for m in app.messages))
        exited = [m for m in app.messages if isinstance(m, TerminalView.Exited)]
        assert exited[0].exit_code == 5
        assert "[process exited with status 5]" in text_of(view)
        titles = [m.title for m in app.messages if isinstance(m, TerminalView.TitleChanged)]
        assert titles == ["echo title"]


async def test_mouse_reports_where_the_program_asked() -> None:
    view = echo_view("alt")
    app = ViewApp(view)
    async with app.run_test(size=(90, 24)) as pilot:
        await until(lambda: "READY" in text_of(view))
        await pilot.click(TerminalView, offset=(10, 5))
        await until(lambda: received(view).endswith(b"\x1b[<0;11;6m"))
        assert received(view) == b"\x1b[<0;11;6M\x1b[<0;11;6m"
        await pilot.press("q")
        await until(lambda: view.terminal.exit_code is not None)
        assert not view.terminal.screen.in_alternate_screen


async def test_leave_key_moves_focus_out() -> None:
    view = echo_view()
    app = ViewApp(view)
    async with app.run_test(size=(90, 24)) as pilot:
        await until(lambda: "READY" in text_of(view))
        assert view.has_focus
        await pilot.press("ctrl+backslash")
        await pilot.pause()
        assert not view.has_focus
        assert any(isinstance(m, TerminalView.Left) for m in app.messages)
        assert "\\x1c" not in text_of(view)  # the chord never reached the program


async def test_view_size_reaches_the_program() -> None:
    view = TerminalView([sys.executable, str(FIXTURES / "report_env.py")])
    app = ViewApp(view)
    async with app.run_test(size=(70, 20)) as pilot:
        await until(lambda: "SIZE" in text_of(view))
        first = re.findall(r"SIZE (\d+)x(\d+)", text_of(view))[0]
        assert (int(first[0]), int(first[1])) == view.size
        await pilot.resize_terminal(100, 30)
        await until(lambda: f"SIZE {view.size.width}x{view.size.height}" in text_of(view) and view.size.width > 70)
        assert view.terminal.screen.columns == view.size.width


async def test_scrollback_with_shift_page_up() -> None:
    view = TerminalView([sys.executable, "-c", "import time\nfor n in range(200): print('row', n)\ntime.sleep(30)"])
    app = ViewApp(view)
    async with app.run_test(size=(60, 12)) as pilot:
        await until(lambda: "row 199" in text_of(view))
        await pilot.pause()
        assert view.scrolled_back == 0
        await pilot.press("shift+pageup")
        assert view.scrolled_back == view.size.height - 1
        top = view.render_line(0).text.strip()
        assert top.startswith("row ") and int(top.split()[1]) < 199 - view.size.height
        await pilot.press("shift+pagedown")
        assert view.scrolled_back == 0


async def test_busy_messages_from_osc_7501() -> None:
    terminal = Terminal(columns=40, lines=5)
    view = TerminalView(terminal=terminal, autostart=False)
    app = ViewApp(view)
    async with app.run_test(size=(60, 10)) as pilot:
        # As Codex sends them (items split by ":"), then the ";" form.
        view.feed(b"\x1b]7501;state=idle:app=codex\x07")
        view.feed(b"\x1b]7501;state=working:app=codex\x07")
        view.feed(b"\x1b]7501;state=done:app=codex\x1b\\")
        view.feed(b"\x1b]7501;state=working\x07")
        await pilot.pause()
        assert [m.busy for m in app.messages if isinstance(m, TerminalView.BusyChanged)] == [False, True, False, True]


async def tree_pids(view: TerminalView) -> list[int]:
    """The fixture tree's pids, once their line is on screen whole (a partial last pid would
    name another process)."""
    pattern = re.compile(r"PIDS (\d+) (\d+) (\d+) (\d+) END")
    await until(lambda: pattern.search(text_of(view)) is not None)
    return [int(p) for p in pattern.search(text_of(view)).groups()]


async def test_no_survivors_after_the_app_exits() -> None:
    view = TerminalView([sys.executable, str(FIXTURES / "spawn_tree.py"), "wait"])
    app = ViewApp(view)
    async with app.run_test(size=(80, 20)):
        pids = await tree_pids(view)
        root = view.terminal.session.pid
    assert all(not os.path.exists(f"/proc/{pid}") for pid in [root, *pids])


async def test_close_ends_the_tree_and_keeps_the_screen() -> None:
    view = TerminalView([sys.executable, str(FIXTURES / "spawn_tree.py"), "wait"])
    app = ViewApp(view)
    async with app.run_test(size=(80, 20)):
        pids = await tree_pids(view)
        code = await asyncio.wait_for(view.close(grace=0.2), 20)
        assert code is not None and code < 0
        assert all(not os.path.exists(f"/proc/{pid}") for pid in pids)
        assert "PIDS" in text_of(view)


async def test_missing_command_is_shown_and_reported() -> None:
    view = TerminalView(["amux-no-such-command-xyz", "--flag"])
    app = ViewApp(view)
    async with app.run_test(size=(80, 10)) as pilot:
        await until(lambda: any(isinstance(m, TerminalView.Exited) for m in app.messages))
        await pilot.pause()
        assert [m.exit_code for m in app.messages if isinstance(m, TerminalView.Exited)] == [127]
        assert "cannot start amux-no-such-command-xyz" in text_of(view)
        assert view.exit_code == 127 and not view.running
