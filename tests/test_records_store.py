"""The session database: schema and migrations, reads and writes, several writer processes at once,
and sessions whose amux died marked `lost` with their processes ended."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from amux_tui.records.liveness import group_fields, mark_lost_sessions, owner_fields
from amux_tui.records.store import MIGRATIONS, SCHEMA_VERSION, RecordsError, SessionRecord, SessionStore

ROOT = Path(__file__).resolve().parent.parent


def record(session_id: str, **values) -> SessionRecord:
    return SessionRecord(id=session_id, harness="shell", provider="up", model="m", route="direct",
                         cwd="/tmp", **values)


def test_a_new_database_is_in_wal_mode_at_the_current_schema(tmp_path):
    store = SessionStore(tmp_path / "state" / "sessions.db")
    store.add(record("abc123"))
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    got = store.get("abc123")
    assert got is not None and got.state == "running" and got.started > 0


def test_an_older_database_is_migrated_in_place_and_keeps_its_rows(tmp_path):
    path = tmp_path / "sessions.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO sessions (id, harness, provider, model, route, cwd, started, state) "
                     "VALUES ('old1', 'claude', 'p', 'm', 'proxy', '/w', 1.0, 'exited')")
    store = SessionStore(path)
    old = store.get("old1")
    assert old is not None and old.harness == "claude" and old.proxy_mode == "never" and old.origin_branch is None
    store.update("old1", origin_branch="main", cost_note="no price")
    assert store.get("old1").origin_branch == "main"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_database_from_a_newer_amux_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "sessions.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RecordsError, match="newer amux.*AMUX_STATE_DIR"):
        SessionStore(path).listing()


def test_a_file_that_is_no_database_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "sessions.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RecordsError, match="move it aside"):
        SessionStore(path).listing()


def test_listing_puts_running_sessions_first_then_the_recent_ended_ones(tmp_path):
    store = SessionStore(tmp_path / "sessions.db")
    for number in range(30):
        store.add(record(f"ended{number:02d}", state="exited", started=1000.0 + number, ended=1001.0 + number))
    store.add(record("live-b", started=5.0))
    store.add(record("live-a", started=1.0))
    listed = [r.id for r in store.listing(recent=20)]
    assert listed[:2] == ["live-a", "live-b"]
    assert listed[2:] == [f"ended{n:02d}" for n in range(29, 9, -1)]
    assert len(store.listing(include_all=True)) == 32


def test_a_session_is_found_by_a_unique_prefix_of_its_id(tmp_path):
    store = SessionStore(tmp_path / "sessions.db")
    store.add(record("a1b2c3"))
    store.add(record("a1ffff"))
    assert store.find("a1b").id == "a1b2c3"
    with pytest.raises(RecordsError, match="several"):
        store.find("a1")
    with pytest.raises(RecordsError, match="no session"):
        store.find("zz")
    with pytest.raises(RecordsError, match="no session"):
        store.find("a1_")  # LIKE wildcards are taken literally


WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from amux_tui.records.store import SessionRecord, SessionStore
store = SessionStore({path!r})
name = sys.argv[1]
for number in range(40):
    store.add(SessionRecord(id=f"{{name}}-{{number}}", harness="shell", provider="p", model="m", route="direct", cwd="/"))
    store.update(f"{{name}}-{{number}}", requests=number, input_tokens=number * 10)
    store.finish(f"{{name}}-{{number}}", "exited", 0)
"""


def test_several_processes_write_at_once_and_every_write_lands(tmp_path):
    path = tmp_path / "state" / "sessions.db"
    code = WRITER.format(root=str(ROOT), path=str(path))
    writers = [subprocess.Popen([sys.executable, "-c", code, f"w{n}"], stderr=subprocess.PIPE) for n in range(4)]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    rows = SessionStore(path).listing(include_all=True)
    assert len(rows) == 160
    assert all(r.state == "exited" and r.input_tokens == r.requests * 10 for r in rows)


@contextlib.contextmanager
def locked_for_a_moment(path: Path, monkeypatch, seconds: float = 0.3):
    """Another connection holds ``path`` exclusively for ``seconds``, and SQLite reports that lock
    at once (busy timeout 0), as it does in some lock states whatever the timeout: some locks (a
    connection opening while the last one checkpoints the WAL away) are never waited for."""
    from amux_tui.records import store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 0)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(seconds, holder.execute, ("COMMIT",))
    release.start()
    try:
        yield
    finally:
        release.join()
        holder.close()


def test_a_lock_sqlite_reports_at_once_is_waited_out_not_lost(tmp_path, monkeypatch):
    path = tmp_path / "sessions.db"
    store = SessionStore(path)
    store.add(record("first"))
    with locked_for_a_moment(path, monkeypatch):
        store.add(record("second"))
        store.update("second", state="exited")
    assert {(r.id, r.state) for r in store.listing(include_all=True)} == {("first", "running"), ("second", "exited")}


def test_a_busy_database_on_first_open_is_retried_not_called_unreadable(tmp_path, monkeypatch):
    path = tmp_path / "sessions.db"
    SessionStore(path).add(record("first"))
    with locked_for_a_moment(path, monkeypatch):
        fresh = SessionStore(path)  # its first call runs the schema check, under the lock
        assert [r.id for r in fresh.running()] == ["first"]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


OWNER = """
import os, subprocess, sys, time
sys.path.insert(0, {root!r})
from amux_tui.records.liveness import group_fields, owner_fields
from amux_tui.records.store import SessionRecord, SessionStore
store = SessionStore({path!r})
child = subprocess.Popen(["sleep", "300"], process_group=0, env={{**os.environ, "AMUX_SESSION_ID": "lost1"}})
store.add(SessionRecord(id="lost1", harness="shell", provider="p", model="m", route="direct", cwd="/", **owner_fields()))
store.update("lost1", **group_fields(child.pid))
print(child.pid, flush=True)
time.sleep(300)
"""


def test_a_session_whose_amux_was_killed_is_marked_lost_and_its_process_group_ended(tmp_path):
    path = tmp_path / "sessions.db"
    owner = subprocess.Popen([sys.executable, "-c", OWNER.format(root=str(ROOT), path=str(path))],
                             stdout=subprocess.PIPE, text=True)
    harness_pid = int(owner.stdout.readline())
    store = SessionStore(path)
    try:
        assert mark_lost_sessions(store) == []  # its amux runs: still running
        assert store.get("lost1").state == "running"
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
        assert _alive(harness_pid)  # amux died, the harness did not
        lost = mark_lost_sessions(store)
        assert [r.id for r in lost] == ["lost1"]
        assert store.get("lost1").state == "lost" and store.get("lost1").ended is not None
        deadline = time.monotonic() + 10
        while _alive(harness_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(harness_pid)
    finally:
        owner.kill()
        owner.wait()
        try:
            os.kill(harness_pid, signal.SIGKILL)
        except OSError:
            pass


def test_a_reused_owner_pid_does_not_keep_a_session_running(tmp_path):
    store = SessionStore(tmp_path / "sessions.db")
    mine = owner_fields()
    store.add(record("reused", owner_pid=mine["owner_pid"], owner_start=(mine["owner_start"] or 0) + 12345))
    store.add(record("mine", **mine, **group_fields(os.getpid())))
    assert [r.id for r in mark_lost_sessions(store)] == ["reused"]
    assert store.get("mine").state == "running"
