"""Parse terminal output in small slices so a flood never holds the event loop.

Every terminal on a loop hands its unparsed output to that loop's
:class:`FeedScheduler`. One turn feeds the waiting terminals round-robin, a
slice at a time, until a few milliseconds have passed, then yields to the loop
(timers, keys, rendering run) and continues on the next iteration. With four
sessions flooding at once the loop still gets control every turn.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from typing import Protocol


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
    #: Bytes fed per slice (small enough that one slice stays well under the budget).
    slice_size = 2048

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: deque[Feedable] = deque()
        self._scheduled = False

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
        deadline = time.perf_counter() + self.budget
        fed: list[Feedable] = []
        waiting = self._waiting
        while waiting:
            terminal = waiting.popleft()
            if terminal not in fed:
                fed.append(terminal)
            if terminal.feed_slice(self.slice_size):
                waiting.append(terminal)
            if time.perf_counter() >= deadline:
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
