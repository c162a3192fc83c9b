"""The link checker's ``LinkStore`` and ``ChangedRecords`` ports on MongoDB
(``ChangedRecords``: the change feed's follower, its cursor in ``catalogue_meta``).

``catalogue_linkcheck``: one document per URL (``_id`` = the URL): ``host``, the
``LinkStatus`` fields, and the lease (``lease_owner``, ``lease_until``, ``lease_token``).
Its only index is ``next_due``: it is written on every check, and in the embedded
SecantusDB every index costs each update a few milliseconds.
``catalogue_linkcheck_uses``: who uses which URL, one document per record url or member
website (``_id`` = ``record:{id}`` or ``website:{code}``; ``url``, ``member``, ``field``),
indexed by ``url`` and ``member``; written only when a URL changes. A URL used by every
record of a member (its portal) is one small document per record, never one huge array.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DeleteOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.catalogue.adapters.feed import FEED, META
from services.catalogue.linkcheck.domain import BrokenLink, LinkState, LinkStatus, host_of
from shared.records import aware, member_of

LINKS = "catalogue_linkcheck"
USES = "catalogue_linkcheck_uses"
CHUNK = 100  # ``$in`` look-ups are chunked (SecantusDB answers a large ``$in`` slowly)
FEED_CURSOR = "linkcheck-feed"
# A batch's feed entry carries the datestamp taken when the batch began, and is written
# when its turn to write comes: entries can land behind ones already read by that much.
FEED_OVERLAP = timedelta(minutes=10)
_STATUS_FIELDS = tuple(LinkStatus.model_fields)
_FREE = {"lease_until": None}


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _status(doc: dict[str, Any]) -> LinkStatus:
    fields = {k: doc.get(k) for k in _STATUS_FIELDS if doc.get(k) is not None}
    for name in ("last_checked_at", "failing_since", "next_due"):
        value = fields.get(name)
        fields[name] = aware(value) if value is not None else None
    return LinkStatus.model_validate(fields)


def _due_now(url: str, now: datetime) -> UpdateOne:
    """A URL gained a user: due at once (created if new). Ending any lease on it makes a
    claim that saw it unused give it up (see ``claim``) instead of parking it."""
    return UpdateOne(
        {"_id": url},
        {
            "$set": {"next_due": now, **_FREE},
            "$unset": {"lease_owner": "", "lease_token": ""},
            "$setOnInsert": {
                "url": url,
                "host": host_of(url),
                "state": LinkState.UNCHECKED.value,
                "failures": 0,
            },
        },
        upsert=True,
    )


class MongoLinkStore:
    """The ``LinkStore`` port on MongoDB."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.links = db[LINKS]
        self.uses = db[USES]

    async def ensure_indexes(self) -> None:
        await self.links.create_index([("next_due", ASCENDING)])
        await self.uses.create_index([("url", ASCENDING)])
        await self.uses.create_index([("member", ASCENDING)])

    async def use_record_urls(self, urls: dict[str, str | None], *, now: datetime) -> None:
        uses = {f"record:{rid}": (member_of(rid), url) for rid, url in urls.items()}
        await self._use(uses, "url", now)

    async def use_websites(self, websites: dict[str, str | None], *, now: datetime) -> None:
        known = {doc["_id"] async for doc in self.uses.find({"field": "website"}, {"_id": 1})}
        uses = {f"website:{code}": (code, url) for code, url in websites.items()}
        uses.update({key: (key.split(":", 1)[1], None) for key in known - set(uses)})
        await self._use(uses, "website", now)

    async def _use(
        self, uses: dict[str, tuple[str, str | None]], field: str, now: datetime
    ) -> None:
        current: dict[str, str] = {}
        for chunk in _chunks(list(uses)):
            async for doc in self.uses.find({"_id": {"$in": chunk}}, {"url": 1}):
                current[doc["_id"]] = doc["url"]
        changed = {key: use for key, use in uses.items() if current.get(key) != use[1]}
        if not changed:
            return
        # The link first: a use is never stored without its link (a crash repeats it).
        if new_urls := sorted({url for _, url in changed.values() if url is not None}):
            await self.links.bulk_write([_due_now(url, now) for url in new_urls], ordered=False)
        ops: list[Any] = [
            ReplaceOne({"_id": key}, {"url": url, "member": member, "field": field}, upsert=True)
            if url is not None
            else DeleteOne({"_id": key})
            for key, (member, url) in changed.items()
        ]
        await self.uses.bulk_write(ops, ordered=False)

    async def claim(
        self, *, owner: str, now: datetime, until: datetime, limit: int, per_host: int
    ) -> list[LinkStatus]:
        due = {
            "next_due": {"$lte": now},
            "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}],
        }
        cursor = self.links.find(due, {"host": 1})
        picked: list[str] = []
        per: dict[str, int] = {}
        # Oldest due first, at most ``per_host`` of one host: many hosts advance at once.
        async for doc in cursor.sort("next_due", ASCENDING).limit(limit * 4):
            if per.get(doc["host"], 0) < per_host:
                per[doc["host"]] = per.get(doc["host"], 0) + 1
                picked.append(doc["_id"])
                if len(picked) >= limit:
                    break
        token = uuid.uuid4().hex
        lease = {"$set": {"lease_owner": owner, "lease_until": until, "lease_token": token}}
        claimed: list[LinkStatus] = []
        for chunk in _chunks(picked):
            # One update per chunk (the server's fast path); the token says which were won.
            await self.links.update_many({"_id": {"$in": chunk}, **due}, lease)
            async for doc in self.links.find({"_id": {"$in": chunk}, "lease_token": token}):
                claimed.append(_status(doc))
        return await self._drop_unused(claimed, token)

    async def _drop_unused(self, claimed: list[LinkStatus], token: str) -> list[LinkStatus]:
        """Links nobody uses any more are parked (never due) rather than checked; a new use
        ends the lease first (``_due_now``), so a park that comes after it matches nothing."""
        used: set[str] = set()
        for chunk in _chunks([link.url for link in claimed]):
            used.update(await self.uses.distinct("url", {"url": {"$in": chunk}}))
        if unused := [link.url for link in claimed if link.url not in used]:
            await self.links.update_many(
                {"_id": {"$in": unused}, "lease_token": token},
                {"$set": {"next_due": None, **_FREE}, "$unset": {"lease_token": ""}},
            )
        return [link for link in claimed if link.url in used]

    async def save_checked(self, links: list[LinkStatus], *, owner: str) -> int:
        if not links:
            return 0
        ops = [
            UpdateOne(
                {"_id": link.url, "lease_owner": owner},
                {
                    "$set": {
                        **link.model_dump(mode="python", exclude={"url", "host"}),
                        "state": link.state.value,
                        **_FREE,
                    },
                    "$unset": {"lease_owner": "", "lease_token": ""},
                },
            )
            for link in links
        ]
        result = await self.links.bulk_write(ops, ordered=False)
        return result.matched_count

    async def release(self, urls: list[str], *, owner: str) -> None:
        for chunk in _chunks(urls):
            await self.links.update_many(
                {"_id": {"$in": chunk}, "lease_owner": owner},
                {"$set": _FREE, "$unset": {"lease_owner": "", "lease_token": ""}},
            )

    async def broken_links(self, member: str) -> list[BrokenLink]:
        uses = await self.uses.find({"member": member}).to_list(None)
        broken: dict[str, LinkStatus] = {}
        for chunk in _chunks(sorted({use["url"] for use in uses})):
            query = {"_id": {"$in": chunk}, "state": LinkState.BROKEN.value}
            async for doc in self.links.find(query):
                broken[doc["_id"]] = _status(doc)
        found = [
            BrokenLink(
                record_id=use["_id"].split(":", 1)[1] if use["field"] == "url" else None,
                field=use["field"],
                url=use["url"],
                since=broken[use["url"]].failing_since,
                last_error=broken[use["url"]].last_error,
                last_checked_at=broken[use["url"]].last_checked_at,
            )
            for use in uses
            if use["url"] in broken
        ]
        return sorted(found, key=lambda b: (b.field != "website", b.record_id or "", b.url))

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
        since = aware(marker["at"]) - FEED_OVERLAP if marker else None
        query = {"at": {"$gte": since}} if since is not None else {}
        self._pending = {}
        # Datestamps first (small documents), then the ids of the entries not handled yet.
        async for doc in self.feed.find(query, {"at": 1}).sort("at", ASCENDING):
            if doc["_id"] not in self._handled:
                at = doc["at"]
                self._pending[doc["_id"]] = aware(at) if at is not None else datetime.now(UTC)
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
