"""The per-process gate that lets batches overlap: ids, write turns, announcement order."""

from __future__ import annotations

import asyncio

import pytest

from services.catalogue.pipeline import BatchGate


async def test_batches_sharing_a_record_never_overlap() -> None:
    gate = BatchGate()
    events: list[str] = []

    async def batch(name: str, ids: list[str]) -> None:
        async with gate.records(ids):
            events.append(f"{name} in")
            await asyncio.sleep(0.01)
            events.append(f"{name} out")

    await asyncio.gather(batch("a", ["x", "y"]), batch("b", ["y", "z"]), batch("c", ["w"]))
    assert events.index("b in") > events.index("a out")  # b waited for a (shared "y")
    assert events.index("c in") < events.index("a out")  # c shares nothing: it overlapped
    assert gate.idle


async def test_announcements_follow_the_write_turns_even_when_writes_finish_early() -> None:
    gate = BatchGate()
    announced: list[str] = []

    async def batch(name: str, announce_delay: float) -> None:
        async with gate.write_turn() as turn:
            await asyncio.sleep(0)
        async with turn.announce():
            await asyncio.sleep(announce_delay)
            announced.append(name)

    first = asyncio.create_task(batch("first", 0.03))
    await asyncio.sleep(0)
    await asyncio.gather(first, batch("second", 0))
    assert announced == ["first", "second"]


async def test_a_failed_batch_releases_its_records_and_its_turn() -> None:
    gate = BatchGate()

    async def failing() -> None:
        async with gate.records(["x"]), gate.write_turn():
            raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        await failing()
    assert gate.idle
    async with gate.records(["x"]), gate.write_turn() as turn:
        pass
    async with asyncio.timeout(1), turn.announce():  # not waiting for the failed batch
        pass
