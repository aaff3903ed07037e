"""`amux sessions resume ID`: the harness's own resume, by the id read from its session files in
amux's harness home, in the same directory, provider, model and route; refused with the reason
when that is impossible. The real Claude Code against a local upstream: the resumed prompt reaches
the upstream with the first turn's context."""

import asyncio
import json
import shutil
import time
from pathlib import Path

import pytest

from amux_tui.harnesses.session_files import find_session_id
from harness_bins import require_binary
from sessions_support import KEY, amux, make_env, sessions_json
from upstreams import Reply, UpstreamServer


def harness_env(tmp_path: Path, upstream: UpstreamServer, harness: str, fmt: str) -> dict[str, str]:
    binary = require_binary(harness)
    env = make_env(tmp_path, upstream, AMUX_HARNESS_BIN=str(Path(binary).parent), TERM="dumb", NO_COLOR="1")
    config = json.loads(Path(env["AMUX_CONFIG"]).read_text())
    config["providers"]["up"]["api_format"] = fmt
    Path(env["AMUX_CONFIG"]).write_text(json.dumps(config))
    return env


HEADLESS = {
    # harness: (upstream protocol, launch options, files in its home that hold the id)
    "claude": ("anthropic-messages", (), "projects/*/{id}.jsonl"),
    "gemini": ("openai-chat", ("--with-proxy-if-needed",), ".gemini/tmp/*/chats/session-*.jsonl"),
}


@pytest.mark.harness
@pytest.mark.parametrize("harness", list(HEADLESS))
async def test_a_real_harness_resumes_its_own_session_with_the_first_turns_context(harness, tmp_path):
    fmt, options, own_files = HEADLESS[harness]
    script = [Reply(text="Noted: the word is PINEAPPLE-51."), Reply(text="It was PINEAPPLE-51.")]
    async with UpstreamServer(fmt, script=script, api_key=KEY) as upstream:
        env = harness_env(tmp_path, upstream, harness, fmt)
        work = tmp_path / "work"
        work.mkdir()
        code, out, err = await amux("launch", harness, *options, "--trust", "--", "-p",
                                    "Remember the word PINEAPPLE-51.", env=env, cwd=work, timeout=150)
        assert code == 0, err
        [first] = await sessions_json(env, work)
        home = Path(first["harness_home"])
        own = [path for path in home.glob(own_files.format(id=first["harness_session_id"]))
               if first["harness_session_id"] in path.read_text()]
        assert own, f"the id {first['harness_session_id']} names no session file of {harness}'s"
        # Resumed from elsewhere: amux goes back to the session's directory itself.
        code, out, err = await amux("sessions", "resume", first["id"], "--", "-p", "Which word was it?",
                                    env=env, cwd=tmp_path, timeout=150)
        assert code == 0, err
        assert "It was PINEAPPLE-51." in out
        posts = [r for r in upstream.requests if r.method == "POST" and b"Which word was it?" in r.body]
    assert posts, "the resumed prompt never reached the upstream"
    assert any(b"Noted: the word is PINEAPPLE-51." in r.body for r in posts)  # the first turn came along
    resumed = (await sessions_json(env, work))[0]
    assert resumed["id"] != first["id"] and resumed["cwd"] == str(work)
    assert (resumed["provider"], resumed["model"], resumed["route"]) == ("up", "fixture-model", first["route"])


async def test_resume_is_refused_with_the_reason(tmp_path):
    async with UpstreamServer("openai-chat", api_key=KEY) as upstream:
        env = make_env(tmp_path, upstream)
        code, _, err = await amux("launch", "shell", "--", "true", env=env, cwd=tmp_path)
        assert code == 0, err
        [shell] = await sessions_json(env, tmp_path)
        code, _, err = await amux("sessions", "resume", shell["id"], env=env, cwd=tmp_path)
        assert code == 1 and "Shell / custom command cannot resume a given session" in err

        running = asyncio.create_task(amux("launch", "shell", "--", "sh", "-c",
                                           "while [ ! -e stop ]; do sleep 0.05; done", env=env, cwd=tmp_path))
        deadline = time.monotonic() + 30
        while (live := (await sessions_json(env, tmp_path))[0])["state"] != "running":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        code, _, err = await amux("sessions", "resume", live["id"], env=env, cwd=tmp_path)
        assert code == 1 and "still running" in err
        (tmp_path / "stop").touch()
        await running


