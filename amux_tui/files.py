"""Small files amux keeps: where its state lives, an advisory lock beside a file, and an atomic replace.

Shared by the rooms (the config store, the proxy's log, harness homes, caches and the trust list), so
every one of them finds the same state directory and writes the same safe way."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path


def state_root(env: Mapping[str, str] | None = None) -> Path:
    """amux's state directory: ``$AMUX_STATE_DIR``, else ``$XDG_STATE_HOME/amux``, else the platform's."""
    env = os.environ if env is None else env
    if env.get("AMUX_STATE_DIR"):
        return Path(env["AMUX_STATE_DIR"])
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "amux"
    from platformdirs import user_state_path

    return user_state_path("amux", appauthor=False)


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``lock_file`` (created 0600), for a read-modify-write of a file
    beside it. A separate file: the one written is replaced by each write, so a lock on it would be lost."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def replace_atomically(target: Path, text: str, *, mode: int = 0o600, fsync: bool = False) -> None:
    """Write ``text`` to a new file beside ``target`` (created with ``mode``, less the umask), then rename
    it over ``target``: a reader sees the old file or the new one, never half of one."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
