"""A worktree per session: `amux launch --worktree`, then `amux sessions diff / merge / discard`,
with real git repositories and real shell sessions (clean, dirty and conflicting cases)."""

import asyncio
import time
from pathlib import Path

import pytest

from sessions_support import KEY, amux, git, make_env, make_repo, sessions_json
from upstreams import UpstreamServer


@pytest.fixture
async def upstream():
    async with UpstreamServer("openai-chat", api_key=KEY) as server:
        yield server


async def launch_in_worktree(env, repo: Path, script: str, *extra: str) -> dict:
    code, out, err = await amux("launch", "shell", *extra, "--", "sh", "-c", script, env=env, cwd=repo)
    assert code == 0, err
    newest = (await sessions_json(env, repo))[0]
    return newest


def worktree_list(repo: Path) -> str:
    return git(repo, "worktree", "list", "--porcelain")


async def test_two_sessions_in_worktrees_write_the_same_file_without_colliding(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    repo = make_repo(tmp_path / "repo")
    runs = [amux("launch", "shell", "--worktree", name, "--", "sh", "-c",
                 f"echo {name} > result.txt; sleep 0.3; cat result.txt > seen.txt", env=env, cwd=repo)
            for name in ("left", "right")]
    results = await asyncio.gather(*runs)
    assert [code for code, _, _ in results] == [0, 0]
    assert not [err for _, _, err in results if "warning" in err]  # both recorded, or the reason shows here
    records = {r["worktree_branch"]: r for r in await sessions_json(env, repo)}
    assert set(records) == {"amux/left", "amux/right"}
    for name in ("left", "right"):
        path = Path(records[f"amux/{name}"]["worktree_path"])
        assert (path / "seen.txt").read_text() == f"{name}\n"
        assert records[f"amux/{name}"]["cwd"] == str(path)
        assert records[f"amux/{name}"]["origin_path"] == str(repo) and records[f"amux/{name}"]["origin_branch"] == "main"
        assert records[f"amux/{name}"]["base_commit"] == git(repo, "rev-parse", "HEAD").strip()
        assert not path.is_relative_to(repo)
        assert str(path) in worktree_list(repo)
    assert not (repo / "result.txt").exists()  # the user's checkout is untouched


async def test_worktree_refusals_are_clear(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = await amux("launch", "shell", "--worktree", "--", "true", env=env, cwd=plain)
    assert code == 2 and "not inside a git repository" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    code, _, err = await amux("launch", "shell", "--worktree", "--", "true", env=env, cwd=empty)
    assert code == 2 and "has no commits yet" in err
    repo = make_repo(tmp_path / "repo")
    await launch_in_worktree(env, repo, "true", "--worktree", "taken")
    code, _, err = await amux("launch", "shell", "--worktree", "taken", "--", "true", env=env, cwd=repo)
    assert code == 2 and "'taken' is in use" in err
    code, _, err = await amux("launch", "shell", "--worktree", "../escape", "--", "true", env=env, cwd=repo)
    assert code == 2 and "cannot name a worktree" in err
    no_git = {**env, "PATH": str(tmp_path / "nothing-here")}
    code, _, err = await amux("launch", "shell", "--worktree", "--", "true", env=no_git, cwd=repo)
    assert code == 2 and "git is not installed" in err
    assert len(await sessions_json(env, repo)) == 1  # refused launches record nothing


async def test_uncommitted_changes_come_along_only_when_asked(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    repo = make_repo(tmp_path / "repo", {"tracked.txt": "one\n"})
    (repo / "tracked.txt").write_text("one\ntwo\n")
    (repo / "untracked.txt").write_text("new\n")
    plain = await launch_in_worktree(env, repo, "true", "--worktree", "plain")
    path = Path(plain["worktree_path"])
    assert (path / "tracked.txt").read_text() == "one\n" and not (path / "untracked.txt").exists()
    dirty = await launch_in_worktree(env, repo, "true", "--worktree-from-dirty")
    path = Path(dirty["worktree_path"])
    assert dirty["worktree_branch"].startswith("amux/shell-")
    assert (path / "tracked.txt").read_text() == "one\ntwo\n" and (path / "untracked.txt").read_text() == "new\n"
    assert (repo / "tracked.txt").read_text() == "one\ntwo\n"  # still there in the checkout too


async def test_diff_shows_committed_uncommitted_and_new_files_and_leaves_the_index_alone(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n", "b.txt": "b\n"})
    script = ("echo a2 >> a.txt && git add a.txt && git commit -qm 'agent commit' && "
              "echo b2 >> b.txt && echo fresh > new.txt")
    record = await launch_in_worktree(env, repo, script, "--worktree", "work")
    code, out, _ = await amux("sessions", "diff", record["id"][:6], env=env, cwd=repo)
    assert code == 0
    assert "+a2" in out and "+b2" in out and "+fresh" in out and "new file mode" in out
    code, out, _ = await amux("sessions", "diff", record["id"], "--stat", env=env, cwd=repo)
    assert code == 0 and "3 files changed, 3 insertions(+)" in out
    assert git(Path(record["worktree_path"]), "status", "--porcelain") == " M b.txt\n?? new.txt\n"
    clean = await launch_in_worktree(env, repo, "true", "--worktree", "idle")
    code, out, _ = await amux("sessions", "diff", clean["id"], env=env, cwd=repo)
    assert code == 0 and "changed nothing" in out
    unworked = await launch_in_worktree(env, repo, "true")
    code, _, err = await amux("sessions", "diff", unworked["id"], env=env, cwd=repo)
    assert code == 1 and "without a worktree of its own" in err


async def test_merge_commits_the_work_and_merges_it_into_the_branch_it_came_from(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    record = await launch_in_worktree(env, repo, "echo more >> a.txt; echo new > new.txt", "--worktree", "feat")
    code, out, err = await amux("sessions", "merge", record["id"], env=env, cwd=repo)
    assert code == 0, err
    assert "committed the session's uncommitted work" in out and "merged amux/feat into main" in out
    assert (repo / "a.txt").read_text() == "a\nmore\n" and (repo / "new.txt").read_text() == "new\n"
    assert git(repo, "status", "--porcelain") == ""
    log = git(repo, "log", "--format=%s", "-3")
    assert log.splitlines()[0].startswith("Merge amux/feat") and f"session {record['id']}" in log


async def test_merge_refuses_a_dirty_target_and_a_conflict_and_changes_nothing(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    record = await launch_in_worktree(env, repo, "echo theirs > a.txt", "--worktree", "feat")
    worktree = Path(record["worktree_path"])

    def state() -> tuple[str, str, str, str]:
        return (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain"),
                git(worktree, "rev-parse", "HEAD"), git(worktree, "status", "--porcelain"))

    (repo / "a.txt").write_text("local edit\n")
    before = state()
    code, _, err = await amux("sessions", "merge", record["id"], env=env, cwd=repo)
    assert code == 1 and "has uncommitted changes (a.txt)" in err and "not merged" in err
    assert state() == before

    (repo / "a.txt").write_text("ours\n")
    git(repo, "commit", "-qam", "ours")
    before = state()
    code, _, err = await amux("sessions", "merge", record["id"], env=env, cwd=repo)
    assert code == 1 and "would conflict in a.txt" in err and "nothing was changed" in err
    assert state() == before
    assert not (repo / ".git" / "MERGE_HEAD").exists()

    git(repo, "switch", "-q", "-c", "elsewhere")
    code, _, err = await amux("sessions", "merge", record["id"], env=env, cwd=repo)
    assert code == 1 and "is on elsewhere, not main" in err


async def test_discard_asks_refuses_while_running_and_removes_worktree_and_branch(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    repo = make_repo(tmp_path / "repo")
    running = asyncio.create_task(amux("launch", "shell", "--worktree", "busy", "--", "sh", "-c",
                                       "while [ ! -e stop ]; do sleep 0.05; done", env=env, cwd=repo))
    deadline = time.monotonic() + 30
    records: list[dict] = []
    while not records or records[0]["state"] != "running":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
        records = await sessions_json(env, repo)
    record = records[0]
    code, _, err = await amux("sessions", "discard", record["id"], "--yes", env=env, cwd=repo)
    assert code == 1 and "still running" in err
    (Path(record["worktree_path"]) / "stop").touch()
    assert (await running)[0] == 0
    code, _, err = await amux("sessions", "discard", record["id"], env=env, cwd=repo)
    assert code == 2 and "--yes" in err
    assert Path(record["worktree_path"]).exists()
    code, out, _ = await amux("sessions", "discard", record["id"], "--yes", env=env, cwd=repo)
    assert code == 0 and "removed" in out
    assert not Path(record["worktree_path"]).exists()
    assert "amux/busy" not in git(repo, "branch", "--list") and record["worktree_path"] not in worktree_list(repo)
    code, _, err = await amux("sessions", "diff", record["id"], env=env, cwd=repo)
    assert code == 1 and "is gone" in err


async def test_launched_from_a_subdirectory_the_harness_starts_in_the_same_one_of_the_worktree(tmp_path, upstream):
    env = make_env(tmp_path, upstream)
    repo = make_repo(tmp_path / "repo", {"pkg/mod.py": "x = 1\n"})
    record = await launch_in_worktree(env, repo / "pkg", "pwd > where.txt", "--worktree", "sub")
    worktree = Path(record["worktree_path"])
    assert (worktree / "pkg" / "where.txt").read_text().strip() == str(worktree / "pkg")
    assert record["cwd"] == str(worktree / "pkg") and record["origin_path"] == str(repo)
