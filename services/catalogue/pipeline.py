"""How batches of one process overlap without changing what a batch sees (no I/O).

A batch goes through three stages:

1. **read and apply** — concurrent, but only between batches whose record ids do not overlap
   (a batch waits until no batch in flight holds one of its ids, then holds them all until
   it is done): a record's state is never read while another batch of this process is about
   to change it;
2. **link and write** — one batch at a time, in turn: duplicate look-ups see every earlier
   batch's records, exactly as when batches ran one after the other;
3. **announce** — in the order of stage 2: ``records.changed`` of a partner record (holdings
   moved) never goes out after a later batch's announcement of the same record.

Several processes still race as before (the store's guarded writes and the commutative
holdings updates cover that); this only lets one process keep the database and its own CPU
busy at the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager


class BatchGate:
    """The per-process coordination of concurrent batches (see the module docstring)."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._released = asyncio.Condition()
        self._write_turn = asyncio.Lock()
        self._last_announced: asyncio.Future[None] | None = None

    @asynccontextmanager
    async def records(self, ids: Iterable[str]) -> AsyncIterator[None]:
        """Hold the batch's record ids (waits while another batch in flight holds one)."""
        wanted = set(ids)
        async with self._released:
            await self._released.wait_for(lambda: self._held.isdisjoint(wanted))
            self._held |= wanted
        try:
            yield
        finally:
            async with self._released:
                self._held -= wanted
                self._released.notify_all()

    @asynccontextmanager
    async def write_turn(self) -> AsyncIterator[Turn]:
        """Stage 2, one batch at a time; the turn then orders the batch's announcement."""
        async with self._write_turn:
            previous = self._last_announced
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._last_announced = done
            turn = Turn(previous, done)
            try:
                yield turn
            except BaseException:
                turn.finish()
                raise

    @property
    def idle(self) -> bool:
        """No batch holds records (for tests)."""
        return not self._held


class Turn:
    """A batch's place in the announcement order."""

    def __init__(self, previous: asyncio.Future[None] | None, done: asyncio.Future[None]) -> None:
        self._previous = previous
        self._done = done

    @asynccontextmanager
    async def announce(self) -> AsyncIterator[None]:
        """Announce after the previous batch's announcement finished (or failed)."""
        try:
            if self._previous is not None:
                await asyncio.shield(self._previous)
            yield
        finally:
            self.finish()

    def finish(self) -> None:
        if not self._done.done():
            self._done.set_result(None)
