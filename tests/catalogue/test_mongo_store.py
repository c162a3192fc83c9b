"""The catalogue's record stores against a real SecantusDB: guarded writes, holdings, pages.

Both shapes run every shared case: ``MongoRecordStore`` (production: the store's own indexes)
and ``EmbeddedRecordStore`` (SecantusDB: in-memory key and id indexes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from services.catalogue.adapters.embedded_store import EmbeddedRecordStore
from services.catalogue.adapters.feed import FEED, META, RECORDS
from services.catalogue.adapters.mongo import MongoRecordStore
from services.catalogue.domain import StoredRecord, dedup_keys
from services.catalogue.ports import ConcurrentUpdate
from shared.config import Settings
from shared.events import Outcome
from shared.mongo import service_database
from shared.records import Kind, Record, aware

NOW = datetime(2026, 5, 1, tzinfo=UTC)
LATER = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)


def stored(
    rid: str, *, order: str = "1", title: str = "Sách", date: str | None = None
) -> StoredRecord:
    member, local_id = rid.split(":")
    record = Record(
        id=rid, member=member, local_id=local_id, kind="publication", title=title, version=1,
        created_at=NOW, updated_at=NOW, content_hash="h", date=date, year=2020,
    )  # fmt: skip
    return StoredRecord(
        record=record, order=order, outcome=Outcome.CREATED, keys=dedup_keys(record)
    )


SHAPES = {"mongodb": MongoRecordStore, "embedded": EmbeddedRecordStore}
MakeStore = Callable[[], MongoRecordStore]


@pytest.fixture(params=list(SHAPES))
def make_store(
    request: pytest.FixtureRequest, mongo: AsyncMongoClient, settings: Settings
) -> MakeStore:
    """A new process's store of the shape under test, on the test's database."""
    shape = SHAPES[request.param]
    return lambda: shape(service_database(mongo, settings))


@pytest.fixture
async def store(make_store: MakeStore) -> AsyncIterator[MongoRecordStore]:
    value = make_store()
    await value.ensure_indexes()
    yield value


@pytest.fixture
async def embedded(mongo: AsyncMongoClient, settings: Settings) -> EmbeddedRecordStore:
    value = EmbeddedRecordStore(service_database(mongo, settings))
    await value.ensure_indexes()
    return value


async def test_a_record_round_trips_with_its_date_and_keys(store: MongoRecordStore) -> None:
    state = stored("vmu:a", date="2020-02-03")
    await store.save([(state, None)])
    assert (await store.get_many(["vmu:a", "vmu:none"])) == {"vmu:a": state}
    found = await store.find_by_keys(state.keys, exclude_member="hpu")
    assert list(found) == ["vmu:a"]
    assert await store.find_by_keys(state.keys, exclude_member="vmu") == {}


async def test_a_new_process_finds_the_duplicates_stored_before_it(
    store: MongoRecordStore, make_store: MakeStore
) -> None:
    state = stored("vmu:a")
    await store.save([(state, None)])
    fresh = make_store()
    assert list(await fresh.find_by_keys(state.keys, exclude_member="hpu")) == ["vmu:a"]


async def test_embedded_pages_list_what_was_stored_before_and_what_another_process_stored(
    embedded: EmbeddedRecordStore, mongo: AsyncMongoClient, settings: Settings
) -> None:
    store = embedded
    await store.save([(stored("vmu:a"), None), (stored("hpu:b"), None)])
    fresh = EmbeddedRecordStore(service_database(mongo, settings))
    assert [r.id for r in (await fresh.page(after=None, limit=10)).records] == ["hpu:b", "vmu:a"]
    theirs = stored("vmu:c")
    await store.save([(theirs, None)])
    assert [r.id for r in (await fresh.page(after="hpu:b", limit=10)).records] == ["vmu:a"]
    await fresh.learn_changes([theirs.record])
    page = await fresh.page(after="hpu:b", limit=10, member="vmu")
    assert [r.id for r in page.records] == ["vmu:a", "vmu:c"]


async def test_embedded_finds_a_record_another_process_stored_once_learnt(
    embedded: EmbeddedRecordStore, mongo: AsyncMongoClient, settings: Settings
) -> None:
    store = embedded
    assert await store.find_by_keys(["doi:10.1/none"], exclude_member="hpu") == {}  # filled
    theirs = stored("vmu:a")
    await EmbeddedRecordStore(service_database(mongo, settings)).save([(theirs, None)])
    assert await store.find_by_keys(theirs.keys, exclude_member="hpu") == {}
    await store.learn_changes([theirs.record])
    assert list(await store.find_by_keys(theirs.keys, exclude_member="hpu")) == ["vmu:a"]


async def test_a_key_the_record_no_longer_has_does_not_find_it(store: MongoRecordStore) -> None:
    old = stored("vmu:a", title="Tên cũ")
    new = stored("vmu:a", order="2", title="Tên mới")
    await store.save([(old, None)])
    await store.save([(new, old)])
    assert await store.find_by_keys(old.keys, exclude_member="hpu") == {}
    assert list(await store.find_by_keys(new.keys, exclude_member="hpu")) == ["vmu:a"]


async def test_the_embedded_store_drops_a_multikey_index_of_earlier_versions(
    embedded: EmbeddedRecordStore,
) -> None:
    await embedded.records.create_index("_keys")
    await embedded.ensure_indexes()
    assert "_keys_1" not in await embedded.records.index_information()


async def test_the_mongodb_store_lists_and_finds_another_process_records_with_nothing_learnt(
    mongo: AsyncMongoClient, settings: Settings
) -> None:
    # Issue 14 item 9: no answer depends on what this process was told (a broker gap cannot
    # empty it). The embedded shape answers these only once learnt (the two tests above).
    mine = MongoRecordStore(service_database(mongo, settings))
    await mine.ensure_indexes()
    assert "_keys_1" in await mine.records.index_information()
    assert (await mine.page(after=None, limit=10)).records == []
    theirs = stored("vmu:c")
    await MongoRecordStore(service_database(mongo, settings)).save([(theirs, None)])
    assert [r.id for r in (await mine.page(after=None, limit=10)).records] == ["vmu:c"]
    assert list(await mine.find_by_keys(theirs.keys, exclude_member="hpu")) == ["vmu:c"]
    assert await mine.quality_rows("vmu") == [("vmu:c", ())]


async def test_writes_that_give_a_new_datestamp_enter_the_change_feed(
    store: MongoRecordStore,
) -> None:
    first = stored("vmu:a")
    later = StoredRecord(
        record=first.record.model_copy(update={"title": "Mới", "updated_at": LATER}),
        order="2",
        outcome=Outcome.UPDATED,
    )
    await store.save([(first, None), (stored("hpu:b"), None)])
    await store.save([(later, first)])
    await store.save([(later.model_copy(update={"order": "3"}), later)])  # a mark, no datestamp
    await store.set_holdings({"vmu:a": ["hpu:b"]})
    entries = await store.db[FEED].find({}).sort("_id").to_list(None)
    assert [(e["ids"], aware(e["at"])) for e in entries] == [
        (["hpu:b", "vmu:a"], NOW),
        (["vmu:a"], LATER),
    ]


async def test_records_stored_before_the_feed_existed_are_entered_once(
    store: MongoRecordStore,
) -> None:
    await store.db[RECORDS].insert_one({"_id": "vmu:old", "updated_at": NOW})
    await store.db[META].delete_many({})  # as a database of an earlier version
    await store.ensure_indexes()
    await store.ensure_indexes()
    entries = await store.db[FEED].find({}).to_list(None)
    assert [(e["ids"], aware(e["at"])) for e in entries] == [(["vmu:old"], NOW)]


async def test_a_write_from_a_stale_read_is_refused(store: MongoRecordStore) -> None:
    first = stored("vmu:a", order="1")
    await store.save([(first, None)])
    with pytest.raises(ConcurrentUpdate):
        await store.save([(stored("vmu:a", order="2"), None)])  # created twice
    await store.save([(stored("vmu:a", order="2", title="Mới"), first)])
    with pytest.raises(ConcurrentUpdate):
        await store.save([(stored("vmu:a", order="3", title="Cũ"), first)])  # first is stale
    assert (await store.get_many(["vmu:a"]))["vmu:a"].record.title == "Mới"


async def test_holdings_move_by_add_and_remove(store: MongoRecordStore) -> None:
    await store.save([(stored("vmu:a"), None)])
    await store.adjust_holdings({"vmu:a": ["hpu:x", "hpu:y"]}, {})
    await store.adjust_holdings({"vmu:a": ["hpu:z"]}, {"vmu:a": ["hpu:x"]})
    held = (await store.get_many(["vmu:a"]))["vmu:a"].record.also_held_by
    assert sorted(held) == ["hpu:y", "hpu:z"]


async def test_keyset_pages_cover_every_record_once(store: MongoRecordStore) -> None:
    await store.save([(stored(f"vmu:r{i:02d}"), None) for i in range(7)])
    seen, after = [], None
    while True:
        page = await store.page(after=after, limit=3)
        seen += [r.id for r in page.records]
        if page.next is None:
            break
        after = page.next
    assert seen == [f"vmu:r{i:02d}" for i in range(7)]


async def test_a_members_pages_hold_its_records_only(store: MongoRecordStore) -> None:
    # Member codes that share a prefix: the member filter is an ``_id`` range "<code>:…".
    ids = ["ab:1", "ab:2", "ab:3", "ab-c:1", "abc:1", "aa:1", "ac:1"]
    await store.save([(stored(rid), None) for rid in ids])
    seen, after = [], None
    while True:
        page = await store.page(after=after, limit=2, member="ab")
        seen += [r.id for r in page.records]
        if page.next is None:
            break
        after = page.next
    assert seen == ["ab:1", "ab:2", "ab:3"]
    assert [r.id for r in (await store.page(after="a", limit=9, member="ab-c")).records] == [
        "ab-c:1"
    ]
    assert (await store.page(after="ab;", limit=9, member="ab")).records == []


async def test_a_rare_filter_pages_on_without_walking_everything_at_once(
    mongo: AsyncMongoClient, settings: Settings
) -> None:
    store = EmbeddedRecordStore(service_database(mongo, settings), max_scanned=200)
    docs = [stored(f"vmu:r{i:04d}") for i in range(450)]
    for rare in (docs[10], docs[420]):
        rare.record = rare.record.model_copy(update={"kind": Kind.WEBSITE})
    await store.save([(d, None) for d in docs])
    pages, seen, after = [], [], None
    while True:
        page = await store.page(after=after, limit=10, kind="website")
        pages.append(len(page.records))
        seen += [r.id for r in page.records]
        if page.next is None:
            break
        after = page.next
    assert seen == ["vmu:r0010", "vmu:r0420"]  # every match, once, in order
    assert len(pages) == 3  # 450 ids at 200 a request: the walk went on in three requests


async def test_a_rare_filter_is_one_page_from_the_mongodb_store(store: MongoRecordStore) -> None:
    docs = [stored(f"vmu:r{i:04d}") for i in range(30)]
    docs[3].record = docs[3].record.model_copy(update={"kind": Kind.WEBSITE})
    await store.save([(d, None) for d in docs])
    page = await store.page(after=None, limit=10, kind="website")
    assert [r.id for r in page.records] == ["vmu:r0003"] and page.next is None
    assert len((await store.page(after="vmu:r0003", limit=10, status="active")).records) == 10
