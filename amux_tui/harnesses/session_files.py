"""A harness's own id for a session, read from its session files in amux's harness home.

Never guessed: only a file the harness wrote for this working directory, modified since the
session started, names it. Claude Code keeps ``projects/<dir>/<uuid>.jsonl`` whose lines carry
``sessionId`` and ``cwd``; Codex keeps ``sessions/YYYY/MM/DD/rollout-...-<uuid>.jsonl`` whose first
line is ``session_meta`` with ``payload.id`` and ``payload.cwd``; Gemini CLI keeps
``.gemini/tmp/<project>/chats/session-*.jsonl`` whose first line has ``sessionId`` and ``projectHash``
(the SHA-256 of the directory).
Harnesses not listed here have no readable session files: None.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

_HEAD_LINES = 20


def find_session_id(harness: str, home: str | os.PathLike[str] | None, cwd: str | os.PathLike[str],
                    since: float | None = None) -> str | None:
    """The id of the newest session of ``harness`` in ``cwd`` (files modified at or after ``since``)."""
    reader = _READERS.get(harness)
    if reader is None or not home:
        return None
    folder = Path(home)
    if not folder.is_dir():
        return None
    found: list[tuple[float, str]] = []
    for path in reader.files(folder):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if since is not None and mtime < since - 1:
            continue
        session_id = reader.read(path, str(Path(cwd).resolve()))
        if session_id:
            found.append((mtime, session_id))
    return max(found)[1] if found else None


def session_exists(harness: str, home: str | os.PathLike[str] | None, session_id: str) -> bool:
    """Whether the harness's files for ``session_id`` are still in its home (resume needs them)."""
    reader = _READERS.get(harness)
    if reader is None or not home or not Path(home).is_dir():
        return False
    return any(session_id in path.name or reader.read(path, None) == session_id for path in reader.files(Path(home)))


class _Reader:
    def __init__(self, files: Callable[[Path], Iterator[Path]], read: Callable[[Path, str | None], str | None]):
        self.files, self.read = files, read


def _json_lines(path: Path) -> Iterator[dict]:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle):
                if number >= _HEAD_LINES:
                    return
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    yield value
    except OSError:
        return


def _same_dir(value: object, cwd: str | None) -> bool:
    if cwd is None:
        return True
    return isinstance(value, str) and os.path.realpath(value) == cwd


def _claude_read(path: Path, cwd: str | None) -> str | None:
    for entry in _json_lines(path):
        if entry.get("sessionId") and "cwd" in entry:
            return str(entry["sessionId"]) if _same_dir(entry["cwd"], cwd) else None
    return None


def _codex_read(path: Path, cwd: str | None) -> str | None:
    for entry in _json_lines(path):
        payload = entry.get("payload")
        if entry.get("type") == "session_meta" and isinstance(payload, dict) and payload.get("id"):
            return str(payload["id"]) if _same_dir(payload.get("cwd"), cwd) else None
    return None


def _gemini_read(path: Path, cwd: str | None) -> str | None:
    # JSON lines whose first object names the session (older versions: one JSON object per file).
    data = next(iter(_json_lines(path)), None) if path.suffix == ".jsonl" else _json_file(path)
    if not isinstance(data, dict) or not data.get("sessionId"):
        return None
    if cwd is not None and data.get("projectHash") not in (None, hashlib.sha256(cwd.encode()).hexdigest()):
        return None
    return str(data["sessionId"])


def _json_file(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_READERS: dict[str, _Reader] = {
    "claude": _Reader(lambda home: home.glob("projects/*/*.jsonl"), _claude_read),
    "codex": _Reader(lambda home: home.glob("sessions/*/*/*/rollout-*.jsonl"), _codex_read),
    "gemini": _Reader(lambda home: home.glob(".gemini/tmp/*/chats/session-*.json*"), _gemini_read),
}
READABLE_HARNESSES = tuple(_READERS)
