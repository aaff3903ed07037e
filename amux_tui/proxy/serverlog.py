"""amux's own log for the proxy: aiohttp's server messages, asyncio's and the proxy's errors, one
redacted line each, in ``<state dir>/logs/proxy.log`` (mode 0600), never on stderr.

aiohttp logs every malformed request with a traceback whose message quotes the raw header bytes
(``Authorization: Bearer amux-...``), and with no logging configured Python prints warnings to
stderr: on top of the harness's screen in ``amux launch --with-proxy``, triggerable by any local
process without a token. Here each record becomes one line, exceptions are reduced to their type
and message, quoted request bytes are dropped, and credentials are masked. Lines are written by a
thread (`QueueListener`), so a flood of bad requests never makes the event loop wait on the disk,
and the file is rotated at `MAX_BYTES`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import re
import threading
import time
from pathlib import Path

from ..url_masking import mask_url

SERVER_LOGGERS = ("aiohttp.server", "aiohttp.web", "aiohttp.access", "aiohttp.internal", "aiohttp.client",
                  "asyncio", "amux_tui.proxy")
MAX_BYTES = 1024 * 1024
MAX_LINE = 2000

_CREDENTIALS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s'\"\\]+"), r"\1 [redacted]"),
    (re.compile(r"(?i)\b(x-api-key|x-goog-api-key|api-key|authorization|proxy-authorization|cookie)"
                r"(\s*[:=]\s*)[^\s'\"\\]+"), r"\1\2[redacted]"),
    (re.compile(r"\bamux-[A-Za-z0-9_-]{6,}"), "amux-[redacted]"),
    (re.compile(r"(?i)([?&](?:key|api_key|api-key|token|access_token|sig|signature)=)[^&\s'\"]*"), r"\1[redacted]"),
]
"""With `mask_url` after them: user-info up to the last '@', and every secret-looking query value."""
_QUOTED_BYTES = re.compile(r"\bb(['\"])(?:\\.|(?!\1).)*\1")
"""A bytes repr, its escaped quotes included (``b'..\\'..'`` when the bytes hold both kinds of quote)."""

_lock = threading.Lock()
_listener: logging.handlers.QueueListener | None = None
_path: Path | None = None


def default_log_path(env: dict[str, str] | None = None) -> Path:
    """Under amux's state directory (`files.state_root`)."""
    from ..files import state_root

    return state_root(env) / "logs" / "proxy.log"


def redact_line(text: str) -> str:
    """``text`` with credentials masked, quoted raw bytes dropped, on one line."""
    text = _QUOTED_BYTES.sub("<bytes>", text)
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    text = mask_url(text, "[redacted]")
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE else text[:MAX_LINE] + "…"


class OneRedactedLine(logging.Formatter):
    """``time level logger: message[: ExceptionType: its message]``, redacted, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message = f"{message}: {type(exc).__name__}: {exc}"  # no traceback: the message says what was wrong
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
        return f"{stamp} {record.levelname} {record.name}: {redact_line(message)}"


class _OneLineQueueHandler(logging.handlers.QueueHandler):
    """Formats on the caller's side (the record's exception is gone once queued), writes on the thread's."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        line = self.format(record)
        return logging.makeLogRecord({"msg": line, "levelno": record.levelno, "levelname": record.levelname,
                                      "name": record.name})


def route_server_logs(path: Path | None = None) -> Path:
    """Send `SERVER_LOGGERS` to the log file from now on (once per process; later calls return the
    path in use). Nothing of theirs reaches stderr any more."""
    global _listener, _path
    with _lock:
        if _listener is not None and _path is not None:
            return _path
        target = path or default_log_path()
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        handler = _OneLineQueueHandler(records)
        handler.setFormatter(OneRedactedLine())
        writer = _PrivateRotatingFile(target)
        writer.setFormatter(logging.Formatter("%(message)s"))
        _listener = logging.handlers.QueueListener(records, writer)
        _listener.start()
        for name in SERVER_LOGGERS:
            logger = logging.getLogger(name)
            for old in [h for h in logger.handlers if isinstance(h, _OneLineQueueHandler)]:
                logger.removeHandler(old)
            logger.addHandler(handler)
            logger.propagate = False
            if logger.level == logging.NOTSET or logger.level > logging.INFO:
                logger.setLevel(logging.INFO)
        _path = target
        return target


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """Created 0600 in a 0700 directory, on the first line (a proxy that logs nothing leaves no file)."""

    def __init__(self, path: Path):
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=1, encoding="utf-8", delay=True)

    def _open(self):  # noqa: ANN202 - logging's own signature
        Path(self.baseFilename).parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(descriptor, "a", encoding="utf-8")  # noqa: SIM115 - the handler owns it

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass  # an unwritable state directory must not break serving, nor print to stderr
