"""MongoDB adapters of the link checker: ``catalogue_linkcheck`` (one document per URL,
``_id`` = the URL) and the change feed's follower (its cursor in ``catalogue_meta``).

A link document: ``url``, ``host``, ``records`` (record ids using it), ``members`` (member
codes whose website it is), the ``LinkStatus`` fields, and ``lease_owner``/``lease_until``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.catalogue.adapters.feed import FEED, META
from services.catalogue.linkcheck.domain import BrokenLink, LinkState, LinkStatus, host_of

LINKS = "catalogue_linkcheck"
CHUNK = 100  # ``$in`` look-ups are chunked (SecantusDB answers a large ``$in`` slowly)
FEED_CURSOR = "linkcheck-feed"
# A batch's feed entry carries the datestamp taken when the batch began, and is written
# when its turn to write comes: entries can land behind ones already read by that much.
FEED_OVERLAP = timedelta(minutes=10)
_STATUS_FIELDS = tuple(LinkStatus.model_fields)


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _status(doc: dict[str, Any]) -> LinkStatus:
    fields = {k: doc.get(k) for k in _STATUS_FIELDS if doc.get(k) is not None}
    for name in ("last_checked_at", "failing_since", "next_due"):
        fields[name] = _aware(fields.get(name))
    return LinkStatus.model_validate(fields)


def _new_use(url: str, field: str, user: str, now: datetime) -> UpdateOne:
    """Add a user to a URL's document (created due now); a new user makes it due now."""
    return UpdateOne(
        {"_id": url},
        {
            "$addToSet": {field: user},
            "$min": {"next_due": now},
            "$setOnInsert": {
                "url": url,
                "host": host_of(url),
                "state": LinkState.UNCHECKED.value,
                "failures": 0,
                "lease_until": None,
            },
        },
        upsert=True,
    )


