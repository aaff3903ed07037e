"""How a terminal session's child starts: its environment, its signals, and the
last-resort kill of sessions left open when amux exits."""

from __future__ import annotations

import atexit
import os
import signal
from collections.abc import Mapping

from amux_tui import __version__, processes

#: The environment variable marking every process of one terminal session.
SESSION_MARKER = "AMUX_TERMINAL_SESSION"

# Inherited variables that would describe the terminal amux runs in, not amux's.
_FOREIGN_TERMINAL_VARS = (
    "COLUMNS", "LINES", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "TERM_SESSION_ID",
    "KITTY_WINDOW_ID", "KITTY_PID", "WEZTERM_PANE", "WT_SESSION", "ITERM_SESSION_ID",
    "VTE_VERSION", "TMUX", "TMUX_PANE", "STY", "ALACRITTY_WINDOW_ID", "GHOSTTY_RESOURCES_DIR",
)


def terminal_environment(
    env: Mapping[str, str | None] | None, *, inherit: bool = True, marker: str = ""
) -> dict[str, str]:
    """The child's environment: ours (or none), ``env`` on top (None unsets), terminal identity last."""
    result = dict(os.environ) if inherit else {}
    for name in _FOREIGN_TERMINAL_VARS:
        result.pop(name, None)
    for name, value in (env or {}).items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    result["TERM"] = "xterm-256color"
    result["COLORTERM"] = "truecolor"
    result["TERM_PROGRAM"] = "amux"
    result["TERM_PROGRAM_VERSION"] = __version__
    if marker:
        result[SESSION_MARKER] = marker
    return result


live_groups: set[int] = set()


@atexit.register
def _kill_live_groups() -> None:
    """Last resort if the app ends without closing its sessions: SIGKILL their groups.

    No waiting and no reaping here (the interpreter is going away); close()
    is the proper path and also reaches daemons that left the group.
    """
    for pgid in list(live_groups):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


def prepare_child(parent: int) -> None:
    _restore_signals()
    processes.die_with_parent(parent)  # and the watchdog (`amux_tui.watchdog`) for the rest


def _restore_signals() -> None:
    """In the child before exec: default dispositions, nothing blocked (like subprocess)."""
    for name in ("SIGPIPE", "SIGXFSZ", "SIGINT", "SIGQUIT", "SIGTSTP", "SIGTTIN", "SIGTTOU",
                 "SIGHUP", "SIGTERM", "SIGCHLD", "SIGWINCH"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
