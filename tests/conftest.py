"""Dashboard tests run where no git repository is and keep amux's state in their tmp dir.

The launch dialog ticks "own worktree" in a git repository with commits, and the suite runs from
amux's own checkout: without this, every dashboard launch would add a worktree and an ``amux/``
branch to amux's repository, and record sessions in the user's real state dir."""

import pytest


@pytest.fixture(autouse=True)
def _dashboard_outside_any_repository(request, tmp_path, monkeypatch):
    if request.module.__name__.rpartition(".")[2].startswith("test_ui_"):
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
