"""Per-host politeness: one request at a time per host, ``interval`` seconds from its answer
to the next request, longer when the host asked us to back off; and a bound on the requests
in flight across all hosts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import structlog

from services.catalogue.linkcheck.metrics import BACK_OFFS

log = structlog.get_logger("catalogue.linkcheck")


class HostSchedule:
    """The process's schedule of requests per host (monotonic clock).

    A host's entry is a float and a lock; they are kept for the process's life (a hundred
    thousand hosts are a few MB), so a host's turn is never forgotten while it is waited for.
    """

    def __init__(
        self, *, interval: float, concurrency: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        """Wait for ``host``'s turn and a free slot; the request runs inside."""
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            delay = self._next.get(host, 0.0) - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            async with self._slots:
                try:
                    yield
                finally:
                    # Counted from the answer: the host sees the next request ``interval``
                    # after it answered, however long the connection took.
                    after = self._clock() + self._interval
                    self._next[host] = max(self._next.get(host, 0.0), after)

    def back_off(self, host: str, seconds: float) -> None:
        """The host asked us to wait (429/503 ``Retry-After``): no request before then."""
        self._next[host] = max(self._next.get(host, 0.0), self._clock() + seconds)
        BACK_OFFS.labels(host).inc()
        log.info("linkcheck_back_off", host=host, seconds=round(seconds, 1))
