"""Parse terminal output in small slices so a flood never holds the event loop.

Every terminal on a loop hands its unparsed output to that loop's
:class:`FeedScheduler`. One turn feeds the waiting terminals round-robin, a
slice at a time, until a few milliseconds have passed, then yields to the loop
(timers, keys, rendering run) and continues on the next iteration. With four
sessions flooding at once the loop still gets control every turn.

A terminal's slice is sized from how fast its last full slice parsed, to take
about half a millisecond: fast output (plain or coloured lines) gets big slices,
which lets the rows that scroll off within one slice skip their cells and
costs fewer calls per byte; slow output (full-screen repaints) gets small ones,
so a slice always stays well inside the turn.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from typing import Protocol

MIN_SLICE = 2048
MAX_SLICE = 65536


class Feedable(Protocol):
    def feed_slice(self, limit: int) -> tuple[int, bool]:
        """Parse up to ``limit`` bytes of pending output: (bytes parsed, more pending)."""

    def after_turn(self) -> None:
        """Called once per turn in which the terminal was fed (report frames, title...)."""


class FeedScheduler:
    """Round-robin, time-boxed parsing for all terminals of one event loop."""

    #: Time one turn may take before yielding to the loop. Small: a timer that
    #: comes due waits for the rest of this iteration and all of the next.
    budget = 0.002
    #: The same with several terminals waiting: each of them also costs every
    #: iteration its reads and repaints, so the turn shrinks to keep it short.
    crowded_budget = 0.001
    #: Time a slice should take (its size follows the terminal's parse rate).
    slice_time = 0.0005
    #: Bytes a terminal's first slice holds (then adapted between MIN_SLICE and MAX_SLICE).
    slice_size = 8192

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: deque[Feedable] = deque()
        self._scheduled = False
        self._sizes: weakref.WeakKeyDictionary[Feedable, int] = weakref.WeakKeyDictionary()

    def add(self, terminal: Feedable) -> None:
        """Note that ``terminal`` has output to parse."""
        if terminal not in self._waiting:
            self._waiting.append(terminal)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._turn)

    def discard(self, terminal: Feedable) -> None:
        try:
            self._waiting.remove(terminal)
        except ValueError:
            pass

    def _turn(self) -> None:
        self._scheduled = False
        budget = self.budget if len(self._waiting) <= 1 else self.crowded_budget
        now = time.perf_counter()
        deadline = now + budget
        fed: list[Feedable] = []
        waiting = self._waiting
        sizes = self._sizes
        while waiting:
            terminal = waiting.popleft()
            if terminal not in fed:
                fed.append(terminal)
            size = sizes.get(terminal, self.slice_size)
            parsed, more = terminal.feed_slice(size)
            if more:
                waiting.append(terminal)
            before, now = now, time.perf_counter()
            if parsed >= MIN_SLICE:
                sizes[terminal] = self._next_size(size, parsed, now - before)
            if now >= deadline:
                break
        for terminal in fed:
            terminal.after_turn()
        if waiting and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._turn)

    def _next_size(self, size: int, parsed: int, elapsed: float) -> int:
        """A slice that would take ``slice_time`` at the rate just seen (at most
        twice the last one: one slow or lucky slice must not swing it)."""
        target = self.slice_time
        if elapsed <= 0:
            return min(size * 2, MAX_SLICE)
        wanted = int(parsed * target / elapsed)
        if parsed < size and wanted > size:
            return size  # a short slice (the queue ran dry) says nothing about a longer one
        return max(MIN_SLICE, min(wanted, size * 2, MAX_SLICE))


_schedulers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FeedScheduler] = weakref.WeakKeyDictionary()


def scheduler_for(loop: asyncio.AbstractEventLoop) -> FeedScheduler:
    """The scheduler shared by all terminals of ``loop``."""
    scheduler = _schedulers.get(loop)
    if scheduler is None:
        scheduler = _schedulers[loop] = FeedScheduler(loop)
    return scheduler
