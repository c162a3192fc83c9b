"""Two search replicas on one Meilisearch index: rebuilds and versions (issue 14, items 1-2).

Each test runs two ``MeiliIndex`` instances ("replicas") against one fake Meilisearch served
over real HTTP (``fake_server``: tasks processed one at a time, in order, as the real server
does). No Meilisearch server can run here (docs/operators/search.md §1).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.search.adapters.meili import MeiliIndex, RebuildLost, RebuildRunning
from tests.search.corpus import make_record
from tests.search.meili.fake_server import FakeMeili

UID = "t-records"
Replica = Callable[..., Awaitable[MeiliIndex]]


@pytest.fixture
async def replica(server: tuple[str, FakeMeili]) -> AsyncIterator[Replica]:
    """Opens adapter instances on the same index, as separate search processes would."""
    opened: list[MeiliIndex] = []

    async def start(**options: object) -> MeiliIndex:
        index = MeiliIndex(url=server[0], api_key=None, uid=UID, poll_ms=5, **options)  # type: ignore[arg-type]
        await index.open()
        opened.append(index)
        return index

    yield start
    for index in opened:
        await index.close()


async def versions(index: MeiliIndex, ids: list[str]) -> dict[str, int | None]:
    found = {i: await index.get(i) for i in ids}
    return {i: (r.version if r else None) for i, r in found.items()}


async def test_a_rebuild_on_one_replica_keeps_what_the_other_writes_meanwhile(
    replica: Replica,
) -> None:
    a, b = await replica(), await replica()
    await a.upsert([make_record("m1", "changed", "Bản cũ", version=1)])
    await a.begin_rebuild()
    snapshot = [make_record("m1", f"s{n}", f"Ảnh chụp {n}") for n in range(40)]
    snapshot.append(make_record("m1", "changed", "Bản cũ", version=1))  # read before the change

    async def rebuild() -> None:
        for start in range(0, len(snapshot), 10):
            await a.add_to_rebuild(snapshot[start : start + 10])

    async def live_writes() -> None:  # replica B knows nothing of A's rebuild but the index list
        await b.upsert([make_record("m1", "changed", "Bản mới", version=2)])
        for n in range(20):
            await b.upsert([make_record("m2", f"new{n}", f"Mới {n}")])

    await asyncio.gather(rebuild(), live_writes())
    await a.finish_rebuild()
    new_ids = [f"m2:new{n}" for n in range(20)]
    assert None not in (await versions(b, new_ids)).values()
    assert (await versions(b, ["m1:changed"])) == {"m1:changed": 2}
    assert await a.count() == 41 + 20


async def test_two_rebuilds_at_once_do_not_delete_each_others_index(
    replica: Replica, server: tuple[str, FakeMeili]
) -> None:
    a, b = await replica(), await replica()
    started = await asyncio.gather(a.begin_rebuild(), b.begin_rebuild(), return_exceptions=True)
    winners = [r for r, outcome in zip((a, b), started, strict=True) if outcome is None]
    losers = [o for o in started if o is not None]
    assert len(winners) == 1 and all(isinstance(o, RebuildRunning) for o in losers)
    (winner,) = winners
    other = b if winner is a else a
    with pytest.raises(RebuildRunning):  # asked again while it runs: still refused
        await other.begin_rebuild()
    await winner.add_to_rebuild([make_record("m1", "1", "Một")])
    await winner.finish_rebuild()
    assert (await versions(other, ["m1:1"])) == {"m1:1": 1}
    assert sorted(server[1].indexes) == [UID]  # no rebuild index left behind
    await other.begin_rebuild()  # the lease is free again
    await other.abort_rebuild()


async def test_a_rebuild_whose_lease_expired_is_taken_over_and_cannot_swap(
    replica: Replica,
) -> None:
    crashed = await replica(lease_seconds=0)  # its lease lapses at once: as if it died
    await crashed.begin_rebuild()
    await crashed.add_to_rebuild([make_record("m1", "1", "Bỏ dở")])
    await asyncio.sleep(0.01)
    successor = await replica()
    await successor.begin_rebuild()
    await successor.add_to_rebuild([make_record("m1", "2", "Hoàn tất")])
    with pytest.raises(RebuildLost):
        await crashed.finish_rebuild()
    await crashed.abort_rebuild()  # deletes nothing of the successor's
    await successor.finish_rebuild()
    assert await versions(successor, ["m1:1", "m1:2"]) == {"m1:1": None, "m1:2": 1}


async def test_an_older_version_delivered_after_a_newer_one_does_not_win(
    replica: Replica,
) -> None:
    a, b = await replica(), await replica()
    await a.upsert([make_record("m1", "1", "Bản 3", version=3)])
    await b.upsert([make_record("m1", "1", "Bản 2", version=2)])
    assert await versions(a, ["m1:1"]) == {"m1:1": 3}


@pytest.mark.parametrize("replicas", [1, 2])
async def test_concurrent_versions_of_the_same_records_leave_the_newest(
    replica: Replica, replicas: int
) -> None:
    indexes = [await replica() for _ in range(replicas)]
    ids = [f"{n}" for n in range(5)]
    writes = [(i, v) for i in ids for v in range(1, 9)]
    random.Random(14).shuffle(writes)
    await asyncio.gather(
        *(
            indexes[n % replicas].upsert([make_record("m1", i, f"Bản {v}", version=v)])
            for n, (i, v) in enumerate(writes)
        )
    )
    assert await versions(indexes[0], [f"m1:{i}" for i in ids]) == {f"m1:{i}": 8 for i in ids}


async def test_one_replica_without_the_edit_function_still_orders_its_own_writes(
    replica: Replica, server: tuple[str, FakeMeili]
) -> None:
    server[1].edit_function_enabled = False
    index = await replica()  # falls back to read-then-write under the per-id lock
    ids = [f"{n}" for n in range(5)]
    writes = [(i, v) for i in ids for v in range(1, 9)]
    random.Random(7).shuffle(writes)
    await asyncio.gather(
        *(index.upsert([make_record("m1", i, f"Bản {v}", version=v)]) for i, v in writes)
    )
    assert await versions(index, [f"m1:{i}" for i in ids]) == {f"m1:{i}": 8 for i in ids}


async def test_a_rebuild_index_deleted_under_a_writer_is_not_recreated(
    replica: Replica, server: tuple[str, FakeMeili]
) -> None:
    a, b = await replica(), await replica()
    await a.begin_rebuild()
    (rebuild,) = [uid for uid in server[1].indexes if uid != UID]
    await asyncio.gather(
        a.abort_rebuild(),
        *(b.upsert([make_record("m1", f"{n}", "Trong lúc huỷ")]) for n in range(10)),
    )
    assert rebuild not in server[1].indexes
    assert await b.count() == 10
