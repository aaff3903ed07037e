"""The command that resumes a session after its harness exits.

On the proxied and direct routes a harness keeps its history in amux's home for it (`plan.home`),
so its own hint (``claude --resume ID``, ``codex resume ID``) looks in the user's config and finds
nothing. amux prints its own command instead: the same harness, provider, model and proxy mode,
with ``--resume ID`` when the harness's newest transcript in that home names the session.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from .resolve import LaunchPlan

SESSION_FILES = {
    "claude": "projects/*/*.jsonl",  # <CLAUDE_CONFIG_DIR>/projects/<cwd>/<session uuid>.jsonl
    "codex": "sessions/**/rollout-*.jsonl",  # <CODEX_HOME>/sessions/Y/M/D/rollout-<time>-<uuid>.jsonl
}
"""Where a harness writes a session's transcript inside its home; the file names the session id."""
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PROXY_FLAGS = {"always": "--with-proxy", "if-needed": "--with-proxy-if-needed"}


def newest_session_id(harness: str, home: Path, *, since: float) -> str | None:
    """The id of the transcript written last in ``home`` since ``since`` (epoch seconds), if any."""
    pattern = SESSION_FILES.get(harness)
    if pattern is None or not home.is_dir():
        return None
    newest: tuple[float, str] | None = None
    for path in home.glob(pattern):
        try:
            modified = path.stat().st_mtime
        except OSError:
            continue
        ids = _UUID.findall(path.stem)
        if ids and modified >= since and (newest is None or modified > newest[0]):
            newest = (modified, ids[-1])
    return newest[1] if newest else None


def resume_command(plan: LaunchPlan, *, can_resume: bool, by_id: bool, proxy_mode: str, since: float,
                   config: str | None = None) -> str | None:
    """``amux launch ... --resume [ID]`` for this session; None where the harness's own hint is right
    (the native route uses the user's own config) or it cannot resume."""
    if not can_resume or plan.home is None:
        return None
    session_id = newest_session_id(plan.harness, plan.home, since=since) if by_id else None
    words = ["amux", "launch", plan.harness]
    if config:
        words += ["--config", config]
    words += ["--provider", plan.provider.name, "--model", plan.model]
    if proxy_mode in PROXY_FLAGS:
        words.append(PROXY_FLAGS[proxy_mode])
    words += ["--resume", session_id] if session_id else ["--resume"]
    return shlex.join(words)
