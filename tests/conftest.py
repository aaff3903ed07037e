"""Shared pytest hooks: the route matrix's summary table at the end of a run, and dashboard tests
that run where no git repository is and keep amux's state in their tmp dir.

The launch dialog ticks "own worktree" in a git repository with commits, and the suite runs from
amux's own checkout: without the fixture below, every dashboard launch would add a worktree and an
``amux/`` branch to amux's repository, and record sessions in the user's real state dir."""

from __future__ import annotations

import pytest

MATRIX_MODULE = "test_harness_routes_e2e.py::"
OUTCOMES = ("passed", "failed", "xfailed", "xpassed", "skipped", "error")
MATRIX_ORDER = pytest.StashKey[list[str]]()


def pytest_collection_modifyitems(config, items):
    config.stash[MATRIX_ORDER] = [item.nodeid for item in items if MATRIX_MODULE in item.nodeid]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line per route-matrix cell (route, result, seconds), then green/total and the minutes it took."""
    rows: dict[str, tuple[str, dict]] = {}
    for outcome in OUTCOMES:
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if MATRIX_MODULE in nodeid and (report.when == "call" or nodeid not in rows):
                rows[nodeid] = (outcome, dict(getattr(report, "user_properties", ())))
    if not rows:
        return
    order = {nodeid: index for index, nodeid in enumerate(config.stash.get(MATRIX_ORDER, []))}
    terminalreporter.section("harness route matrix")
    names = {nodeid: nodeid.split("[", 1)[-1].rstrip("]") for nodeid in rows}
    width = max(len(name) for name in names.values())
    for nodeid in sorted(rows, key=lambda n: order.get(n, len(order))):
        outcome, props = rows[nodeid]
        seconds = props.get("matrix_seconds")
        shown = f"{seconds:6.1f} s" if isinstance(seconds, (int, float)) else "      -"
        terminalreporter.write_line(f"{names[nodeid].ljust(width)}  {props.get('matrix_route', ''):6}  "
                                    f"{outcome:8}  {shown}")
    outcomes = [outcome for outcome, _ in rows.values()]
    counts = ", ".join(f"{outcomes.count(name)} {name}" for name in OUTCOMES if name in outcomes)
    cell_seconds = sum(props.get("matrix_seconds", 0) for _, props in rows.values())
    wall = max((props.get("matrix_wall_seconds", 0) for _, props in rows.values()), default=0)
    terminalreporter.write_line(
        f"green {outcomes.count('passed')}/{len(rows)} ({counts}); {cell_seconds / 60:.1f} min of harness time "
        f"in {wall / 60:.1f} min wall clock")


@pytest.fixture(autouse=True)
def _dashboard_outside_any_repository(request, tmp_path, monkeypatch):
    if request.module.__name__.rpartition(".")[2].startswith("test_ui_"):
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A shell with an empty HOME and amux's state and cache in tmp (this process's too): no real
    user's config or keys read, nothing written outside tmp."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "SHELL": "/bin/sh"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "home").mkdir()
    return env