class MongoLinkStore:
    """The ``LinkStore`` port on MongoDB."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.links = db[LINKS]

    async def ensure_indexes(self) -> None:
        await self.links.create_index([("next_due", ASCENDING)])
        await self.links.create_index([("records", ASCENDING)])
        await self.links.create_index([("members", ASCENDING)])
        await self.links.create_index([("state", ASCENDING)])

    async def use_record_urls(self, urls: dict[str, str | None], *, now: datetime) -> None:
        current: dict[str, set[str]] = {rid: set() for rid in urls}
        for chunk in _chunks(list(urls)):
            cursor = self.links.find({"records": {"$in": chunk}}, {"records": 1})
            async for doc in cursor:
                for rid in set(doc["records"]).intersection(chunk):
                    current[rid].add(doc["_id"])
        ops: list[Any] = []
        for rid, url in urls.items():
            if url is not None and url not in current[rid]:
                ops.append(_new_use(url, "records", rid, now))
            ops += [
                UpdateOne({"_id": old}, {"$pull": {"records": rid}})
                for old in current[rid]
                if old != url
            ]
        await self._write(ops)

    async def use_websites(self, websites: dict[str, str | None], *, now: datetime) -> None:
        current: dict[str, set[str]] = {}
        async for doc in self.links.find({"members": {"$exists": True, "$ne": []}}):
            for code in doc["members"]:
                current.setdefault(code, set()).add(doc["_id"])
        ops: list[Any] = []
        for code in set(websites) | set(current):
            url, used = websites.get(code), current.get(code, set())
            if url is not None and url not in used:
                ops.append(_new_use(url, "members", code, now))
            ops += [UpdateOne({"_id": old}, {"$pull": {"members": code}}) for old in used - {url}]
        await self._write(ops)

    async def _write(self, ops: list[Any]) -> None:
        if not ops:
            return
        # Ordered: a URL that loses one user and gains another in one call ends right.
        await self.links.bulk_write(ops, ordered=True)
        await self.links.delete_many(
            {"records": {"$in": [[], None]}, "members": {"$in": [[], None]}}
        )

    async def claim(
        self, *, owner: str, now: datetime, until: datetime, limit: int, per_host: int
    ) -> list[LinkStatus]:
        due = {
            "next_due": {"$lte": now},
            "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}],
        }
        cursor = self.links.find(due, {"host": 1, "lease_until": 1})
        picked: list[dict[str, Any]] = []
        per: dict[str, int] = {}
        # Oldest due first, at most ``per_host`` of one host: many hosts advance at once.
        async for doc in cursor.sort("next_due", ASCENDING).limit(limit * 4):
            if per.get(doc["host"], 0) < per_host:
                per[doc["host"]] = per.get(doc["host"], 0) + 1
                picked.append(doc)
                if len(picked) >= limit:
                    break
        if not picked:
            return []
        token = uuid.uuid4().hex
        lease = {"$set": {"lease_owner": owner, "lease_until": until, "lease_token": token}}
        await self.links.bulk_write(
            [
                UpdateOne({"_id": doc["_id"], "lease_until": doc.get("lease_until")}, lease)
                for doc in picked
            ],
            ordered=False,
        )
        claimed: list[LinkStatus] = []
        for chunk in _chunks([doc["_id"] for doc in picked]):
            async for doc in self.links.find({"_id": {"$in": chunk}, "lease_token": token}):
                claimed.append(_status(doc))
        return claimed

    async def save_checked(self, link: LinkStatus, *, owner: str) -> bool:
        fields = link.model_dump(mode="python", exclude={"url", "host"})
        result = await self.links.update_one(
            {"_id": link.url, "lease_owner": owner},
            {
                "$set": {**fields, "state": link.state.value, "lease_until": None},
                "$unset": {"lease_owner": "", "lease_token": ""},
            },
        )
        return result.matched_count == 1

    async def broken_links(self, member: str) -> list[BrokenLink]:
        prefix = f"{member}:"
        query = {
            "state": LinkState.BROKEN.value,
            "$or": [{"records": {"$regex": f"^{member}:"}}, {"members": member}],
        }
        found: list[BrokenLink] = []
        async for doc in self.links.find(query).sort("_id", ASCENDING):
            status = _status(doc)
            common = {
                "url": status.url,
                "since": status.failing_since,
                "last_error": status.last_error,
                "last_checked_at": status.last_checked_at,
            }
            if member in doc.get("members", []):
                found.append(BrokenLink(record_id=None, field="website", **common))
            found += [
                BrokenLink(record_id=rid, field="url", **common)
                for rid in sorted(doc.get("records", []))
                if rid.startswith(prefix)
            ]
        return found

    async def count_broken(self) -> int:
        return await self.links.count_documents({"state": LinkState.BROKEN.value})


class FeedChangedRecords:
    """``ChangedRecords`` from the catalogue's change feed (``adapters.feed``).

    The cursor is the datestamp of the newest entry handled, stored in ``catalogue_meta``;
    each read goes back ``FEED_OVERLAP`` before it and skips the entries this process
    handled already, so a late entry is not missed and a restart only repeats a little.
    """

    def __init__(self, db: AsyncDatabase) -> None:
        self.feed = db[FEED]
        self.meta = db[META]
        self._handled: dict[str, datetime] = {}  # feed entry id → its datestamp
        self._pending: dict[str, datetime] = {}

    async def changed(self, limit: int) -> list[str]:
        marker = await self.meta.find_one({"_id": FEED_CURSOR})
        since = _aware(marker["at"]) - FEED_OVERLAP if marker else None
        query = {"at": {"$gte": since}} if since is not None else {}
        self._pending = {}
        # Datestamps first (small documents), then the ids of the entries not handled yet.
        async for doc in self.feed.find(query, {"at": 1}).sort("at", ASCENDING):
            if doc["_id"] not in self._handled:
                self._pending[doc["_id"]] = _aware(doc["at"]) or datetime.now(UTC)
                if len(self._pending) >= limit:
                    break
        ids: set[str] = set()
        for chunk in _chunks(list(self._pending)):
            async for doc in self.feed.find({"_id": {"$in": chunk}}, {"ids": 1}):
                ids.update(doc["ids"])
        return sorted(ids)

    async def commit(self) -> None:
        if not self._pending:
            return
        newest = max(self._pending.values())
        self._handled.update(self._pending)
        self._pending = {}
        horizon = newest - 2 * FEED_OVERLAP
        self._handled = {k: at for k, at in self._handled.items() if at >= horizon}
        await self.meta.update_one({"_id": FEED_CURSOR}, {"$max": {"at": newest}}, upsert=True)
