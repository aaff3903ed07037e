"""Server-sent events: an incremental parser over raw bytes, and the writer.

The parser follows the WHATWG event-stream rules that matter for model APIs: lines end
in CRLF, LF or CR (a CRLF may be split across chunks), ``data`` lines of one event are
joined with newlines, comments (``:``) are skipped, an event is dispatched at a blank
line. Chunks may split anywhere, even inside a multi-byte character: lines are only
decoded once complete.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class SSEEvent:
    """One dispatched event: its ``event:`` name (None when absent) and joined data."""

    event: str | None
    data: str


class SSEParser:
    """Feed bytes as they arrive; get back the events they completed."""

    __slots__ = ("_partial", "_skip_lf", "_event", "_data")

    def __init__(self) -> None:
        self._partial = b""  # an unterminated line, already CR-normalised
        self._skip_lf = False  # the last chunk ended in CR: a leading LF is its pair
        self._event: str | None = None
        self._data: list[bytes] = []

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
        if b"\r" in chunk:
            self._skip_lf = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._partial:
            chunk = self._partial + chunk
        lines = chunk.split(b"\n")
        self._partial = lines.pop()
        events: list[SSEEvent] = []
        for line in lines:
            if line:
                self._field(line)
            elif self._data:
                events.append(self._dispatch())
            else:
                self._event = None  # a blank line after an event with no data
        return events

    def flush(self) -> list[SSEEvent]:
        """End of stream: an event missing only its final blank line is still delivered."""
        if self._partial:
            self._field(self._partial)
            self._partial = b""
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
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        # id and retry do not matter to a proxy that never reconnects

    def _dispatch(self) -> SSEEvent:
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = SSEEvent(self._event, data.decode("utf-8", "replace"))
        self._event = None
        self._data = []
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
