"""The traffic record: what went through a session, for the dashboard and for ``amux proxy --log``.

Each session owns a `TrafficLog`: a bounded ring of `RequestRecord`s, running totals, observer
callbacks (called when a request starts and when it ends, never per chunk) and an optional
`JsonLinesSink`. Recording must stay off the hot path: bodies are kept by reference while a
request runs and cut to `CAPTURE_LIMIT` when it ends; only the newest `BODIES_KEPT` finished
records keep their bodies at all (500 agent requests of a few MB each would otherwise pin
gigabytes). Cost is computed only when someone reads it, once LiteLLM's price table was read
(`providers.prices`; a data file, LiteLLM is never imported for it) or from the provider's pricing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..providers.prices import Priced, request_cost
from ..url_masking import mask_url

log = logging.getLogger(__name__)

CAPTURE_LIMIT = 256 * 1024
"""Bytes kept of each captured body / event stream."""
DEFAULT_CAPACITY = 500
BODIES_KEPT = 32
"""Finished records that keep their captured bodies; older ones keep only their summary."""

_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key", "proxy-authorization",
                             "cookie", "set-cookie"})
_KEY_PARAM = re.compile(r"([?&](?:key|api_key|api-key)=)[^&#]*", re.IGNORECASE)
_ids = itertools.count(1)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to show: credentials replaced by a marker."""
    return {name: ("[redacted]" if name.lower() in _SECRET_HEADERS else value) for name, value in headers.items()}


_SECRET_WORDS = ("key", "secret", "token", "password", "credential")


