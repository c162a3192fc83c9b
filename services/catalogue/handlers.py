"""The catalogue's use cases. Each takes its ports as keyword arguments."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from services.catalogue.domain import (
    Context,
    HistoryEntry,
    Link,
    LinkState,
    StoredRecord,
    holdings_after_decision,
    link_id,
    new_link,
    relink,
)
from services.catalogue.domain import decide as decide_item
from services.catalogue.linkcheck.domain import BrokenLink
from services.catalogue.pipeline import BatchGate
from services.catalogue.ports import (
    EventPublisher,
    LinkStore,
    MemberStore,
    ProcessedBatch,
    RecordStore,
    batch_key,
)
from services.catalogue.quality import (
    MemberQuality,
    candidates_by_record,
    duplicate_problem,
    page_of,
    problem_items,
    with_found,
    worst_first,
)
from shared.errors import (
    BrokerUnavailable,
    NotFound,  # the record or member does not exist (str: its id)
)
from shared.events import (
    ChangeKind,
    FieldError,
    ItemOutcome,
    Member,
    MemberChange,
    MemberChanged,
    MemberStatus,
    Outcome,
    RecordChange,
    RecordsChanged,
    RecordsSubmitted,
    SubmissionProcessed,
)
from shared.records import (
    MAX_BATCH,
    Problem,
    Record,
    RecordStatus,
    member_of,
    record_id,
    utcnow,
)
from shared.validation import ProblemCode

log = structlog.get_logger("catalogue")


async def store_submission(
    event: RecordsSubmitted,
    *,
    records: RecordStore,
    members: MemberStore,
    publisher: EventPublisher,
    now: datetime | None = None,
    gate: BatchGate | None = None,
) -> SubmissionProcessed:
    """Store one batch (bulk), announce its changes, then answer with its outcomes.

    ``gate`` lets batches of one process overlap (see ``pipeline``); without one the batch
    runs alone.
    """
    gate = gate or BatchGate()
    ids = list(dict.fromkeys(record_id(event.member, item.local_id) for item in event.items))
    async with gate.records(ids):
        return await _store(event, ids, records, members, publisher, now or utcnow(), gate)


async def _store(
    event: RecordsSubmitted,
    ids: list[str],
    records: RecordStore,
    members: MemberStore,
    publisher: EventPublisher,
    now: datetime,
    gate: BatchGate,
) -> SubmissionProcessed:
    watch = Stopwatch()
    key = batch_key(event.submission_id, event.batch_no)
    done, member, current = await asyncio.gather(
        records.processed_batch(key), members.get(event.member), records.get_many(ids)
    )
    watch.lap("read")
    if done is not None:
        log.info("batch_redelivered", submission_id=event.submission_id, batch_no=event.batch_no)
        changes = [
            (current[rid].record, kind) for rid, kind in done.changes.items() if rid in current
        ]
        return await _announce_in_turn(event, done.outcomes, changes, publisher, gate)
    if member is None or member.status is MemberStatus.SUSPENDED:
        return await _announce_in_turn(event, _reject_all(event, member), [], publisher, gate)
    ctx = Context(
        member=event.member,
        source=event.source,
        submission_id=event.submission_id,
        submitted_at=event.submitted_at,
        batch_no=event.batch_no,
        now=now,
    )
    batch = await _apply_items(event, ctx, current)
    watch.lap("apply")
    async with gate.write_turn() as turn:
        watch.lap("wait")
        linked = await _link_and_write(batch, records, watch)
    try:
        await records.save_batch(
            ProcessedBatch(
                submission_id=event.submission_id,
                batch_no=event.batch_no,
                member=event.member,
                outcomes=batch.outcomes,
                changes=batch.changes,
            )
        )
        watch.lap("save_batch")
        changes = [(batch.state[rid].record, kind) for rid, kind in batch.changes.items()]
        changes += [(record, ChangeKind.LINKED) for record in linked.partners]
        async with turn.announce():
            watch.lap("wait_turn")
            processed = await _announce(event, batch.outcomes, changes, publisher)
    finally:
        turn.finish()
    watch.lap("publish")
    log.info(
        "batch_stored",
        submission_id=event.submission_id,
        batch_no=event.batch_no,
        member=event.member,
        items=len(event.items),
        changes=len(batch.changes),
        linked=len(linked.partners),
        ms=watch.laps,
    )
    return processed


async def _link_and_write(batch: _Batch, records: RecordStore, watch: Stopwatch) -> _Linked:
    """Stage 2 (one batch at a time): duplicate links, then every write of the batch.

    Links are computed before the write, so the batch's own records (not stored yet) do not
    answer its duplicate look-ups; earlier batches of this process are stored by then, and
    partners' holdings move by add/remove (commutes with another replica's batch).
    """
    linked = await _relink(batch, records)
    watch.lap("link")
    await asyncio.gather(
        records.save([(state, batch.current.get(rid)) for rid, state in batch.writes.items()]),
        records.save_links(linked.save, linked.delete),
        records.set_holdings(linked.holdings_only),
        records.adjust_holdings(linked.add, linked.remove),
    )
    watch.lap("write")
    return linked


async def _announce_in_turn(
    event: RecordsSubmitted,
    outcomes: list[ItemOutcome],
    changes: list[tuple[Record, ChangeKind]],
    publisher: EventPublisher,
    gate: BatchGate,
) -> SubmissionProcessed:
    async with gate.write_turn() as turn:
        pass
    async with turn.announce():
        return await _announce(event, outcomes, changes, publisher)


class Stopwatch:
    """Milliseconds spent in each phase of a batch, for the log (where the time goes)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self._last) * 1000, 1)
        self._last = now


