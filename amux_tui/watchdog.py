"""The watchdog: ends a session's processes when amux dies without ending them (``kill -9``).

amux ends every process a session started when the session closes (`processes`), but a process
killed with SIGKILL runs no clean-up. So on first use amux starts this tiny process, in a session
of its own (no terminal signal reaches it), holding the read end of a pipe whose only write end
amux has. Through the pipe amux says which sessions to watch (``watch PID START MARKER``) and which
ended (``forget PID``); a normal exit says ``bye``. When the pipe ends without ``bye``, amux is
gone: the watchdog ends every watched session's processes (its group, its session, and whatever
carries its marker: setsid'd and signal-ignoring ones included) with SIGHUP, SIGTERM, then SIGKILL,
and puts the terminal back in a usable state (main screen, no mouse tracking, cursor shown, cooked
mode). The harness itself also gets SIGTERM from the kernel when amux dies (`processes.die_with_parent`).

Run as ``python -m amux_tui.watchdog [TTY]``; amux does that itself (`watch`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

from . import processes

ROUNDS = 3
"""Times the watched sessions are swept (a process may fork while being ended)."""
TERMINAL_RESET = (b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?1049l"
                  b"\x1b[?25h\x1b[0m\r\n")
"""Mouse tracking off (all modes), bracketed paste off, main screen, cursor shown, attributes reset."""

_lock = threading.Lock()
_writer: int | None = None
_process: subprocess.Popen[bytes] | None = None


# --- amux's side -------------------------------------------------------------------------------

def watch(pid: int, marker: bytes | None = None) -> None:
    """Have the watchdog end ``pid``'s session (and what carries ``marker``) if amux dies first.
    Never raises: without a watchdog amux still ends its sessions itself."""
    info = processes.read_process(pid)
    if info is not None:
        _send(f"watch {pid} {info.start_time} {(marker or b'-').decode('utf-8', 'replace')}\n")


def forget(pid: int) -> None:
    """``pid``'s session ended normally: nothing left to watch for it."""
    if _writer is not None:
        _send(f"forget {pid}\n")


def start() -> None:
    """Start the watchdog now if it is not running (call before spawning what it will watch: a
    ``kill -9`` right after the spawn must find it already there)."""
    with _lock:
        if _writer is None:
            _start()


def own_pid() -> int | None:
    """The watchdog's pid, if it runs (amux's clean-up of adopted strays must leave it alone)."""
    return _process.pid if _process is not None else None


def _send(line: str) -> None:
    with _lock:
        if _writer is None and not _start():
            return
        assert _writer is not None
        with contextlib.suppress(OSError):  # a full pipe or a dead watchdog: amux goes on
            os.write(_writer, line.encode())


def _start() -> bool:
    global _writer, _process
    if not sys.platform.startswith("linux"):
        return False
    tty = next((os.ttyname(fd) for fd in (0, 1, 2) if os.isatty(fd)), "-")
    reader, writer = os.pipe()
    try:
        _process = subprocess.Popen(
            [sys.executable, "-m", "amux_tui.watchdog", tty], stdin=reader, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True, env=_environment())
    except OSError:
        os.close(writer)
        return False
    finally:
        os.close(reader)
    os.set_blocking(writer, False)
    _writer = writer
    atexit.register(_say_bye)
    return True


def _environment() -> dict[str, str]:
    """Only what Python needs to find amux: none of amux's keys, and none of the variables that mark
    a session's processes (the watchdog must never look like one of them)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "PYTHONHOME") if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return env


def _say_bye() -> None:
    """A normal exit: the sessions were ended by amux; the watchdog leaves without touching anything."""
    global _writer
    with _lock:
        if _writer is None:
            return
        with contextlib.suppress(OSError):
            os.write(_writer, b"bye\n")
        os.close(_writer)
        _writer = None
    if _process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            _process.wait(timeout=2)


# --- the watchdog process ------------------------------------------------------------------------

def serve(tty: str | None) -> int:
    """Read amux's messages until the pipe ends; then, unless amux said ``bye``, end what it watched."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTSTP, signal.SIGTTOU, signal.SIGTTIN):
        signal.signal(sig, signal.SIG_IGN)
    watched: dict[int, tuple[int, bytes | None]] = {}
    stream = os.fdopen(0, "rb", buffering=0)
    pending = b""
    while True:
        data = stream.read(4096)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            parts = line.decode("utf-8", "replace").split(" ")
            if parts[0] == "bye":
                return 0
            if parts[0] == "watch" and len(parts) == 4 and parts[1].isdigit() and parts[2].isdigit():
                watched[int(parts[1])] = (int(parts[2]), None if parts[3] == "-" else parts[3].encode())
            elif parts[0] == "forget" and len(parts) == 2 and parts[1].isdigit():
                watched.pop(int(parts[1]), None)
    end_watched(watched)
    if tty and tty != "-":
        restore_terminal(tty)
    return 0


def members_of(root: int, root_start: int, marker: bytes | None) -> dict[int, processes.ProcessInfo]:
    """What is left of a session amux no longer looks after: its group and session (never a process
    older than the session's first one, nor one as new as a process that reused its pid) and every
    process with its marker."""
    own, uid = os.getpid(), os.getuid()
    found = {}
    everything = processes.all_processes()
    # If the pid now names a later process, ids equal to it after that process started are its own
    # group or session, not the session's: only members older than it can be the session's.
    now = everything.get(root)
    reused_at = now.start_time if now is not None and now.start_time != root_start else None
    for info in everything.values():
        if info.pid == own or info.zombie:
            continue
        in_group = ((info.pgid == root or info.sid == root) and info.start_time >= root_start
                    and (reused_at is None or info.start_time < reused_at))
        if in_group or (marker is not None and processes.has_marker(info.pid, marker)
                        and os.stat(f"/proc/{info.pid}").st_uid == uid):
            found[info.pid] = info
    return found


def end_watched(watched: dict[int, tuple[int, bytes | None]]) -> None:
    for _ in range(ROUNDS):
        members: dict[int, processes.ProcessInfo] = {}
        for root, (start, marker) in watched.items():
            members.update(members_of(root, start, marker))
        if not members:
            return
        for sig, wait in ((signal.SIGHUP, 0.3), (signal.SIGTERM, 0.5), (signal.SIGKILL, 0.2)):
            processes.signal_processes(members, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(processes.still_running(i) for i in members.values()):
                time.sleep(0.05)
            members = {pid: info for pid, info in members.items() if processes.still_running(info)}
            if not members:
                break


def restore_terminal(tty: str) -> None:
    """Main screen, mouse off, cursor on, and the line discipline cooked again (``stty sane``'s core)."""
    import termios

    try:
        fd = os.open(tty, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.write(fd, TERMINAL_RESET)
        with contextlib.suppress(termios.error, OSError):
            attrs = termios.tcgetattr(fd)
            attrs[0] |= termios.ICRNL | termios.BRKINT
            attrs[1] |= termios.OPOST | termios.ONLCR
            attrs[3] |= termios.ECHO | termios.ECHOE | termios.ECHOK | termios.ICANON | termios.ISIG | termios.IEXTEN
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
    finally:
        os.close(fd)


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1] if len(sys.argv) > 1 else None))
