"""Per-record outcomes against a real SecantusDB: one document a processed batch, receive-time
rejections as rows, and pages over both exactly as the per-record rows used to give them."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from bson import Binary
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.ingest.adapters.mongo import MongoSubmissionStore
from services.ingest.adapters.outcomes import OUTCOME_BATCHES, OUTCOMES
from services.ingest.domain import Rejection, Submission, expiry
from shared.config import Settings
from shared.events import FieldError, ItemOutcome, Outcome
from shared.mongo import service_database
from shared.records import Problem, utcnow

SUBMISSION = "s-outcomes"
TOTAL = 1200
REJECTED_AT_RECEIPT = (3, 250, 499, 500, 501, 777, 1100, 1199)
BATCH = 500


def _catalogue_outcome(index: int) -> ItemOutcome:
    """What the catalogue answers for an accepted record: mostly created, some of each."""
    rejected = index % 50 == 7 and index < 1000  # none in the last batch (from 1006 on)
    kind = Outcome.REJECTED if rejected else Outcome.UPDATED if index % 7 == 0 else None
    warnings = [Problem(code="missing_description", loc=["description"], msg="Thiếu / missing")]
    return ItemOutcome(
        index=index,
        local_id=f"r{index}",
        outcome=kind or Outcome.CREATED,
        version=None if kind is Outcome.REJECTED else 1,
        errors=[FieldError(loc=["year"], msg="sai / wrong")] if kind is Outcome.REJECTED else [],
        warnings=warnings if index % 30 == 1 else [],
    )


def _rejection(index: int) -> Rejection:
    return Rejection(
        index=index,
        local_id=f"r{index}",
        errors=[FieldError(loc=["title"], msg="thiếu")],
        row=index + 2,
    )


def _batches() -> list[list[ItemOutcome]]:
    accepted = [i for i in range(TOTAL) if i not in REJECTED_AT_RECEIPT]
    return [
        [_catalogue_outcome(i) for i in accepted[start : start + BATCH]]
        for start in range(0, len(accepted), BATCH)
    ]


def _expected() -> list[dict[str, Any]]:
    """Every outcome as the per-record rows gave it back: no ``_id``, by ``index``."""
    rows = [
        {**_rejection(i).outcome().model_dump(mode="json", exclude_none=True), "row": i + 2}
        for i in REJECTED_AT_RECEIPT
    ]
    processed = [
        o.model_dump(mode="json", exclude_none=True) for batch in _batches() for o in batch
    ]
    return sorted(rows + processed, key=lambda o: o["index"])


@pytest.fixture
async def db(settings: Settings, mongo: AsyncMongoClient) -> AsyncDatabase:
    return service_database(mongo, settings)


@pytest.fixture
async def store(db: AsyncDatabase) -> AsyncIterator[MongoSubmissionStore]:
    """A sealed submission of 1,200 records: 8 rejected at receipt, 3 batches processed."""
    store = MongoSubmissionStore(db)
    await store.ensure_indexes()
    await _sealed(store, batch_count=3)
    await store.add_rejections(SUBMISSION, [_rejection(i) for i in REJECTED_AT_RECEIPT])
    for batch_no, outcomes in enumerate(_batches()):
        assert await store.record_outcomes(SUBMISSION, batch_no, outcomes, utcnow())
    yield store


async def _sealed(store: MongoSubmissionStore, *, batch_count: int) -> None:
    now = utcnow()
    await store.create(
        Submission(
            id=SUBMISSION,
            member="vmu",
            source="api",
            state="receiving",
            created_at=now,
            updated_at=now,
        )
    )
    await store.seal(
        SUBMISSION,
        batch_count=batch_count,
        accepted=TOTAL - len(REJECTED_AT_RECEIPT),
        rejected=len(REJECTED_AT_RECEIPT),
        notes={},
        relay_after=now,
    )


async def _page(
    store: MongoSubmissionStore,
    offset: int,
    limit: int,
    outcome: str | None = None,
    warned: bool = False,
) -> list[dict[str, Any]]:
    return await store.outcomes(
        SUBMISSION, outcome=outcome, warned=warned, offset=offset, limit=limit
    )


async def _corrupt_blob(db: AsyncDatabase, batch_no: int) -> None:
    """A blob no reader can decode: a page that reads it fails."""
    await db[OUTCOME_BATCHES].update_one(
        {"_id": f"{SUBMISSION}:b{batch_no}"}, {"$set": {"outcomes": Binary(b"not zlib")}}
    )


async def test_each_processed_batch_is_one_document_with_its_summary_and_expiry(
    store: MongoSubmissionStore, db: AsyncDatabase
) -> None:
    docs = await db[OUTCOME_BATCHES].find({"submission_id": SUBMISSION}).to_list(None)
    assert [d["_id"] for d in docs] == [f"{SUBMISSION}:b{n}" for n in range(3)]
    first = docs[0]
    outcomes = _batches()[0]
    assert (first["first_index"], first["last_index"], first["count"]) == (0, 504, 500)
    assert first["counts"]["warned"] == sum(1 for o in outcomes if o.warnings)
    assert first["counts"]["rejected"] == sum(1 for o in outcomes if o.outcome == "rejected")
    kept_until = utcnow() + timedelta(days=89)
    assert all(d["expires_at"].replace(tzinfo=UTC) > kept_until for d in docs)
    # Only the receive-time rejections are rows.
    assert await db[OUTCOMES].count_documents({"submission_id": SUBMISSION}) == 8


async def test_the_indexes_the_reader_and_the_ttl_rely_on(
    store: MongoSubmissionStore, db: AsyncDatabase
) -> None:
    batches = await db[OUTCOME_BATCHES].index_information()
    keys = {tuple(spec["key"]): spec for spec in batches.values()}
    assert (("submission_id", 1), ("first_index", 1)) in keys
    assert keys[(("expires_at", 1),)]["expireAfterSeconds"] == 0
    rows = await db[OUTCOMES].index_information()
    assert sorted(tuple(spec["key"]) for spec in rows.values()) == [
        (("_id", 1),),
        (("expires_at", 1),),
        (("submission_id", 1), ("index", 1)),
    ]


async def test_an_unfiltered_page_crosses_a_batch_boundary_with_rejections_interleaved(
    store: MongoSubmissionStore,
) -> None:
    expected = _expected()
    # Batch 0 ends at index 504; rows 499, 500 and 501 lie inside it, batch 1 starts at 505.
    page = await _page(store, offset=495, limit=20)
    assert page == expected[495:515]
    assert [o["index"] for o in page] == list(range(495, 515))
    assert [o.get("row") for o in page if o["index"] in (499, 500, 501)] == [501, 502, 503]
    for offset, limit in ((0, 1), (0, 1000), (1, 5000), (500, 500), (999, 3), (1190, 50)):
        assert await _page(store, offset, limit) == expected[offset : offset + limit]


async def test_a_page_of_rejections_holds_the_receipts_and_the_catalogues(
    store: MongoSubmissionStore,
) -> None:
    rejected = [o for o in _expected() if o["outcome"] == "rejected"]
    assert await _page(store, 0, 1000, outcome="rejected") == rejected
    for offset, limit in ((0, 3), (5, 7), (10, 4), (len(rejected) - 1, 10)):
        page = await _page(store, offset, limit, outcome="rejected")
        assert page == rejected[offset : offset + limit]
    assert await _page(store, 0, 10, outcome="restored") == []


async def test_a_page_of_warned_records(store: MongoSubmissionStore) -> None:
    warned = [o for o in _expected() if o["warnings"]]
    assert await _page(store, 0, 1000, warned=True) == warned
    for offset, limit in ((0, 2), (15, 5), (16, 20), (len(warned), 5)):
        assert await _page(store, offset, limit, warned=True) == warned[offset : offset + limit]
    both = [o for o in warned if o["outcome"] == "created"]
    assert await _page(store, 3, 9, outcome="created", warned=True) == both[3:12]


async def test_an_offset_past_the_end_is_an_empty_page(store: MongoSubmissionStore) -> None:
    assert await _page(store, TOTAL, 10) == []
    assert await _page(store, TOTAL + 500, 10, outcome="rejected") == []
    assert await _page(store, 10_000, 10, warned=True) == []


async def test_batches_wholly_before_the_page_or_without_a_match_are_not_decoded(
    store: MongoSubmissionStore, db: AsyncDatabase
) -> None:
    expected = _expected()
    await _corrupt_blob(db, 0)
    with pytest.raises(zlib.error):
        await _page(store, offset=0, limit=10)
    # Batch 0 and the rows among it count off the offset by its summary.
    assert await _page(store, offset=510, limit=600) == expected[510:1110]
    # Batch 2 (indexes 1006-1198) holds no rejection: only its rows 1100 and 1199 are listed.
    await _corrupt_blob(db, 2)
    rejected = [o for o in expected if o["outcome"] == "rejected"]
    skipped = sum(1 for o in rejected if o["index"] < 505)
    page = await _page(store, skipped, 100, outcome="rejected")
    assert page == rejected[skipped:] and [o["index"] for o in page][-2:] == [1100, 1199]


async def test_a_batch_delivered_again_is_stored_once_and_counted_once(
    store: MongoSubmissionStore, db: AsyncDatabase
) -> None:
    before = await store.get(SUBMISSION)
    assert before is not None
    assert not await store.record_outcomes(SUBMISSION, 1, _batches()[1], utcnow())
    after = await store.get(SUBMISSION)
    assert after is not None and after.counts == before.counts
    assert after.processed_batches == [0, 1, 2]
    assert await db[OUTCOME_BATCHES].count_documents({"submission_id": SUBMISSION}) == 3
    assert await _page(store, 0, 5000) == _expected()


async def test_a_batch_stored_but_not_counted_before_a_crash_is_counted_on_redelivery(
    db: AsyncDatabase,
) -> None:
    store = MongoSubmissionStore(db)
    await _sealed(store, batch_count=1)
    outcomes = _batches()[0][:10]
    assert await store.record_outcomes(SUBMISSION, 0, outcomes, utcnow())
    # The crash: the document is in, the counts and processed_batches are not.
    await db["ingest_submissions"].update_one(
        {"_id": SUBMISSION}, {"$set": {"processed_batches": [], "counts": {}}}
    )
    assert await store.record_outcomes(SUBMISSION, 0, outcomes, utcnow())
    assert not await store.record_outcomes(SUBMISSION, 0, outcomes, utcnow())
    found = await store.get(SUBMISSION)
    assert found is not None and found.counts == {
        "created": 8,
        "updated": 1,
        "rejected": 1,
        "warned": 1,
    }
    assert await db[OUTCOME_BATCHES].count_documents({}) == 1
    assert len(await _page(store, 0, 100)) == 10


async def test_an_empty_batch_is_counted_as_processed_without_a_document(
    db: AsyncDatabase,
) -> None:
    store = MongoSubmissionStore(db)
    await _sealed(store, batch_count=1)
    assert await store.record_outcomes(SUBMISSION, 0, [], utcnow())
    assert await db[OUTCOME_BATCHES].count_documents({}) == 0
    assert await _page(store, 0, 10) == []


async def test_discard_removes_the_batch_documents_and_the_rows(
    store: MongoSubmissionStore, db: AsyncDatabase
) -> None:
    await store.discard(SUBMISSION)
    for name in (OUTCOME_BATCHES, OUTCOMES, "ingest_submissions", "ingest_outbox"):
        assert await db[name].count_documents({"submission_id": SUBMISSION}) == 0
    assert await store.get(SUBMISSION) is None
    assert await _page(store, 0, 100) == []


async def _stored_by_the_previous_version(db: AsyncDatabase, outcomes: list[ItemOutcome]) -> None:
    """Per-record rows, as ``record_outcomes`` stored them before the batch documents."""
    await db[OUTCOMES].insert_many(
        [
            {
                "_id": f"{SUBMISSION}:{o.index}",
                "submission_id": SUBMISSION,
                **o.model_dump(mode="json", exclude_none=True),
                "expires_at": expiry(utcnow()),
            }
            for o in outcomes
        ]
    )


async def test_outcomes_stored_as_rows_by_the_previous_version_still_read(
    db: AsyncDatabase,
) -> None:
    store = MongoSubmissionStore(db)
    await store.ensure_indexes()
    await _sealed(store, batch_count=3)
    await store.add_rejections(SUBMISSION, [_rejection(i) for i in REJECTED_AT_RECEIPT])
    first, second, third = _batches()
    # Batch 0 processed before the upgrade, then delivered again after it; 1 and 2 after.
    await _stored_by_the_previous_version(db, first)
    await db["ingest_submissions"].update_one(
        {"_id": SUBMISSION}, {"$set": {"processed_batches": [0]}}
    )
    assert not await store.record_outcomes(SUBMISSION, 0, first, utcnow())
    assert await store.record_outcomes(SUBMISSION, 1, second, utcnow())
    assert await store.record_outcomes(SUBMISSION, 2, third, utcnow())
    assert await db[OUTCOME_BATCHES].count_documents({}) == 2
    expected = _expected()
    assert await _page(store, 0, 5000) == expected
    assert await _page(store, 495, 20) == expected[495:515]
    rejected = [o for o in expected if o["outcome"] == "rejected"]
    assert await _page(store, 2, 6, outcome="rejected") == rejected[2:8]
    warned = [o for o in expected if o["warnings"]]
    assert await _page(store, 10, 10, warned=True) == warned[10:20]
