"""Server-sent events: an incremental parser over raw bytes, and the writer.

The parser follows the WHATWG event-stream rules that matter for model APIs: lines end
in CRLF, LF or CR (a CRLF may be split across chunks), ``data`` lines of one event are
joined with newlines, comments (``:``) are skipped, an event is dispatched at a blank
line. Chunks may split anywhere, even inside a multi-byte character: lines are only
decoded once complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TranslationError


@dataclass(slots=True)
class SSEEvent:
    """One dispatched event: its ``event:`` name (None when absent) and joined data."""

    event: str | None
    data: str


MAX_EVENT_BYTES = 16 * 1024 * 1024
"""The largest single event (its unfinished line plus its data lines) a parser holds; the proxy sets it
from ``AMUX_PROXY_MAX_EVENT`` (`proxy.limits`). One endless ``data:`` line must not take the memory."""


def size_text(size: int) -> str:
    """``16 MiB``, ``32 KiB`` or ``1000 bytes``: a limit as it was most likely set."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


class SSEEventTooLarge(TranslationError):
    """An event grew past the parser's limit: the stream is ended with the client's error event."""

    def __init__(self, limit: int) -> None:
        super().__init__(502, f"the upstream sent a single stream event larger than {size_text(limit)}; "
                              "amux stopped reading it (raise AMUX_PROXY_MAX_EVENT if that is expected)",
                         "api_error")


class SSEParser:
    """Feed bytes as they arrive; get back the events they completed.

    Linear in what is fed: an unfinished line is kept as pieces and joined once, when its end comes
    (it used to be copied whole at every chunk, quadratic for a long line)."""

    __slots__ = ("_partial", "_partial_size", "_skip_lf", "_event", "_data", "_data_size", "max_event")

    def __init__(self, max_event: int | None = None) -> None:
        self._partial: list[bytes] = []  # pieces of an unterminated line, already CR-normalised
        self._partial_size = 0
        self._skip_lf = False  # the last chunk ended in CR: a leading LF is its pair
        self._event: str | None = None
        self._data: list[bytes] = []
        self._data_size = 0
        self.max_event = max_event or MAX_EVENT_BYTES

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if not self._partial and not self._data and not self._skip_lf and self._event is None:
            fast = _whole_events(chunk)
            if fast is not None:
                return fast
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
                if not chunk:
                    return []
        if b"\r" in chunk:
            self._skip_lf = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        first_end = chunk.find(b"\n")
        if first_end < 0:
            self._keep_partial(chunk)
            return []
        lines = chunk.split(b"\n")
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = b"".join(self._partial)
            self._partial, self._partial_size = [], 0
        rest = lines.pop()
        events: list[SSEEvent] = []
        for line in lines:
            if line:
                self._field(line)
            elif self._data:
                events.append(self._dispatch())
            else:
                self._event = None  # a blank line after an event with no data
        if rest:
            self._keep_partial(rest)
        return events

    def _keep_partial(self, piece: bytes) -> None:
        self._partial.append(piece)
        self._partial_size += len(piece)
        if self._partial_size + self._data_size > self.max_event:
            self._partial, self._partial_size = [], 0
            raise SSEEventTooLarge(self.max_event)

    def flush(self) -> list[SSEEvent]:
        """End of stream: an event missing only its final blank line is still delivered."""
        if self._partial:
            line = b"".join(self._partial)
            self._partial, self._partial_size = [], 0
            if line:
                self._field(line)
        return [self._dispatch()] if self._data else []

    def _field(self, line: bytes) -> None:
        if line[0] == 0x3A:  # ":" comment (keep-alives)
            return
        colon = line.find(b":")
        if colon < 0:
            name, value = line, b""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._data.append(value)
            self._data_size += len(value) + 1
            if self._data_size > self.max_event:
                self._data, self._data_size = [], 0
                raise SSEEventTooLarge(self.max_event)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        # id and retry do not matter to a proxy that never reconnects

    def _dispatch(self) -> SSEEvent:
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = SSEEvent(self._event, data.decode("utf-8", "replace"))
        self._event = None
        self._data = []
        self._data_size = 0
        return event


def _whole_events(chunk: bytes) -> list[SSEEvent] | None:
    """The usual chunk, whole ``[event: x\\n]data: y\\n\\n`` events, parsed in one go;
    None for anything else (the general parser then takes it)."""
    if b"\r" in chunk:  # Gemini ends lines with CRLF
        chunk = chunk.replace(b"\r\n", b"\n")
        if b"\r" in chunk:
            return None
    if not chunk.endswith(b"\n\n"):
        return None
    events = []
    for block in chunk[:-2].split(b"\n\n"):
        if block.startswith(b"data: "):
            if b"\n" in block:
                return None
            events.append(SSEEvent(None, block[6:].decode("utf-8", "replace")))
        elif block.startswith(b"event: "):
            head, sep, data = block.partition(b"\ndata: ")
            if not sep or b"\n" in data or b"\n" in head:
                return None
            events.append(SSEEvent(head[7:].decode("utf-8", "replace"), data.decode("utf-8", "replace")))
        else:
            return None
    return events


def format_event(event: str | None, data: str) -> bytes:
    """One event in wire form; multi-line data becomes several ``data:`` lines."""
    if "\n" in data or "\r" in data:
        data = "\ndata: ".join(data.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if event is None:
        return f"data: {data}\n\n".encode()
    return f"event: {event}\ndata: {data}\n\n".encode()
