"""Pilot tests of sessions that do real work side by side in the dashboard: a worktree per session
(ticked by default in a git repository), the Changes view (files, diff, merge after confirming),
Compare after a broadcast, quitting with live sessions, and earlier sessions listed after a restart
(a crashed run's session marked lost). Real git repositories, real PTYs, real SQLite."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.ui.drive import alive, wait_until  # noqa: E402
from fixtures.ui.screen_text import screen_text  # noqa: E402
from sessions_support import GIT_ENV, git, make_repo  # noqa: E402
from textual.widgets import DataTable, Markdown  # noqa: E402
from upstreams import UpstreamServer  # noqa: E402

from amux_tui.records.store import SessionRecord, SessionStore  # noqa: E402
from amux_tui.ui.app import AmuxApp  # noqa: E402
from amux_tui.ui.options import DashboardOptions  # noqa: E402

SIZE = (120, 34)


@pytest.fixture
async def upstream():
    async with UpstreamServer("openai-chat", api_key=None) as server:
        yield server


def make_app(tmp_path: Path, upstream: UpstreamServer, cwd: Path, pricing: dict | None = None) -> AmuxApp:
    config = tmp_path / "providers.json"
    provider = {"type": "vllm", "api_base": upstream.base_url, "models": ["fixture-model"],
                "default_model": "fixture-model"}
    if pricing is not None:
        provider["pricing"] = pricing
    config.write_text(json.dumps({"version": 1, "default_provider": "up", "providers": {"up": provider}}))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "AMUX_STATE_DIR": str(tmp_path / "state"),
           "TERM": "xterm-256color", **GIT_ENV}
    app = AmuxApp(DashboardOptions(config_path=str(config), env=env, detect_local=False))
    app.sessions.cwd = str(cwd)
    return app


def store_of(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "state" / "sessions.db")


async def launch(pilot, command: str, *, worktree: bool | None = None):
    """Through the launch dialog: shell running ``command``; ``worktree`` None keeps the default."""
    app = pilot.app
    main = app._main_screen()
    await wait_until(pilot, lambda: app.harness_catalog.known, what="harness inventory")
    main.open_launcher("up", "fixture-model", "shell")
    await wait_until(pilot, lambda: app.screen.query_one("#launch-model").option_count > 0, what="model list")
    await wait_until(pilot, lambda: app.screen.repository_checked, what="the repository check")
    box = app.screen.query_one("#launch-worktree")
    default = box.value
    if worktree is not None:
        box.value = worktree
    app.screen.query_one("#launch-args").value = shlex.join(["sh", "-c", command])
    await wait_until(pilot, lambda: not app.screen.query_one("#launch").disabled, what="a launchable choice")
    before = set(main.session_pane_ids())
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: set(main.session_pane_ids()) - before, what="a new session tab")
    return main.session_pane((set(main.session_pane_ids()) - before).pop()), default


async def test_the_worktree_box_is_ticked_in_a_repository_with_commits_only(tmp_path, upstream):
    repo = make_repo(tmp_path / "repo")
    plain = tmp_path / "plain"
    plain.mkdir()
    for where, expected in ((repo, True), (plain, False)):
        app = make_app(tmp_path, upstream, where)
        async with app.run_test(size=SIZE) as pilot:
            pane, default = await launch(pilot, "exit 0")
            assert default is expected
            assert (pane.session.worktree is not None) is expected
            await wait_until(pilot, lambda: not pane.session.running, what="the exit")
    assert "amux/shell-" in git(repo, "branch", "--list")


async def test_changes_view_lists_files_shows_the_diff_and_merges_after_confirming(tmp_path, upstream):
    repo = make_repo(tmp_path / "repo", {"README.md": "hello\n"})
    app = make_app(tmp_path, upstream, repo)
    async with app.run_test(size=SIZE) as pilot:
        pane, _ = await launch(pilot, "printf 'one\\ntwo\\n' > notes.py; echo more >> README.md; echo done-writing")
        session = pane.session
        await wait_until(pilot, lambda: not session.running, what="the session to end")
        await wait_until(pilot, lambda: store_of(tmp_path).get(session.record_id).state == "exited",
                         what="the record")
        record = store_of(tmp_path).get(session.record_id)
        assert record.worktree_branch == session.worktree.branch and record.origin_path == str(repo)
        await pilot.press("f5")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ChangesScreen", what="the Changes view")
        table = app.screen.query_one("#changes-files", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2, what="two changed files")
        rows = {table.get_row_at(n)[2]: table.get_row_at(n)[:2] for n in range(2)}
        assert rows == {"README.md": ["+1", "-0"], "notes.py": ["+2", "-0"]}
        assert "2 files changed, +3 -0" in screen_text(app)
        diff = app.screen.query_one("#changes-diff", Markdown)
        await wait_until(pilot, lambda: "+more" in diff.source, what="the README diff")
        assert diff.source.startswith("```diff")
        await pilot.press("m")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the merge question")
        assert "merge" in screen_text(app) and "main" in screen_text(app)
        await pilot.press("y")
        await wait_until(pilot, lambda: (repo / "notes.py").exists(), what="the merge")
        assert (repo / "README.md").read_text() == "hello\nmore\n"
        assert git(repo, "status", "--porcelain") == ""
        assert git(repo, "log", "-1", "--format=%s").startswith(f"Merge {session.worktree.branch}")
        await wait_until(pilot, lambda: any("merged" in n.message for n in app._notifications), what="a note")


async def test_compare_after_broadcast_shows_one_row_per_session_and_opens_changes(tmp_path, upstream):
    repo = make_repo(tmp_path / "repo")
    app = make_app(tmp_path, upstream, repo)
    script = "read line; echo \"$line\" > answer.txt; echo wrote-it; sleep 60"
    async with app.run_test(size=SIZE) as pilot:
        panes = [(await launch(pilot, script))[0] for _ in range(2)]
        main = app._main_screen()
        main._broadcast_sent(main.broadcast([p.session.id for p in panes], "same task"))
        for pane in panes:
            await wait_until(pilot, lambda pane=pane: (pane.session.worktree.path / "answer.txt").exists(),
                             what="each session's answer")
        await pilot.press("f9")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CompareScreen", what="the Compare view")
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        await wait_until(pilot, lambda: [table.get_row_at(n)[7] for n in range(2)] == ["1", "1"],
                         what="files changed")
        row = table.get_row_at(0)
        assert row[0] == panes[0].session.label and row[2] in ("idle", "busy") and row[8] == "+1 -0"
        assert "no proxied session: amux sees no tokens or cost" in screen_text(app)
        assert (panes[0].session.worktree.path / "answer.txt").read_text() == "same task\n"
        assert not (repo / "answer.txt").exists()
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ChangesScreen", what="the row's changes")
        await pilot.press("d")  # discard is refused while the session runs
        await wait_until(pilot, lambda: any("still running" in n.message for n in app._notifications),
                         what="the refusal")
        assert panes[0].session.worktree.path.exists()
        await pilot.press("escape", "escape")
        await app.action_quit()


async def test_quitting_with_live_sessions_asks_first(tmp_path, upstream):
    app = make_app(tmp_path, upstream, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        pane, _ = await launch(pilot, "echo started; sleep 60")
        pid = pane.terminal.terminal.session.pid
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the quit question")
        assert "still running" in screen_text(app) and "End them and quit" in screen_text(app)
        await pilot.press("n")
        await pilot.pause(0.2)
        assert app.is_running and alive(pid) and pane.session.running
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the quit question")
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, what="the app to quit")
    for _ in range(100):
        if not alive(pid):
            break
        await pilot.pause(0.05) if app.is_running else __import__("time").sleep(0.05)
    assert not alive(pid)
    [record] = store_of(tmp_path).listing(include_all=True)
    assert record.state == "killed"


async def test_earlier_sessions_are_listed_after_a_restart_and_a_crashed_one_is_lost(tmp_path, upstream):
    store = store_of(tmp_path)
    orphan = subprocess.Popen(["sleep", "300"], process_group=0, env={**os.environ, "AMUX_SESSION_ID": "crashed1"})
    dead_owner = subprocess.Popen(["true"])
    dead_owner.wait()
    try:
        store.add(SessionRecord(id="crashed1", harness="shell", provider="up", model="fixture-model", route="direct",
                                cwd=str(tmp_path), owner_pid=dead_owner.pid, owner_start=1, pgid=orphan.pid))
        store.add(SessionRecord(id="earlier1", harness="shell", provider="up", model="fixture-model", route="direct",
                                cwd=str(tmp_path), state="exited", exit_code=0, started=1000.0, ended=1010.0,
                                requests=3, input_tokens=30, output_tokens=9, cost=0.0123))
        app = make_app(tmp_path, upstream, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: len(app.earlier_sessions) == 2, what="the records")
            assert orphan.wait(timeout=10) is not None  # its process group was ended
            app._main_screen().activate("earlier")
            await wait_until(pilot, lambda: app.screen.query_one("#earlier-table", DataTable).row_count == 2,
                             what="the Sessions tab")
            text = screen_text(app)
            assert "crashed1" in text and "lost" in text and "earlier1" in text and "$0.0123" in text
            table = app.screen.query_one("#earlier-table", DataTable)
            table.focus()
            await pilot.press("r")  # the shell cannot resume: said, nothing launched
            await wait_until(pilot, lambda: any("cannot resume" in n.message for n in app._notifications),
                             what="the refusal")
            assert not app._main_screen().session_pane_ids()
        assert store.get("crashed1").state == "lost"
    finally:
        orphan.kill()
        orphan.wait()


async def test_a_running_proxied_sessions_totals_reach_its_record(tmp_path, upstream):
    client = Path(__file__).resolve().parent / "fixtures" / "ui" / "chat_client.py"
    app = make_app(tmp_path, upstream, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        main = app._main_screen()
        await wait_until(pilot, lambda: app.harness_catalog.known, what="harness inventory")
        main.open_launcher("up", "fixture-model", "shell")
        await wait_until(pilot, lambda: app.screen.query_one("#launch-model").option_count > 0, what="model list")
        await wait_until(pilot, lambda: app.screen.repository_checked, what="the repository check")
        app.screen.query_one("#launch-args").value = shlex.join([sys.executable, str(client), "say hi"])
        app.screen.query_one("#launch-always-proxy").value = True
        await wait_until(pilot, lambda: not app.screen.query_one("#launch").disabled, what="a launchable choice")
        await pilot.press("ctrl+l")  # the launch dialog said "through amux's proxy": no second question
        await wait_until(pilot, lambda: main.session_pane_ids(), what="the session tab")
        session = main.session_pane(main.session_pane_ids()[0]).session

        def recorded() -> bool:
            record = store_of(tmp_path).get(session.record_id)
            return record is not None and record.requests == 1

        await wait_until(pilot, recorded, timeout=20, what="the totals in the record")
        record = store_of(tmp_path).get(session.record_id)
        assert record.state == "running" and record.input_tokens == 11 and record.output_tokens == 7
        assert record.cost is None and "no price for" in record.cost_note
        await app.action_quit()


async def test_the_dashboard_and_two_amux_launch_processes_record_at_once(tmp_path, upstream):
    import asyncio

    from sessions_support import amux

    app = make_app(tmp_path, upstream, tmp_path)
    cli_env = {**app.options.env, "AMUX_CONFIG": str(tmp_path / "providers.json"), "AMUX_QUIET": "1",
               "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "SHELL": "/bin/sh"}
    script = "i=0; while [ $i -lt 100 ] && [ ! -e go ]; do sleep 0.05; i=$((i+1)); done"
    async with app.run_test(size=SIZE) as pilot:
        launches = [asyncio.create_task(amux("launch", "shell", "--", "sh", "-c", script, env=cli_env, cwd=tmp_path))
                    for _ in range(2)]
        pane, _ = await launch(pilot, script)
        await wait_until(pilot, lambda: len(store_of(tmp_path).running()) == 3, timeout=30,
                         what="three running records")
        (tmp_path / "go").touch()
        assert [(await task)[0] for task in launches] == [0, 0]
        await wait_until(pilot, lambda: not pane.session.running, what="the dashboard's session to end")
        await wait_until(pilot, lambda: not store_of(tmp_path).running(), what="every end recorded")
    records = store_of(tmp_path).listing(include_all=True)
    assert sorted(r.state for r in records) == ["exited"] * 3
    assert len({r.owner_pid for r in records}) == 3  # the dashboard and each amux launch


async def test_status_lines_show_the_cost_of_every_session_together(tmp_path, upstream):
    from amux_tui.ui.backend.sessions import LaunchChoice

    client = Path(__file__).resolve().parent / "fixtures" / "ui" / "chat_client.py"
    app = make_app(tmp_path, upstream, tmp_path, pricing={"input": 1000, "output": 1000})
    async with app.run_test(size=SIZE) as pilot:
        main = app._main_screen()
        await wait_until(pilot, lambda: app.registry.get("up") is not None, what="providers")
        for _ in range(2):
            choice = LaunchChoice("shell", app.registry.get("up"), "fixture-model",
                                  (sys.executable, str(client), "say hi"), always_proxy=True)
            main.launch(app.sessions.preview(choice))
        await wait_until(pilot, lambda: len(main.session_pane_ids()) == 2, what="two tabs")
        panes = [main.session_pane(pane_id) for pane_id in main.session_pane_ids()]
        # 11 tokens in and 7 out per request at $1000 per million: $0.018 each.
        for pane in panes:
            await wait_until(pilot, lambda pane=pane: "$0.0180 · all $0.0360" in str(pane.query_one("#status-line").render()),
                             timeout=20, what="the all-session cost")
        await app.action_quit()
