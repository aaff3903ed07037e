"""``StreamTranslator``: upstream SSE bytes in, client SSE bytes out, one per stream.

    bytes ─ SSEParser ─ SSEEvent ─ <upstream>StreamDecoder ─ IR events ─ <client>StreamEncoder ─ bytes

All per-stream state lives on the instance (parser buffer, open blocks, tool indexes,
usage), so concurrent streams never share anything. When both sides speak the same
protocol the bytes pass through untouched and are only decoded to record usage.
"""

from __future__ import annotations

from . import ir
from .codecs import CODECS
from .report import TranslationReport
from .sse import SSEParser
from .translate import check_protocol

_INCOMPLETE = "upstream stream ended before the answer was complete"


class StreamTranslator:
    """Translate one streamed answer from the ``upstream`` to the ``client`` protocol.

    ``model`` is the model name the client sees. Pass the ``report`` that
    ``translate_request`` filled. ``include_usage`` is chat's ``stream_options.include_usage``.
    """

    def __init__(
        self,
        *,
        upstream: ir.Protocol,
        client: ir.Protocol,
        model: str,
        report: TranslationReport,
        include_usage: bool = True,
    ) -> None:
        check_protocol(upstream)
        check_protocol(client)
        self._parser = SSEParser()
        self._decoder = CODECS[upstream].stream_decoder(report)
        self._encoder = CODECS[client].stream_encoder(model, report, include_usage)
        self._passthrough = upstream == client
        self._saw_tool = False
        self._closed = False  # the client stream got its terminal (or error) event
        self.usage = ir.Usage()
        self.stop_reason: ir.StopReason | None = None

    def feed(self, chunk: bytes) -> bytes:
        """Raw upstream bytes (split anywhere) -> raw client bytes to write (maybe b"")."""
        if self._closed:
            return b""
        events = self._parser.feed(chunk)
        if self._passthrough:
            self._observe(events)
            return chunk
        return self._run(events) if events else b""

    def finish(self) -> bytes:
        """The upstream ended: flush, and if it ended early, tell the client so."""
        if self._closed:
            return b""
        events = self._parser.flush()
        if self._passthrough:
            self._observe(events)
            out = b""
        else:
            out = self._run(events)
        if self._closed:
            return out
        if self._decoder.finished and not self._passthrough:
            return out + self._run_ir([ir.End()])  # stop reason seen, terminal event missing: forgive
        if self._decoder.finished:
            self._closed = True
            return out
        return out + self.fail(502, _INCOMPLETE, "api_error")

    def fail(self, status: int, message: str, error_type: str | None = None) -> bytes:
        """A mid-stream failure: the client protocol's error event, and the end of the stream."""
        if self._closed:
            return b""
        self._closed = True
        return self._encoder.error(status, message, error_type)

    def _run(self, events: list) -> bytes:
        decoded: list[ir.StreamEvent] = []
        decode = self._decoder.decode
        for event in events:
            decode(event, decoded)
        return self._run_ir(decoded)

    def _run_ir(self, decoded: list[ir.StreamEvent]) -> bytes:
        out: list[bytes] = []
        encode = self._encoder.encode
        for ev in decoded:
            kind = type(ev)
            if kind is ir.TextDelta:
                encode(ev, out)
                continue
            if kind is ir.UsageUpdate:
                self.usage = ev.usage  # type: ignore[union-attr]
            elif kind is ir.ToolCallStart:
                self._saw_tool = True
            elif kind is ir.Finish:
                if ev.reason == "end_turn" and self._saw_tool:  # type: ignore[union-attr]
                    ev = ir.Finish("tool_use")
                self.stop_reason = ev.reason  # type: ignore[union-attr]
            encode(ev, out)
            if self._encoder.terminated:
                self._closed = True
                break
        return b"".join(out)

    def _observe(self, events: list) -> None:
        decoded: list[ir.StreamEvent] = []
        decoder = self._decoder
        for event in events:
            if not decoder.skippable(event):
                decoder.decode(event, decoded)
        for ev in decoded:
            if isinstance(ev, ir.UsageUpdate):
                self.usage = ev.usage
            elif isinstance(ev, ir.Finish):
                self.stop_reason = ev.reason
            elif isinstance(ev, (ir.End, ir.StreamError)):
                self._closed = True
