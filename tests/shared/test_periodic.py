"""The background loop every service runs its relays and sweeps in (``shared.runtime``)."""

from __future__ import annotations

import asyncio

from shared.runtime import Periodic


async def test_a_failing_step_does_not_stop_the_others_nor_the_next_round() -> None:
    calls: list[str] = []
    third_round = asyncio.Event()

    async def flaky() -> None:
        calls.append("flaky")
        raise ConnectionError("broker away")

    async def steady() -> None:
        calls.append("steady")
        if calls.count("steady") == 3:
            third_round.set()

    loop = Periodic("relay", flaky, steady, interval=0.001, service="test")
    loop.start()
    await asyncio.wait_for(third_round.wait(), 5)
    await loop.stop()
    assert calls[:6] == ["flaky", "steady"] * 3


async def test_stop_waits_for_the_step_under_way() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def step() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    loop = Periodic("relay", step, interval=60, service="test")
    loop.start()
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(loop.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == [True]


async def test_a_loop_that_waits_first_can_be_cancelled_before_its_first_step() -> None:
    calls: list[str] = []

    async def step() -> None:
        calls.append("step")

    loop = Periodic(
        "sweep", step, interval=60, service="test", wait_first=True, cancel_on_stop=True
    )
    loop.start()
    await asyncio.sleep(0)
    await asyncio.wait_for(loop.stop(), 5)
    assert calls == []
