"""The command that resumes a session after its harness exits.

On the proxied and direct routes a harness keeps its history in amux's home for it (`plan.home`),
so its own hint (``claude --resume ID``, ``codex resume ID``) looks in the user's config and finds
nothing. amux prints its own command instead: the same harness, provider, model and proxy mode,
with ``--resume ID`` when the harness's newest session file in that home for this directory names
the session (`session_files`, which the session records read too).
"""

from __future__ import annotations

import shlex

from .resolve import LaunchPlan
from .session_files import find_session_id

PROXY_FLAGS = {"always": "--with-proxy", "if-needed": "--with-proxy-if-needed"}


def resume_command(plan: LaunchPlan, *, can_resume: bool, by_id: bool, proxy_mode: str, since: float,
                   config: str | None = None) -> str | None:
    """``amux launch ... --resume [ID]`` for this session; None where the harness's own hint is right
    (the native route uses the user's own config) or it cannot resume."""
    if not can_resume or plan.home is None:
        return None
    try:
        session_id = find_session_id(plan.harness, plan.home, plan.cwd, since=since) if by_id else None
    except OSError:  # an unreadable home: the hint without an id still resumes the latest session
        session_id = None
    words = ["amux", "launch", plan.harness]
    if config:
        words += ["--config", config]
    words += ["--provider", plan.provider.name, "--model", plan.model]
    if proxy_mode in PROXY_FLAGS:
        words.append(PROXY_FLAGS[proxy_mode])
    words += ["--resume", session_id] if session_id else ["--resume"]
    return shlex.join(words)