class _Batch:
    """The working state of one batch while its items are applied in order."""

    def __init__(self, current: dict[str, StoredRecord]) -> None:
        self.current = current
        self.state: dict[str, StoredRecord] = dict(current)
        self.writes: dict[str, StoredRecord] = {}
        self.outcomes: list[ItemOutcome] = []
        self.changes: dict[str, ChangeKind] = {}


# Applying 500 items is ~50-80 ms of CPU; yielding now and then lets the batch in its write
# turn go on as soon as the database answers instead of after the whole apply.
YIELD_EVERY = 50
LINKS_PAGE = 1000  # undecided duplicate pairs read per request for the quality inbox


async def _apply_items(
    event: RecordsSubmitted, ctx: Context, current: dict[str, StoredRecord]
) -> _Batch:
    batch = _Batch(current)
    for position, item in enumerate(event.items, 1):
        if position % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        rid = record_id(event.member, item.local_id)
        decision = decide_item(item, batch.state.get(rid), ctx)
        batch.outcomes.append(decision.outcome)
        if decision.state is not None:
            batch.state[rid] = decision.state
            batch.writes[rid] = decision.state
        if decision.republish is not None and batch.changes.get(rid) is not ChangeKind.CREATED:
            batch.changes[rid] = decision.republish
    return batch


class _Linked:
    def __init__(self) -> None:
        self.save: list[Link] = []
        self.delete: list[str] = []
        self.holdings_only: dict[str, list[str]] = {}
        self.add: dict[str, list[str]] = {}
        self.remove: dict[str, list[str]] = {}
        self.partners: list[Record] = []


async def _relink(batch: _Batch, records: RecordStore) -> _Linked:
    """Recompute duplicate links of the batch's stored records and the holdings they move."""
    result = _Linked()
    touched = {rid: batch.state[rid] for rid in batch.changes}
    if not touched:
        return result
    member = next(iter(touched.values())).record.member
    keys = sorted(
        {k for s in touched.values() if s.record.status is RecordStatus.ACTIVE for k in s.keys}
    )
    candidates = await records.find_by_keys(keys, exclude_member=member) if keys else {}
    # A record created by this batch has no link yet: links join stored records only.
    stored = [rid for rid in touched if rid in batch.current]
    links = await records.links_touching(stored) if stored else []
    missing = [
        link.other(rid)
        for link in links
        for rid in (link.a, link.b)
        if rid in touched and link.other(rid) not in candidates and link.other(rid) not in touched
    ]
    if missing:
        candidates.update(await records.get_many(sorted(set(missing))))
    plan = relink(touched, candidates, links)
    result.save, result.delete = plan.save, plan.delete
    for rid, holdings in plan.holdings.items():
        if rid in touched:
            _set_batch_holdings(batch, rid, holdings, result)
        elif holdings != candidates[rid].record.also_held_by:
            before = set(candidates[rid].record.also_held_by)
            if added := sorted(set(holdings) - before):
                result.add[rid] = added
            if removed := sorted(before - set(holdings)):
                result.remove[rid] = removed
            record = candidates[rid].record.model_copy(update={"also_held_by": holdings})
            result.partners.append(record)
    return result


