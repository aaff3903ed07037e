"""The session database: ``$AMUX_STATE_DIR/sessions.db`` (SQLite, WAL).

Several writers at once are normal (a dashboard and a few ``amux launch`` processes): WAL lets
readers go on while one writes, and a busy timeout makes a writer wait for the lock instead of
failing. Each call opens its own short connection, so the store is safe from any thread.
The schema is versioned with ``PRAGMA user_version``; `MIGRATIONS` upgrades an older file in place.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from ..files import state_root

State = Literal["running", "exited", "killed", "lost"]
STATES: tuple[State, ...] = ("running", "exited", "killed", "lost")
DB_NAME = "sessions.db"
BUSY_TIMEOUT_MS = 10_000
BUSY_RETRY_SECONDS = 10.0
"""How long a call is retried when SQLite reports busy at once, without waiting its busy timeout."""

# Each entry upgrades the schema from version i to i + 1; never edit one that shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL DEFAULT '',
        harness TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        route TEXT NOT NULL,
        cwd TEXT NOT NULL,
        worktree_path TEXT,
        worktree_branch TEXT,
        base_commit TEXT,
        harness_session_id TEXT,
        state TEXT NOT NULL DEFAULT 'running',
        exit_code INTEGER,
        started REAL NOT NULL,
        ended REAL,
        requests INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        cost REAL,
        owner_pid INTEGER,
        owner_start INTEGER,
        pgid INTEGER,
        pgid_start INTEGER
    );
    CREATE INDEX sessions_by_state ON sessions (state, started);
    """,
    # 2: where the worktree came from (merge target), the harness home (resume reads its files),
    # why a cost is unknown, and the proxy mode (resume relaunches on the same route).
    """
    ALTER TABLE sessions ADD COLUMN origin_path TEXT;
    ALTER TABLE sessions ADD COLUMN origin_branch TEXT;
    ALTER TABLE sessions ADD COLUMN harness_home TEXT;
    ALTER TABLE sessions ADD COLUMN cost_note TEXT;
    ALTER TABLE sessions ADD COLUMN proxy_mode TEXT NOT NULL DEFAULT 'never';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class RecordsError(Exception):
    """The database cannot be used (newer schema, unreadable file); the message says what to do."""


def _retried_when_busy(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``method`` again when SQLite says the database is busy or locked.

    The busy timeout covers waiting for a writer, but not every lock: a connection that opens while
    the last one closes (and checkpoints the WAL away) gets SQLITE_BUSY at once. Every call here is
    one short statement on a fresh connection, so running it again is safe."""

    @functools.wraps(method)
    def retried(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + BUSY_RETRY_SECONDS
        pause = 0.01
        while True:
            try:
                return method(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    return retried


def _busy(exc: sqlite3.OperationalError) -> bool:
    # Every error sqlite3 raises carries its code (Python >= 3.11); the low byte is the primary code.
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@dataclass
class SessionRecord:
    id: str
    harness: str
    provider: str
    model: str
    route: str
    cwd: str
    label: str = ""
    worktree_path: str | None = None
    worktree_branch: str | None = None
    base_commit: str | None = None
    origin_path: str | None = None
    """The checkout the worktree was made from (where `merge` goes)."""
    origin_branch: str | None = None
    harness_session_id: str | None = None
    harness_home: str | None = None
    proxy_mode: str = "never"
    state: State = "running"
    exit_code: int | None = None
    started: float = 0.0
    ended: float | None = None
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = None
    cost_note: str | None = None
    """Why ``cost`` is unknown (no price for the model, no usage reported...)."""
    owner_pid: int | None = None
    """The amux process that runs the session; when it is gone, so is the session (`lost`)."""
    owner_start: int | None = None
    pgid: int | None = None
    """The harness's process group (its leader's pid)."""
    pgid_start: int | None = None

    def to_public_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for private in ("owner_pid", "owner_start", "pgid", "pgid_start"):
            data.pop(private)
        return data


_COLUMNS = tuple(f.name for f in fields(SessionRecord))


def database_path(env: Mapping[str, str] | None = None) -> Path:
    return state_root(env) / DB_NAME


class SessionStore:
    """Reads and writes session records; every method is blocking (call it off the event loop)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._ready = False

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> SessionStore:
        return cls(database_path(env))

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise RecordsError(f"cannot open amux's session database {self.path}: {exc}") from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self._ready:
                self._prepare(conn)
            yield conn
        finally:
            conn.close()

    def _prepare(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            # One migrator at a time; the others wait, then see the new version.
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise RecordsError(
                        f"{self.path} was written by a newer amux (schema {version}, this one knows "
                        f"{SCHEMA_VERSION}): upgrade amux, or set AMUX_STATE_DIR to another directory")
                for step in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS[step].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {step + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and _busy(exc):
                raise  # another amux holds the lock for a moment: the call is retried
            raise RecordsError(f"amux's session database {self.path} cannot be read ({exc}): move it aside "
                               "and amux starts a new one") from None
        self._ready = True

    # --- writes -----------------------------------------------------------------------------

    @_retried_when_busy
    def add(self, record: SessionRecord) -> SessionRecord:
        if not record.started:
            record.started = time.time()
        data = asdict(record)
        names = ", ".join(_COLUMNS)
        marks = ", ".join(f":{name}" for name in _COLUMNS)
        with self.connect() as conn:
            conn.execute(f"INSERT INTO sessions ({names}) VALUES ({marks})", data)
        return record

    @_retried_when_busy
    def update(self, session_id: str, **values: Any) -> None:
        unknown = set(values) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown session fields: {', '.join(sorted(unknown))}")
        if not values:
            return
        sets = ", ".join(f"{name} = :{name}" for name in values)
        with self.connect() as conn:
            conn.execute(f"UPDATE sessions SET {sets} WHERE id = :id", {**values, "id": session_id})

    def finish(self, session_id: str, state: State, exit_code: int | None, **totals: Any) -> None:
        """The session ended: its state, exit code and end time (plus any final totals)."""
        self.update(session_id, state=state, exit_code=exit_code, ended=time.time(), **totals)

    @_retried_when_busy
    def delete(self, session_id: str) -> None:
        with self.connect() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # --- reads ------------------------------------------------------------------------------

    @_retried_when_busy
    def get(self, session_id: str) -> SessionRecord | None:
        with self.connect() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return _record(row) if row else None

    @_retried_when_busy
    def find(self, prefix: str) -> SessionRecord:
        """The one record whose id starts with ``prefix``; RecordsError when none or several."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.connect() as conn:
            rows = conn.execute("SELECT * FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 3",
                                (pattern,)).fetchall()
        if not rows or not prefix:
            raise RecordsError(f"no session {prefix!r}: `amux sessions --all` lists them")
        if len(rows) > 1:
            raise RecordsError(f"{prefix!r} names several sessions: give more of its id")
        return _record(rows[0])

    @_retried_when_busy
    def running(self) -> list[SessionRecord]:
        with self.connect() as conn:
            rows = conn.execute("SELECT * FROM sessions WHERE state = 'running' ORDER BY started").fetchall()
        return [_record(row) for row in rows]

    @_retried_when_busy
    def listing(self, *, include_all: bool = False, recent: int = 20) -> list[SessionRecord]:
        """Running sessions first (oldest first), then ended ones, newest first (the last ``recent``
        unless ``include_all``)."""
        limit = -1 if include_all else recent
        with self.connect() as conn:
            live = conn.execute("SELECT * FROM sessions WHERE state = 'running' ORDER BY started").fetchall()
            ended = conn.execute("SELECT * FROM sessions WHERE state != 'running' ORDER BY started DESC LIMIT ?",
                                 (limit,)).fetchall()
        return [_record(row) for row in (*live, *ended)]


def _record(row: sqlite3.Row) -> SessionRecord:
    return SessionRecord(**{name: row[name] for name in _COLUMNS})
