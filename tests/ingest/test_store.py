"""Ingest's Mongo adapters against a real SecantusDB, in the states a crash or a race leaves."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from services.ingest.adapters.mongo import MongoMemberDirectory
from shared.events import Member, MemberChanged
from tests.ingest.conftest import fail_next

# mongod refuses to inject a bare 11000 (it carries the key); 11001, its legacy twin, reaches
# the driver as the same DuplicateKeyError.
DUPLICATE_KEY = 11001


def _changed(version: int, name: str) -> MemberChanged:
    return MemberChanged(change="updated", member=Member(code="vmu", name=name, version=version))


async def test_a_newer_first_event_that_loses_the_insert_race_is_still_applied(
    failpoint_db: AsyncDatabase,
) -> None:
    """Two first events of a member: the older one's upsert inserts the document between the
    newer one's match and its insert, so the newer one's upsert fails with a duplicate key."""
    directory = MongoMemberDirectory(failpoint_db)
    await directory.apply(_changed(1, "Tên cũ"))
    await fail_next(failpoint_db, "update", DUPLICATE_KEY)  # the server's answer in that race
    await directory.apply(_changed(2, "Tên mới"))
    member = await directory.get("vmu")
    assert member is not None and member.name == "Tên mới"


async def test_a_stale_event_still_changes_nothing(failpoint_db: AsyncDatabase) -> None:
    directory = MongoMemberDirectory(failpoint_db)
    await directory.apply(_changed(2, "Tên mới"))
    await directory.apply(_changed(1, "Tên cũ"))
    member = await directory.get("vmu")
    assert member is not None and member.name == "Tên mới"