def _set_batch_holdings(batch: _Batch, rid: str, holdings: list[str], result: _Linked) -> None:
    state = batch.state[rid]
    if state.record.also_held_by == holdings:
        return
    record = state.record.model_copy(update={"also_held_by": holdings})
    new_state = state.model_copy(update={"record": record})
    batch.state[rid] = new_state
    if rid in batch.writes:  # folded into the record's own write
        batch.writes[rid] = new_state
    else:
        result.holdings_only[rid] = holdings


def _reject_all(event: RecordsSubmitted, member: Member | None) -> list[ItemOutcome]:
    state_vi, state = (
        ("chưa đăng ký", "unknown") if member is None else ("bị tạm ngừng", "suspended")
    )
    msg = (
        f"thành viên {event.member!r} {state_vi}: không nhận bản ghi / "
        f"member {event.member!r} is {state}: records are not accepted"
    )
    return [
        ItemOutcome(
            index=item.index,
            local_id=item.local_id,
            outcome=Outcome.REJECTED,
            errors=[FieldError(loc=["member"], msg=msg)],
        )
        for item in event.items
    ]


async def _announce(
    event: RecordsSubmitted,
    outcomes: list[ItemOutcome],
    changes: list[tuple[Record, ChangeKind]],
    publisher: EventPublisher,
) -> SubmissionProcessed:
    """records.changed first, then submission.processed (the order consumers rely on)."""
    await publish_changes(changes, publisher, correlation_id=event.correlation_id)
    processed = SubmissionProcessed(
        submission_id=event.submission_id,
        member=event.member,
        batch_no=event.batch_no,
        outcomes=outcomes,
        correlation_id=event.correlation_id,
    )
    await publisher.publish(processed)
    return processed


async def publish_changes(
    changes: Iterable[tuple[Record, ChangeKind]],
    publisher: EventPublisher,
    *,
    correlation_id: str | None = None,
) -> int:
    """Publish ``records.changed`` in messages of at most 500 changes; returns the count."""
    items = [RecordChange(change=kind, record=record) for record, kind in changes]
    for start in range(0, len(items), MAX_BATCH):
        chunk = items[start : start + MAX_BATCH]
        await publisher.publish(RecordsChanged(changes=chunk, correlation_id=correlation_id))
    return len(items)


# --- records: reading, linking decisions, replay ------------------------------------------


async def get_record(rid: str, *, records: RecordStore) -> tuple[Record, list[Record]]:
    """A record and the records of other members holding the same work."""
    found = await records.get_many([rid])
    if rid not in found:
        raise NotFound(rid)
    record = found[rid].record
    others = await records.get_many(record.also_held_by) if record.also_held_by else {}
    return record, [others[i].record for i in record.also_held_by if i in others]


async def record_history(rid: str, *, records: RecordStore) -> list[HistoryEntry]:
    """Every version of a record, oldest first."""
    found = await records.get_many([rid])
    if rid not in found:
        raise NotFound(rid)
    return found[rid].history


async def decide_link(
    a: str,
    b: str,
    state: LinkState,
    *,
    records: RecordStore,
    publisher: EventPublisher,
    now: datetime | None = None,
) -> tuple[Record, Record]:
    """The centre confirms or rejects that two records describe the same work."""
    found = await records.get_many([a, b])
    for rid in (a, b):
        if rid not in found:
            raise NotFound(rid)
    existing = {link.id: link for link in await records.links_touching([a])}
    link = existing.get(link_id(a, b)) or new_link(a, b, ["centre"])
    link = link.model_copy(update={"state": state, "decided_at": now or utcnow()})
    first, second = found[a].record, found[b].record
    held_a, held_b = holdings_after_decision(first, second, state)
    await records.save_links([link], [])
    await records.set_holdings({a: held_a, b: held_b})
    updated = (
        first.model_copy(update={"also_held_by": held_a}),
        second.model_copy(update={"also_held_by": held_b}),
    )
    await publish_changes([(r, ChangeKind.LINKED) for r in updated], publisher)
    log.info("link_decided", a=a, b=b, state=state.value)
    return updated


