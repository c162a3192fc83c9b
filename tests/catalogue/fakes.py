"""In-memory fakes of the catalogue's own ports, for unit tests of the handlers."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from services.catalogue.domain import Link, StoredRecord
from services.catalogue.ports import (
    ConcurrentUpdate,
    ProcessedBatch,
    RecordPage,
)
from services.catalogue.quality import Row
from shared.errors import BrokerUnavailable
from shared.events import Event, Member, MemberChange, RecordsChanged, SubmissionProcessed
from shared.records import Record, RecordStatus, member_of


class FakeRecordStore:
    def __init__(self) -> None:
        self.records: dict[str, StoredRecord] = {}
        self.links: dict[str, Link] = {}
        self.batches: dict[str, ProcessedBatch] = {}
        self.save_calls = 0

    async def get_many(self, ids: list[str]) -> dict[str, StoredRecord]:
        return {i: self.records[i] for i in ids if i in self.records}

    async def find_by_keys(
        self, keys: list[str], *, exclude_member: str
    ) -> dict[str, StoredRecord]:
        wanted = set(keys)
        return {
            rid: s
            for rid, s in self.records.items()
            if s.record.member != exclude_member and wanted.intersection(s.keys)
        }

    async def learn_changes(self, records: list[Record]) -> None:
        """Nothing to learn: ``find_by_keys`` reads every stored record."""

    async def save(self, writes: list[tuple[StoredRecord, StoredRecord | None]]) -> None:
        self.save_calls += 1
        for state, previous in writes:
            current = self.records.get(state.record.id)
            if (previous is None) != (current is None) or (
                previous is not None and current is not None and previous.order != current.order
            ):
                raise ConcurrentUpdate(state.record.id)
        for state, _ in writes:
            self.records[state.record.id] = state

    async def links_touching(self, ids: list[str]) -> list[Link]:
        wanted = set(ids)
        return [link for link in self.links.values() if {link.a, link.b} & wanted]

    async def save_links(self, save: list[Link], delete: list[str]) -> None:
        for link in save:
            self.links[link.id] = link
        for lid in delete:
            self.links.pop(lid, None)

    async def links_page(
        self, *, state: str | None, member: str | None, limit: int, offset: int
    ) -> tuple[list[Link], int]:
        found = [
            link
            for link in self.links.values()
            if (state is None or link.state == state)
            and (member is None or member in (member_of(link.a), member_of(link.b)))
        ]
        return found[offset : offset + limit], len(found)

    async def set_holdings(self, holdings: dict[str, list[str]]) -> None:
        for rid, ids in holdings.items():
            state = self.records[rid]
            record = state.record.model_copy(update={"also_held_by": ids})
            self.records[rid] = state.model_copy(update={"record": record})

    async def adjust_holdings(
        self, add: dict[str, list[str]], remove: dict[str, list[str]]
    ) -> None:
        for rid in {*add, *remove}:
            ids = set(self.records[rid].record.also_held_by) | set(add.get(rid, []))
            await self.set_holdings({rid: sorted(ids - set(remove.get(rid, [])))})

    async def processed_batch(self, key: str) -> ProcessedBatch | None:
        return self.batches.get(key)

    async def save_batch(self, batch: ProcessedBatch) -> None:
        self.batches[batch.key] = batch

    async def page(
        self,
        *,
        after: str | None,
        limit: int,
        member: str | None = None,
        kind: str | None = None,
        status: str | None = None,
    ) -> RecordPage:
        rows = sorted(
            (
                s.record
                for s in self.records.values()
                if (after is None or s.record.id > after)
                and (member is None or s.record.member == member)
                and (kind is None or s.record.kind == kind)
                and (status is None or s.record.status == status)
            ),
            key=lambda r: r.id,
        )
        page = rows[:limit]
        return RecordPage(records=page, next=page[-1].id if len(page) == limit else None)

    async def stats(self) -> dict[str, Any]:
        holdings: dict[tuple[str, str, int | None], int] = {}
        for s in self.records.values():
            if s.record.status == "active":
                key = (s.record.member, s.record.kind.value, s.record.year)
                holdings[key] = holdings.get(key, 0) + 1
        activity: dict[tuple[str, str, str], int] = {}
        monthly: dict[tuple[str, str, str], int] = {}
        for e in (e for s in self.records.values() for e in s.history):
            key = (e.member, e.period, e.change.value)
            activity[key] = activity.get(key, 0) + 1
            month = (e.member, e.at.astimezone(UTC).strftime("%Y-%m"), e.change.value)
            monthly[month] = monthly.get(month, 0) + 1
        return {
            "holdings": [
                {"member": m, "kind": k, "year": y, "count": n} for (m, k, y), n in holdings.items()
            ],
            "activity": [
                {"member": m, "period": p, "change": c, "count": n}
                for (m, p, c), n in activity.items()
            ],
            "monthly": [
                {"member": m, "month": p, "change": c, "count": n}
                for (m, p, c), n in monthly.items()
            ],
        }

    async def quality_rows(self, member: str | None = None) -> list[Row]:
        return [
            (rid, tuple(p.code for p in state.record.problems))
            for rid, state in sorted(self.records.items())
            if state.record.status is RecordStatus.ACTIVE and member in (None, state.record.member)
        ]


class FakeMemberStore:
    def __init__(self, *members: Member) -> None:
        self.members = {m.code: m for m in members}
        self.outbox: dict[str, MemberChange] = {}

    async def get(self, code: str) -> Member | None:
        return self.members.get(code)

    async def all(self) -> list[Member]:
        return [self.members[c] for c in sorted(self.members)]

    async def save(self, member: Member, *, announce: MemberChange) -> None:
        self.members[member.code] = member
        self.outbox[member.code] = announce

    async def announced(self, code: str, version: int) -> None:
        if self.members[code].version == version:
            self.outbox.pop(code, None)

    async def unannounced(self) -> list[tuple[Member, MemberChange]]:
        return [(self.members[code], change) for code, change in sorted(self.outbox.items())]


class FakePublisher:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.down = False

    async def publish(self, event: Event) -> None:
        if self.down:
            raise BrokerUnavailable("the broker is down (fake)")
        self.events.append(event)

    def changes(self) -> list[tuple[str, str, int]]:
        """(record id, change kind, version) of every published change, in order."""
        return [
            (c.record.id, c.change.value, c.record.version)
            for e in self.events
            if isinstance(e, RecordsChanged)
            for c in e.changes
        ]

    def processed(self) -> list[SubmissionProcessed]:
        return [e for e in self.events if isinstance(e, SubmissionProcessed)]

    def clear(self) -> None:
        self.events.clear()
