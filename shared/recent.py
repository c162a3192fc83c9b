"""A value recomputed at most every few seconds, for public reads that cost a full scan."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """Holds the last result of ``compute`` for ``seconds`` (in this process), or until the
    ``version`` it was computed at changes (this process wrote since); callers arriving while
    it is being computed wait for that one computation instead of starting their own."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._value: T | None = None
        self._at: float | None = None
        self._version: int | None = None
        self._lock = asyncio.Lock()

    def _fresh(self, version: int) -> bool:
        return (
            self._at is not None
            and self._version == version
            and self.clock() - self._at < self.seconds
        )

    async def get(self, compute: Callable[[], Awaitable[T]], version: int = 0) -> T:
        if not self._fresh(version):
            async with self._lock:
                if not self._fresh(version):
                    started = self.clock()
                    self._value = await compute()
                    self._at, self._version = started, version
        return self._value  # type: ignore[return-value]