@dataclass(frozen=True)
class DuplicatePair:
    """Two records of different members that may describe the same work, and why."""

    link: Link
    a: Record
    b: Record

    @property
    def since(self) -> datetime | None:
        """When the pair was found (older links: when its later record was created)."""
        return self.link.found_at or max(self.a.created_at, self.b.created_at)


async def list_duplicates(
    *, state: LinkState | None, member: str | None, limit: int, offset: int, records: RecordStore
) -> tuple[list[DuplicatePair], int]:
    """Duplicate links (``auto``: candidates the centre has not decided), newest first."""
    links, total = await records.links_page(
        state=state.value if state else None, member=member, limit=limit, offset=offset
    )
    found = await records.get_many([rid for link in links for rid in (link.a, link.b)])
    pairs = [
        DuplicatePair(link, found[link.a].record, found[link.b].record)
        for link in links
        if link.a in found and link.b in found
    ]
    return pairs, total


async def replay(
    *, records: RecordStore, members: MemberStore, publisher: EventPublisher
) -> dict[str, int]:
    """Republish every record (``replayed``) and every member, in batches of 500."""
    count = batches = 0
    after: str | None = None
    while True:
        page = await records.page(after=after, limit=MAX_BATCH)
        if not page.records:
            break
        await publish_changes([(r, ChangeKind.REPLAYED) for r in page.records], publisher)
        count += len(page.records)
        batches += 1
        log.info("replay_progress", records=count, batches=batches)
        if page.next is None:
            break
        after = page.next
    registry = await members.all()
    for member in registry:
        await publisher.publish(MemberChanged(change="updated", member=member))
    log.info("replay_done", records=count, members=len(registry))
    return {"records": count, "batches": batches, "members": len(registry)}


# --- members -------------------------------------------------------------------------------


async def save_member(
    incoming: Member,
    *,
    members: MemberStore,
    publisher: EventPublisher,
    now: datetime | None = None,
) -> tuple[Member, str | None]:
    """Create or update a member; announces ``member.changed`` when something changed.

    The announcement is stored with the member (its outbox): if the broker does not
    confirm it now, ``relay_member_changes`` publishes it later.
    """
    current = await members.get(incoming.code)
    stamp = now or utcnow()
    change: MemberChange
    if current is None:
        member = incoming.model_copy(update={"version": 1, "updated_at": stamp})
        change = "created" if member.status is MemberStatus.ACTIVE else "suspended"
    else:
        compare = {"version", "updated_at"}
        if incoming.model_dump(exclude=compare) == current.model_dump(exclude=compare):
            return current, None
        member = incoming.model_copy(update={"version": current.version + 1, "updated_at": stamp})
        change = "suspended" if member.status is MemberStatus.SUSPENDED else "updated"
    await members.save(member, announce=change)
    log.info("member_saved", member=member.code, change=change, version=member.version)
    try:
        await _announce_member(member, change, members=members, publisher=publisher)
    except BrokerUnavailable as exc:
        log.warning("member_change_left_to_relay", member=member.code, error=str(exc))
    return member, change


async def _announce_member(
    member: Member, change: MemberChange, *, members: MemberStore, publisher: EventPublisher
) -> None:
    await publisher.publish(MemberChanged(change=change, member=member))
    await members.announced(member.code, member.version)


async def relay_member_changes(*, members: MemberStore, publisher: EventPublisher) -> int:
    """Publish the ``member.changed`` a failed publish left in the outbox; the count sent.

    Raises :class:`BrokerUnavailable` while the broker is away (the relay tries again).
    """
    sent = 0
    for member, change in await members.unannounced():
        await _announce_member(member, change, members=members, publisher=publisher)
        sent += 1
    if sent:
        log.info("member_changes_relayed", members=sent)
    return sent


async def member_active(code: str, *, members: MemberStore) -> bool | None:
    """Whether the member's staff may work (None: no such member here)."""
    member = await members.get(code)
    return None if member is None else member.status is MemberStatus.ACTIVE


