"""Parse terminal output in small slices so a flood never holds the event loop.

Every terminal on a loop hands its unparsed output to that loop's
:class:`FeedScheduler`. One turn feeds the waiting terminals round-robin, a
slice at a time, until a few milliseconds have passed, then yields to the loop
(timers, keys, rendering run) and continues on the next iteration. With four
sessions flooding at once the loop still gets control every turn.

A terminal's slice grows while slices parse quickly (plain lines: bigger
batches let rows that scroll off at once skip their cells) and shrinks when
one takes a good part of the budget (full-screen repaints), so a slice always
stays well inside the turn.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from typing import Protocol

MIN_SLICE = 2048
MAX_SLICE = 16384


class Feedable(Protocol):
    def feed_slice(self, limit: int) -> bool:
        """Parse up to ``limit`` bytes of pending output; True if more is pending."""

    def after_turn(self) -> None:
        """Called once per turn in which the terminal was fed (report frames, title...)."""


class FeedScheduler:
    """Round-robin, time-boxed parsing for all terminals of one event loop."""

    #: Time one turn may take before yielding to the loop. Small: a timer that
    #: comes due waits for the rest of this iteration and all of the next.
    budget = 0.002
    #: Bytes a terminal's first slice holds (then adapted between MIN_SLICE and MAX_SLICE).
    slice_size = MIN_SLICE

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
        budget = self.budget
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
            if terminal.feed_slice(size):
                waiting.append(terminal)
            before, now = now, time.perf_counter()
            if now - before < budget / 8:
                sizes[terminal] = min(size * 2, MAX_SLICE)
            elif now - before > budget / 2:
                sizes[terminal] = max(size // 2, MIN_SLICE)
            if now >= deadline:
                break
        for terminal in fed:
            terminal.after_turn()
        if waiting and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._turn)


_schedulers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FeedScheduler] = weakref.WeakKeyDictionary()


def scheduler_for(loop: asyncio.AbstractEventLoop) -> FeedScheduler:
    """The scheduler shared by all terminals of ``loop``."""
    scheduler = _schedulers.get(loop)
    if scheduler is None:
        scheduler = _schedulers[loop] = FeedScheduler(loop)
    return scheduler
