"""Snapshot tests of the review views: a worktree's Changes (files, +/- counts, the highlighted diff)
and Compare after two sessions worked in their own worktrees. Commits have fixed dates and authors,
so the base commit's hash is stable; elapsed times are shown as a fixed text.

Update the pictures after an intended change with ``pytest tests/test_ui_sessions_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import steady, wait_until  # noqa: E402
from sessions_support import GIT_ENV, make_repo  # noqa: E402
from fixtures.ui import world  # noqa: E402

from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

SIZE = (110, 30)
FILES = {"app.py": "def greet(name):\n    return 'hello ' + name\n", "README.md": "# demo\n"}


@pytest.fixture
def fixed_git_dates(monkeypatch):
    """Stable commit hashes, and worktree names numbered instead of random."""
    import itertools

    from amux_tui.worktrees import worktree

    numbers = itertools.count(1)
    monkeypatch.setattr(worktree, "new_name", lambda harness: f"{harness}-{next(numbers)}")
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(name, "2026-01-02T03:04:05+00:00")
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def upstream():
    with world.fixture_servers():  # in their own process: the app runs in snap_compare's own loop
        yield


def make_app(tmp_path: Path, upstream, repo: Path) -> AmuxApp:  # noqa: ANN001
    config = world.write_config(tmp_path)
    env = {**world.ENV, "PATH": os.environ["PATH"], "AMUX_STATE_DIR": str(tmp_path / "state"), **GIT_ENV}
    app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False,
                                   latency_text=world.masked_latency, harness_search_path="/usr/bin:/bin"))
    app.sessions.cwd = str(repo)
    return app


async def launch_in_worktree(pilot, command: str):
    from amux_tui.ui.backend.sessions import LaunchChoice

    app = pilot.app
    main = app._main_screen()
    await wait_until(pilot, lambda: app.registry.get("chat") is not None, what="providers")
    before = set(main.session_pane_ids())
    choice = LaunchChoice("shell", app.registry.get("chat"), "coder-7b", ("sh", "-c", command), worktree=True)
    main.launch(app.sessions.preview(choice))
    await wait_until(pilot, lambda: set(main.session_pane_ids()) - before, what="the session tab")
    pane = main.session_pane((set(main.session_pane_ids()) - before).pop())
    await wait_until(pilot, lambda: not pane.session.running, what="the session to end")
    return pane


EDIT = ("printf \"def greet(name):\\n    return f'hello {name}!'\\n\\n\\ndef shout(name):\\n"
        "    return greet(name).upper()\\n\" > app.py; printf 'notes\\n' > NOTES.md; echo edited")


def test_changes_view(tmp_path, upstream, fixed_git_dates, snap_compare):
    """A session's changes: two files with their +/- counts and the first file's highlighted diff."""
    repo = make_repo(tmp_path / "repo", FILES)

    async def run_before(pilot):
        await launch_in_worktree(pilot, EDIT)
        await pilot.press("f5")
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#changes-files").row_count == 2, what="files")
        await wait_until(pilot, lambda: "+" in pilot.app.screen.query_one("#changes-diff").source, what="the diff")
        pilot.app.clear_notifications()  # "session ended" toasts come and go with time
        await pilot.pause()
        steady(pilot)

    assert snap_compare(make_app(tmp_path, upstream, repo), terminal_size=SIZE, run_before=run_before)


def test_compare_view(tmp_path, upstream, fixed_git_dates, snap_compare, monkeypatch):
    """Two sessions that worked in their own worktrees, one row each."""
    from amux_tui.ui.screens import compare

    monkeypatch.setattr(compare, "elapsed_text", lambda seconds: "0:07")
    repo = make_repo(tmp_path / "repo", FILES)

    async def run_before(pilot):
        await launch_in_worktree(pilot, EDIT)
        await launch_in_worktree(pilot, "printf 'one line\\n' > NOTES.md; echo edited")
        await pilot.press("f9")
        table = None

        def counted() -> bool:
            nonlocal table
            table = pilot.app.screen.query_one("#compare-table")
            return [table.get_row_at(n)[7] for n in range(table.row_count)] == ["2", "1"]

        await wait_until(pilot, counted, what="files changed")
        pilot.app.clear_notifications()
        await pilot.pause()
        steady(pilot)

    assert snap_compare(make_app(tmp_path, upstream, repo), terminal_size=SIZE, run_before=run_before)