async def suspend_member(
    code: str, *, members: MemberStore, publisher: EventPublisher, now: datetime | None = None
) -> Member:
    """Suspend a member (its later submissions are rejected); announces ``suspended``."""
    current = await members.get(code)
    if current is None:
        raise NotFound(code)
    if current.status is MemberStatus.SUSPENDED:
        return current
    suspended = current.model_copy(update={"status": MemberStatus.SUSPENDED})
    member, _ = await save_member(suspended, members=members, publisher=publisher, now=now)
    return member


# --- quality ---------------------------------------------------------------------------


async def member_quality(
    code: str,
    *,
    records: RecordStore,
    members: MemberStore,
    links: LinkStore,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """A member's score, problem counts per code and one page of its problems; a broken
    record ``url`` and an undecided duplicate pair count against their record, a broken
    ``website`` is listed first."""
    if await members.get(code) is None:
        raise NotFound(code)
    found = await found_problems(code, records=records, links=links)
    by_record = found.by_record
    website = [{"record_id": None, **p.model_dump()} for p in found.of_member]
    rows = with_found(await records.quality_rows(code), by_record)
    quality = MemberQuality(code)
    for _, codes in rows:
        quality.add(codes)
    found.count_member_problems(quality)
    total, wanted = page_of(rows, max(offset - len(website), 0), limit)
    stored = await records.get_many([rid for rid, _ in wanted])
    problems = {
        rid: [*state.record.problems, *by_record.get(rid, [])] for rid, state in stored.items()
    }
    listed = [*website[offset : offset + limit], *problem_items(wanted, problems)][:limit]
    return {
        **quality.as_json(),
        "problems": listed,
        "total_problems": total + len(website),
        "offset": offset,
        "limit": limit,
    }


@dataclass
class FoundProblems:
    """A member's problems found outside its records' own content: per record (a broken
    ``url``, an undecided duplicate pair) and of the member itself (a broken ``website``)."""

    by_record: dict[str, list[Problem]] = field(default_factory=dict)
    of_member: list[Problem] = field(default_factory=list)

    def count_member_problems(self, quality: MemberQuality) -> None:
        """The member's own problems count in its counts (not in its records' score)."""
        for problem in self.of_member:
            quality.counts[problem.code] = quality.counts.get(problem.code, 0) + 1


async def found_problems(code: str, *, records: RecordStore, links: LinkStore) -> FoundProblems:
    """What the link checker and the duplicate finder hold against a member: the one place
    the inbox and the network overview read it from."""
    found = FoundProblems()
    for broken in await links.broken_links(code):
        if broken.record_id:
            found.by_record.setdefault(broken.record_id, []).append(_broken_problem(broken))
        else:
            found.of_member.append(_broken_problem(broken))
    for rid, pairs in candidates_by_record(code, await _undecided(code, records)).items():
        found.by_record.setdefault(rid, []).append(duplicate_problem(rid, pairs))
    return found


async def _undecided(code: str, records: RecordStore) -> list[Link]:
    """Every duplicate pair of the member's records the centre has not decided yet."""
    found: list[Link] = []
    while True:
        page, total = await records.links_page(
            state=LinkState.AUTO.value, member=code, limit=LINKS_PAGE, offset=len(found)
        )
        found += page
        if not page or len(found) >= total:
            return found


def _broken_problem(link: BrokenLink) -> Problem:
    return Problem(code=ProblemCode.BROKEN_LINK, loc=[link.field], msg=link.message)


async def network_quality(
    *, records: RecordStore, members: MemberStore, links: LinkStore
) -> dict[str, Any]:
    """Every member's score and counts, worst first, and the network's own score: the same
    numbers as each member's inbox."""
    names = {m.code: m.name for m in await members.all()}
    everyone = {code: MemberQuality(code) for code in names}
    network = MemberQuality("*")
    by_record: dict[str, list[Problem]] = {}
    for code in names:
        found = await found_problems(code, records=records, links=links)
        by_record.update(found.by_record)
        found.count_member_problems(everyone[code])
        found.count_member_problems(network)
    for rid, codes in with_found(await records.quality_rows(), by_record):
        member = member_of(rid)
        everyone.setdefault(member, MemberQuality(member)).add(codes)
        network.add(codes)
    ranked = [{**q.as_json(), "name": names.get(q.member)} for q in worst_first(everyone.values())]
    summary = network.as_json()
    summary.pop("member")
    return {"network": summary, "members": ranked}
