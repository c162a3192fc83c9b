"""A public read that costs a scan is computed at most once per period, however many ask."""

from __future__ import annotations

import asyncio

from shared.recent import Recent


async def test_concurrent_askers_share_one_computation_until_it_is_stale() -> None:
    now = [0.0]
    computed = []

    async def scan() -> int:
        computed.append(now[0])
        await asyncio.sleep(0.01)  # while this runs, the others wait for it
        return len(computed)

    recent: Recent[int] = Recent(60, clock=lambda: now[0])
    assert await asyncio.gather(*(recent.get(scan) for _ in range(20))) == [1] * 20
    now[0] = 59.0
    assert await recent.get(scan) == 1
    now[0] = 60.0
    assert await recent.get(scan) == 2 and computed == [0.0, 60.0]


async def test_a_new_version_is_counted_again_at_once() -> None:
    calls = []

    async def scan() -> int:
        calls.append(1)
        return len(calls)

    recent: Recent[int] = Recent(60, clock=lambda: 0.0)
    assert await recent.get(scan, version=1) == 1
    assert await recent.get(scan, version=1) == 1
    assert await recent.get(scan, version=2) == 2  # this process wrote: not a minute late