def write_claude_session(home: Path, cwd: Path, session_id: str) -> Path:
    folder = home / "projects" / str(cwd).replace("/", "-")
    folder.mkdir(parents=True)
    path = folder / f"{session_id}.jsonl"
    path.write_text(json.dumps({"type": "user", "sessionId": session_id, "cwd": str(cwd)}) + "\n")
    return path


def test_the_session_id_is_read_from_the_newest_file_for_that_directory_only(tmp_path):
    home, work, other = tmp_path / "home", tmp_path / "work", tmp_path / "other"
    work.mkdir()
    other.mkdir()
    old = write_claude_session(home, work, "11111111-old")
    started = time.time()
    import os

    os.utime(old, (started - 100, started - 100))
    write_claude_session(home, other, "22222222-elsewhere")
    assert find_session_id("claude", home, work, since=started) is None  # the old one predates the session
    write_claude_session(home / "x", work, "unused")  # another home: not looked at
    (home / "projects" / "-new").mkdir()
    newer = home / "projects" / "-new" / "33333333-new.jsonl"
    newer.write_text(json.dumps({"sessionId": "33333333-new", "cwd": str(work)}) + "\n")
    assert find_session_id("claude", home, work, since=started) == "33333333-new"
    assert find_session_id("claude", home, work) == "33333333-new"
    assert find_session_id("shell", home, work) is None


async def test_resume_is_refused_when_the_harness_files_are_gone(tmp_path):
    from amux_tui.records.store import SessionRecord, SessionStore

    env = make_env(tmp_path)
    home = tmp_path / "state" / "homes" / "claude"
    write_claude_session(home, tmp_path, "44444444-gone")
    store = SessionStore(tmp_path / "state" / "sessions.db")
    store.add(SessionRecord(id="feed01", harness="claude", provider="up", model="m", route="direct",
                            cwd=str(tmp_path), harness_home=str(home), harness_session_id="44444444-gone",
                            state="exited", started=1.0, ended=2.0))
    store.add(SessionRecord(id="feed02", harness="claude", provider="up", model="m", route="native",
                            cwd=str(tmp_path), state="exited", started=1.0, ended=2.0))
    code, _, err = await amux("sessions", "resume", "feed02", env=env, cwd=tmp_path)
    assert code == 1 and "left no session of its own" in err and "native route" in err
    shutil.rmtree(home / "projects")
    code, _, err = await amux("sessions", "resume", "feed01", env=env, cwd=tmp_path)
    assert code == 1 and "files for session 44444444-gone are gone" in err


@pytest.mark.harness
async def test_a_worktree_sessions_resume_hint_goes_back_to_its_worktree(tmp_path):
    """`amux launch --worktree` prints `amux sessions resume ID`: a plain `amux launch --resume` from
    the user's checkout would start Claude Code outside the worktree, where its session is not."""
    from sessions_support import make_repo

    script = [Reply(text="Noted: the word is MANGO-12."), Reply(text="It was MANGO-12.")]
    async with UpstreamServer("anthropic-messages", script=script, api_key=KEY) as upstream:
        env = harness_env(tmp_path, upstream, "claude", "anthropic-messages")
        repo = make_repo(tmp_path / "repo")
        code, _, err = await amux("launch", "claude", "--worktree", "w1", "--", "-p", "Remember the word MANGO-12.",
                                  env=env, cwd=repo, timeout=150)
        assert code == 0, err
        [first] = await sessions_json(env, repo)
        assert first["worktree_path"] and first["harness_session_id"]
        assert f"amux: to resume this session: amux sessions resume {first['id']}" in err
        code, out, err = await amux("sessions", "resume", first["id"], "--", "-p", "Which word was it?",
                                    env=env, cwd=repo, timeout=150)
        assert code == 0, err
        assert "It was MANGO-12." in out
        posts = [r for r in upstream.requests if r.method == "POST" and b"Which word was it?" in r.body]
    assert posts and any(b"Noted: the word is MANGO-12." in r.body for r in posts)