def redact_params(value: Any) -> Any:
    """Call arguments safe to show: every value under a key that names a secret (``api_key``,
    ``aws_secret_access_key``, ``vertex_credentials``, ``Authorization`` in ``extra_headers``...)
    replaced by a marker, at any depth. Token counts (``max_tokens``) are not secrets."""
    if isinstance(value, dict):
        return {key: ("[redacted]" if _names_secret(key) else redact_params(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_params(item) for item in value]
    return value


def _names_secret(key: object) -> bool:
    name = str(key).lower()
    if name in _SECRET_HEADERS:
        return True
    return any(word in name for word in _SECRET_WORDS) and not name.endswith("_tokens")


def redact_url(url: str) -> str:
    """``...?key=SECRET`` → ``...?key=[redacted]``; user-info and other secret-looking query values too
    (`providers.resolved.mask_url`)."""
    return mask_url(_KEY_PARAM.sub(r"\1[redacted]", url), "[redacted]")


class Capture:
    """Keeps the first `CAPTURE_LIMIT` bytes of a response and, past that, its last few KiB
    (where the usage of a long stream is); counts the rest."""

    __slots__ = ("_parts", "_size", "_tail", "_tail_size", "total")
    TAIL_LIMIT = 16 * 1024

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self._size < CAPTURE_LIMIT:
            self._parts.append(chunk)
            self._size += len(chunk)
            return
        self._tail.append(chunk)
        self._tail_size += len(chunk)
        while self._tail_size - len(self._tail[0]) >= self.TAIL_LIMIT:
            self._tail_size -= len(self._tail.popleft())

    @property
    def truncated(self) -> bool:
        return self.total > CAPTURE_LIMIT

    def data(self) -> bytes:
        """The head: the first `CAPTURE_LIMIT` bytes."""
        return b"".join(self._parts)[:CAPTURE_LIMIT]

    def tail(self) -> bytes:
        """The last bytes past the head (empty when everything fit in the head)."""
        return b"".join(self._tail)


def _text(data: bytes | None) -> str:
    return "" if not data else data[:CAPTURE_LIMIT].decode("utf-8", "replace")


CostFunction = Callable[["RequestRecord"], Priced]


def price_of(record: RequestRecord) -> Priced:
    """The record's cost: the provider's own pricing, else LiteLLM's price table (read as a data file,
    never by importing LiteLLM) by the model the upstream reported, then the one asked for. Cache
    reads and writes, counted in ``input_tokens``, are priced at their own rates."""
    return request_cost((record.reported_model, record.cost_model, record.model), record.input_tokens,
                        record.output_tokens, record.cache_read_tokens, record.pricing,
                        cache_write_tokens=record.cache_write_tokens)


@dataclass(eq=False)
class RequestRecord:
    """One request through the proxy. Fields fill in as it progresses; ``in_flight`` until it ends."""

    route: str
    """Method and path, e.g. ``POST /v1/messages``."""
    inbound: str
    """The protocol the harness spoke."""
    id: int = field(default_factory=lambda: next(_ids))
    started: float = field(default_factory=time.time)
    upstream: str | None = None
    """The upstream protocol, or ``"passthrough"`` / ``"litellm"``."""
    model: str | None = None
    requested_model: str | None = None
    stream: bool = False
    status: int | None = None
    ttfb_ms: float | None = None
    duration_ms: float | None = None
    input_tokens: int | None = None
    """Every prompt token, cached ones included."""
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    """Of ``input_tokens``, read from the provider's prompt cache (priced lower)."""
    cache_write_tokens: int | None = None
    """Of ``input_tokens``, written to it (Anthropic; priced higher)."""
    cost_model: str | None = None
    """The model name a price lookup uses (LiteLLM's ``provider/model``)."""
    reported_model: str | None = None
    """The model the upstream's answer names (priced first)."""
    pricing: Any = field(default=None, repr=False)
    """The provider's own prices (`providers.prices.ModelPrice`), which win over the table."""
    cost_note: str | None = None
    """Why ``cost`` is unknown, once it was looked up."""
    error: str | None = None
    in_flight: bool = True
    dropped: list[str] = field(default_factory=list)
    """What translation could not carry over (the TranslationReport)."""
    upstream_url: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes | None = field(default=None, repr=False)
    upstream_body: bytes | None = field(default=None, repr=False)
    response: Capture = field(default_factory=Capture, repr=False)
    _t0: float = field(default_factory=time.perf_counter, repr=False)
    _cost: float | None = field(default=None, repr=False)
    _cost_done: bool = field(default=False, repr=False)
    cost_function: CostFunction = field(default=price_of, repr=False)

    bodies_released: bool = False
    """True once the bodies were dropped to bound memory (the summary stays)."""

    def release_bodies(self) -> None:
        self.request_body = self.upstream_body = None
        self.response = Capture()
        self.bodies_released = True

    def cap_bodies(self) -> None:
        """Cut the captured request bodies to `CAPTURE_LIMIT` so the full buffers can be freed."""
        if self.request_body is not None and len(self.request_body) > CAPTURE_LIMIT:
            self.request_body = bytes(self.request_body[:CAPTURE_LIMIT])
        if self.upstream_body is not None and len(self.upstream_body) > CAPTURE_LIMIT:
            self.upstream_body = bytes(self.upstream_body[:CAPTURE_LIMIT])

    def first_byte(self) -> None:
        if self.ttfb_ms is None:
            self.ttfb_ms = (time.perf_counter() - self._t0) * 1000

    @property
    def cost(self) -> float | None:
        """USD, where the price table knows the model; computed on first read after the request ended."""
        if not self._cost_done and not self.in_flight:
            priced = self.cost_function(self)
            self._cost, self.cost_note, self._cost_done = priced.cost, priced.reason, priced.ready
        return self._cost

    def inbound_text(self) -> str:
        return _text(self.request_body)

    def upstream_text(self) -> str:
        return _text(self.upstream_body)

    def response_text(self) -> str:
        """The raw response (SSE events as sent to the harness), cut at `CAPTURE_LIMIT`."""
        return _text(self.response.data())

    def summary(self) -> dict[str, Any]:
        """The JSON-lines shape (no bodies; header and URL credentials already redacted)."""
        return {
            "id": self.id, "time": round(self.started, 3), "route": self.route, "inbound": self.inbound,
            "upstream": self.upstream, "model": self.model, "requested_model": self.requested_model,
            "stream": self.stream, "status": self.status, "ttfb_ms": _round(self.ttfb_ms),
            "duration_ms": _round(self.duration_ms), "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens, "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens, "cost": self.cost,
            "cost_note": self.cost_note, "reported_model": self.reported_model, "error": self.error,
            "in_flight": self.in_flight, "dropped": list(self.dropped), "upstream_url": self.upstream_url,
            "response_bytes": self.response.total,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True)
class TrafficTotals:
    """Running totals of a session, for a status line."""

    requests: int
    in_flight: int
    errors: int
    input_tokens: int
    output_tokens: int
    cost: float | None
    last_latency_ms: float | None
    cached_tokens: int = 0
    cost_note: str | None = None
    """Why some requests have no cost (the latest reason), or None when every one was priced."""


Observer = Callable[[RequestRecord], None]


class TrafficLog:
    """The bounded request ring of one session, with totals and observers."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, sink: JsonLinesSink | None = None,
                 bodies_kept: int = BODIES_KEPT):
        self._records: deque[RequestRecord] = deque(maxlen=capacity)
        self._with_bodies: deque[RequestRecord] = deque()
        self.bodies_kept = bodies_kept
        self._observers: list[Observer] = []
        self.sink = sink
        self.in_flight = 0
        self._requests = self._errors = self._input_tokens = self._output_tokens = self._cached_tokens = 0
        self._cost_note: str | None = None
        self._last_latency_ms: float | None = None
        self._cost: float | None = None
        self._uncosted: deque[RequestRecord] = deque(maxlen=capacity)  # ended, price not looked up yet

    def records(self) -> list[RequestRecord]:
        """Oldest first; the newest `capacity` requests."""
        return list(self._records)

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(record)`` when a request starts and when it ends; returns an unsubscribe function."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def begin(self, record: RequestRecord) -> RequestRecord:
        self._records.append(record)
        self.in_flight += 1
        self._requests += 1
        self._notify(record)
        return record

    def finish(self, record: RequestRecord, *, status: int | None = None, error: str | None = None) -> None:
        """Mark a request done (idempotent)."""
        if not record.in_flight:
            return
        if status is not None:
            record.status = status
        if error is not None and record.error is None:
            record.error = error
        record.in_flight = False
        record.duration_ms = (time.perf_counter() - record._t0) * 1000
        self.in_flight -= 1
        if record.error or (record.status or 0) >= 400:
            self._errors += 1
        self._input_tokens += record.input_tokens or 0
        self._output_tokens += record.output_tokens or 0
        self._cached_tokens += record.cache_read_tokens or 0
        self._last_latency_ms = record.duration_ms
        self._uncosted.append(record)
        record.cap_bodies()
        self._with_bodies.append(record)
        while len(self._with_bodies) > self.bodies_kept:
            self._with_bodies.popleft().release_bodies()
        if self.sink is not None:
            self.sink.write(record)
        self._notify(record)

    def totals(self) -> TrafficTotals:
        """Cost sums every priced request so far (prices are looked up here, lazily)."""
        waiting: deque[RequestRecord] = deque(maxlen=self._uncosted.maxlen)
        for record in self._uncosted:
            cost = record.cost
            if not record._cost_done:
                waiting.append(record)
            elif cost is not None:
                self._cost = (self._cost or 0.0) + cost
            elif record.cost_note and (record.input_tokens or record.output_tokens):
                self._cost_note = record.cost_note
        self._uncosted = waiting
        return TrafficTotals(self._requests, self.in_flight, self._errors, self._input_tokens, self._output_tokens,
                             self._cost, self._last_latency_ms, self._cached_tokens, self._cost_note)

    def _notify(self, record: RequestRecord) -> None:
        for observer in list(self._observers):
            try:
                observer(record)
            except Exception:  # noqa: BLE001 - a broken observer must not break the request
                log.exception("traffic observer failed")


class JsonLinesSink:
    """Appends record summaries to a file as JSON lines, each as soon as its request ends (records that
    end in the same loop turn share one write; ``interval`` > 0 batches more). The write runs in the
    default executor, so the loop never waits on disk, and a process killed later loses nothing."""

    def __init__(self, path: str | Path, interval: float = 0.0):
        self.path = Path(path)
        self.interval = interval
        self._pending: list[str] = []
        self._scheduled = False
        self._writing: asyncio.Future[None] | None = None

    def write(self, record: RequestRecord) -> None:
        self._pending.append(json.dumps(record.summary(), separators=(",", ":")) + "\n")
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(self.interval, self._flush_soon)

    def _flush_soon(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        lines, self._pending = "".join(self._pending), []
        previous = self._writing

        async def write_after_previous() -> None:
            if previous is not None:
                await previous
            await asyncio.get_running_loop().run_in_executor(None, _append, self.path, lines)

        self._writing = asyncio.ensure_future(write_after_previous())

    async def aclose(self) -> None:
        """Write everything still buffered."""
        self._flush_soon()
        if self._writing is not None:
            await self._writing

    def write_lines_now(self, records: Iterable[RequestRecord]) -> None:
        """Synchronous append (for tests and shutdown paths without a loop)."""
        _append(self.path, "".join(json.dumps(r.summary()) + "\n" for r in records))


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        log.warning("cannot write the traffic log %s: %s", path, exc)
