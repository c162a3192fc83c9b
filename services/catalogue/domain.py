"""The catalogue's rules: versions, ordering, outcomes and duplicate links. No I/O.

A record is stored with three internal facts besides the ``Record`` itself:

* ``order`` — the position of the message that last touched it (submitted time, batch, index);
  an item whose order is lower is stale and never overwrites; an equal order is a redelivery;
* ``outcome`` — what that message's item produced, so a redelivery answers the same;
* ``keys`` — the duplicate-detection keys (DOI, ISBN, ISSN, URL, folded title+creator+year);
* ``history`` — every version: when, from which source and submission, which fields changed
  (kept with the record: one write per change, read with the record).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

import orjson
from pydantic import BaseModel, Field

from shared.events import (
    ChangeKind,
    FieldError,
    ItemOutcome,
    Member,
    Operation,
    Outcome,
    SubmittedItem,
)
from shared.records import Problem, Record, RecordIn, RecordStatus, Source, record_id
from shared.text import fold
from shared.validation import assess

CONTENT_FIELDS = tuple(RecordIn.model_fields)

_CHANGE_OF_OUTCOME = {
    Outcome.CREATED: ChangeKind.CREATED,
    Outcome.UPDATED: ChangeKind.UPDATED,
    Outcome.WITHDRAWN: ChangeKind.WITHDRAWN,
    Outcome.RESTORED: ChangeKind.RESTORED,
}


class HistoryEntry(BaseModel):
    """One version of a record: when, from where, what changed."""

    record_id: str
    member: str
    version: int
    at: datetime
    change: ChangeKind
    source: Source
    submission_id: str | None = None
    fields: list[str] = Field(default_factory=list)

    @property
    def period(self) -> str:
        """The half-year of the change (``2026-H2``), the unit of the six-month duty."""
        return half_year(self.at)


def half_year(at: datetime) -> str:
    return f"{at.year}-H{1 if at.month <= 6 else 2}"


class StoredRecord(BaseModel):
    """A record with the catalogue's bookkeeping (see the module docstring)."""

    record: Record
    order: str
    outcome: Outcome
    keys: list[str] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list)


def order_key(submitted_at: datetime, batch_no: int, index: int) -> str:
    """A string that sorts like (submitted time, batch, index) for comparing deliveries."""
    return f"{_stamp(submitted_at)}|{batch_no:06d}|{index:06d}"


@lru_cache(maxsize=256)
def _stamp(submitted_at: datetime) -> str:
    # Every item of a batch has its submission's time: formatted once, not per item (5 % of
    # the catalogue's time on a 1,000-record batch).
    return submitted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_of(record: RecordIn) -> dict[str, Any]:
    content = record.model_dump(mode="json", include=set(CONTENT_FIELDS))
    # Absent, not null: records stored before the field existed keep their content hash.
    if content.get("invalid_identifiers") is None:
        content.pop("invalid_identifiers", None)
    return content


def content_hash(record: RecordIn) -> str:
    return digest(content_of(record))


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def changed_fields(old: RecordIn | None, new: RecordIn | dict[str, Any]) -> list[str]:
    """Names of the content fields whose value differs (every set field for a new record)."""
    after = new if isinstance(new, dict) else content_of(new)
    if old is None:
        return sorted(k for k, v in after.items() if v not in (None, [], {}))
    before = content_of(old)
    return sorted(k for k in after if after[k] != before.get(k))


def dedup_keys(record: RecordIn) -> list[str]:
    """Keys shared by descriptions of the same work: identifiers, URL, title+creator+year."""
    keys: set[str] = set()
    for name in ("doi", "isbn", "issn"):
        if value := record.identifiers.get(name):
            keys.add(f"{name}:{value}")
    for value in (record.url, record.identifiers.get("url")):
        if value:
            keys.add(f"url:{url_key(value)}")
    if record.year is not None:
        creator = fold(record.creators[0]) if record.creators else ""
        keys.add(f"work:{fold(record.title)}|{creator}|{record.year}")
    return sorted(keys)


def url_key(value: str) -> str:
    """A URL without scheme, ``www.``, query-less trailing slash, case-folded host."""
    rest = value.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    host = host.lower().removeprefix("www.")
    return f"{host}/{path}".rstrip("/")


def change_of(outcome: Outcome) -> ChangeKind | None:
    return _CHANGE_OF_OUTCOME.get(outcome)


@dataclass
class Context:
    """What every item of one batch shares."""

    member: str
    source: Source
    submission_id: str
    submitted_at: datetime
    batch_no: int
    now: datetime


@dataclass
class Decision:
    """The result of applying one item to the current state of its record."""

    outcome: ItemOutcome
    state: StoredRecord | None = None  # the new state to store, if anything is to be written
    republish: ChangeKind | None = None  # a change to (re)announce


def reject(item: SubmittedItem, errors: list[FieldError]) -> Decision:
    return Decision(
        ItemOutcome(
            index=item.index, local_id=item.local_id, outcome=Outcome.REJECTED, errors=errors
        )
    )


def decide(item: SubmittedItem, current: StoredRecord | None, ctx: Context) -> Decision:
    """Apply one submitted item to the record's current state (pure)."""
    order = order_key(ctx.submitted_at, ctx.batch_no, item.index)
    if current is not None and order <= current.order:
        return _already_seen(item, current, order)
    if item.op is Operation.UPSERT:
        return _upsert(item, current, ctx, order)
    if current is None:
        msg = "không có bản ghi này / record not found: nothing to withdraw or restore"
        return reject(item, [FieldError(loc=["local_id"], msg=msg)])
    wanted = RecordStatus.WITHDRAWN if item.op is Operation.WITHDRAW else RecordStatus.ACTIVE
    if current.record.status is wanted:
        return _unchanged(item, current, order)
    outcome = Outcome.WITHDRAWN if wanted is RecordStatus.WITHDRAWN else Outcome.RESTORED
    record = current.record.model_copy(
        update={
            "status": wanted,
            "version": current.record.version + 1,
            "updated_at": ctx.now,
            "source": ctx.source,
        }
    )
    return _changed(item, current, record, outcome, ctx, order, fields=["status"])


def _already_seen(item: SubmittedItem, current: StoredRecord, order: str) -> Decision:
    # Equal order: this very item was applied before (a redelivery) — answer the same and
    # announce the change again. Lower order: an older message; it never overwrites.
    outcome = current.outcome if order == current.order else Outcome.UNCHANGED
    result = ItemOutcome(
        index=item.index,
        local_id=item.local_id,
        outcome=outcome,
        version=current.record.version,
        warnings=current.record.problems if item.op is Operation.UPSERT else [],
    )
    republish = change_of(outcome) if order == current.order else None
    return Decision(result, republish=republish)


def _unchanged(
    item: SubmittedItem,
    current: StoredRecord,
    order: str,
    *,
    problems: list[Problem] | None = None,
) -> Decision:
    update: dict[str, Any] = {"order": order, "outcome": Outcome.UNCHANGED}
    if problems is not None:
        # Same content, but the rules may have changed since it was stored (or a record
        # older than the rules has none yet): the problems are the current rules' verdict.
        update["record"] = current.record.model_copy(update={"problems": problems})
    state = current.model_copy(update=update)
    result = ItemOutcome(
        index=item.index,
        local_id=item.local_id,
        outcome=Outcome.UNCHANGED,
        version=current.record.version,
        warnings=current.record.problems if problems is None else problems,
    )
    return Decision(result, state=state)


def _upsert(
    item: SubmittedItem, current: StoredRecord | None, ctx: Context, order: str
) -> Decision:
    if item.record is None:
        return reject(
            item, [FieldError(loc=["record"], msg="thiếu bản ghi / an upsert needs a record")]
        )
    if item.record.local_id != item.local_id:
        return reject(
            item,
            [
                FieldError(
                    loc=["local_id"], msg="khác record.local_id / does not match record.local_id"
                )
            ],
        )
    # Ingest ran this same assessment before its 202: the content is never refused here.
    assessed = assess(item.record, today=ctx.now.date())
    content, problems = assessed.record, assessed.problems
    after = content_of(content)
    content_digest = digest(after)
    if current is None:
        record = Record.model_construct(
            **dict(content),
            id=record_id(ctx.member, item.local_id),
            member=ctx.member,
            version=1,
            created_at=ctx.now,
            updated_at=ctx.now,
            source=ctx.source,
            content_hash=content_digest,
            status=RecordStatus.ACTIVE,
            also_held_by=[],
            problems=problems,
        )
        fields = changed_fields(None, after)
        return _changed(item, None, record, Outcome.CREATED, ctx, order, fields=fields)
    was_withdrawn = current.record.status is RecordStatus.WITHDRAWN
    if content_digest == current.record.content_hash and not was_withdrawn:
        return _unchanged(item, current, order, problems=problems)
    fields = changed_fields(current.record, after)
    record = current.record.model_copy(
        update={
            **dict(content),
            "version": current.record.version + 1,
            "status": RecordStatus.ACTIVE,
            "updated_at": ctx.now,
            "source": ctx.source,
            "content_hash": content_digest,
            "problems": problems,
        }
    )
    outcome = Outcome.RESTORED if was_withdrawn and not fields else Outcome.UPDATED
    if was_withdrawn:
        fields = sorted({*fields, "status"})
    return _changed(item, current, record, outcome, ctx, order, fields=fields)


def _changed(
    item: SubmittedItem,
    current: StoredRecord | None,
    record: Record,
    outcome: Outcome,
    ctx: Context,
    order: str,
    *,
    fields: list[str],
) -> Decision:
    keys = (
        dedup_keys(record)
        if record.status is RecordStatus.ACTIVE
        else (current.keys if current is not None else [])
    )
    change = change_of(outcome)
    assert change is not None
    entry = HistoryEntry(
        record_id=record.id,
        member=record.member,
        version=record.version,
        at=ctx.now,
        change=change,
        source=ctx.source,
        submission_id=ctx.submission_id,
        fields=fields,
    )
    history = [*(current.history if current is not None else []), entry]
    state = StoredRecord(record=record, order=order, outcome=outcome, keys=keys, history=history)
    result = ItemOutcome(
        index=item.index,
        local_id=item.local_id,
        outcome=outcome,
        version=record.version,
        warnings=record.problems if item.op is Operation.UPSERT else [],
    )
    return Decision(result, state=state, republish=change)


# --- duplicate links -------------------------------------------------------------------


class LinkState(StrEnum):
    AUTO = "auto"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Link(BaseModel):
    """Two records (of different members) that describe the same work."""

    a: str
    b: str
    state: LinkState = LinkState.AUTO
    reasons: list[str] = Field(default_factory=list)
    decided_at: datetime | None = None
    found_at: datetime | None = None  # when the store first held the pair (set by the store)

    @property
    def id(self) -> str:
        return link_id(self.a, self.b)

    def other(self, rid: str) -> str:
        return self.b if rid == self.a else self.a


def link_id(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"{first}|{second}"


def new_link(a: str, b: str, reasons: list[str]) -> Link:
    first, second = sorted((a, b))
    return Link(a=first, b=second, reasons=sorted(reasons))


@dataclass
class Relinking:
    """Link changes caused by a batch: links to save or delete, holdings to set."""

    save: list[Link] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    holdings: dict[str, list[str]] = field(default_factory=dict)


def relink(
    batch: dict[str, StoredRecord],
    candidates: dict[str, StoredRecord],
    links: list[Link],
) -> Relinking:
    """Recompute the links of the batch's records and everyone's "also held by".

    ``candidates`` are the other members' records sharing a key with the batch or already
    linked to it; ``links`` are the existing links touching the batch. A rejected pair stays
    rejected; a confirmed one stays; an automatic one goes when the keys no longer match.
    """
    existing = {link.id: link for link in links}
    wanted = _wanted_links(batch, candidates)
    result = Relinking()
    final: dict[str, Link] = {}
    for lid, link in existing.items():
        touched = [rid for rid in (link.a, link.b) if rid in batch]
        active = all(batch[rid].record.status is RecordStatus.ACTIVE for rid in touched)
        if lid in wanted and link.state is not LinkState.REJECTED:
            updated = link.model_copy(update={"reasons": wanted[lid].reasons})
            if updated.reasons != link.reasons:
                result.save.append(updated)
            final[lid] = updated
        elif link.state is LinkState.AUTO and active:
            result.delete.append(lid)
        else:
            final[lid] = link
    for lid, link in wanted.items():
        if lid not in existing:
            result.save.append(link)
            final[lid] = link
    everyone = {**candidates, **batch}
    result.holdings = _holdings(batch, candidates, final, everyone)
    return result


def _wanted_links(
    batch: dict[str, StoredRecord], candidates: dict[str, StoredRecord]
) -> dict[str, Link]:
    by_key: dict[str, list[StoredRecord]] = {}
    for other in candidates.values():
        if other.record.status is RecordStatus.ACTIVE:
            for key in other.keys:
                by_key.setdefault(key, []).append(other)
    wanted: dict[str, Link] = {}
    for rid, state in batch.items():
        if state.record.status is not RecordStatus.ACTIVE:
            continue
        reasons: dict[str, set[str]] = {}
        for key in state.keys:
            for other in by_key.get(key, []):
                if other.record.member != state.record.member:
                    reasons.setdefault(other.record.id, set()).add(key.split(":", 1)[0])
        for other_id, why in reasons.items():
            link = new_link(rid, other_id, sorted(why))
            wanted[link.id] = link
    return wanted


def _holdings(
    batch: dict[str, StoredRecord],
    candidates: dict[str, StoredRecord],
    links: dict[str, Link],
    everyone: dict[str, StoredRecord],
) -> dict[str, list[str]]:
    """``also_held_by`` of every batch record and candidate, given the final links.

    A candidate keeps its holdings outside this batch; only its links to batch records move.
    """
    holdings: dict[str, set[str]] = {rid: set() for rid in batch}
    for rid, other in candidates.items():
        holdings[rid] = {h for h in other.record.also_held_by if h not in batch}
    for link in links.values():
        if link.state is LinkState.REJECTED:
            continue
        for rid in (link.a, link.b):
            partner = everyone.get(link.other(rid))
            if rid in holdings and partner and partner.record.status is RecordStatus.ACTIVE:
                holdings[rid].add(partner.record.id)
    return {rid: sorted(ids) for rid, ids in holdings.items()}


def holdings_after_decision(
    record: Record, partner: Record, state: LinkState
) -> tuple[list[str], list[str]]:
    """``also_held_by`` of both records after the centre confirms or rejects their link."""

    def adjust(of: Record, other: Record) -> list[str]:
        ids = set(of.also_held_by) - {other.id}
        if state is not LinkState.REJECTED and other.status is RecordStatus.ACTIVE:
            ids.add(other.id)
        return sorted(ids)

    return adjust(record, partner), adjust(partner, record)


# --- statistics ----------------------------------------------------------------------------


def shape_stats(
    holdings: list[dict[str, Any]],
    activity: list[dict[str, Any]],
    monthly: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Totals per member, kind and year, and every member's activity per half-year (the
    six-month duty's unit) and per calendar month (UTC)."""
    by_member: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    by_year: dict[str, int] = {}
    for row in holdings:
        year = str(row.get("year")) if row.get("year") is not None else "unknown"
        by_member[row["member"]] = by_member.get(row["member"], 0) + row["count"]
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["count"]
        by_year[year] = by_year.get(year, 0) + row["count"]
    rows = sorted(
        ({**r, "year": r.get("year")} for r in holdings),
        key=lambda r: (r["member"], r["kind"], r["year"] or 0),
    )
    return {
        "total": sum(by_member.values()),
        "records": {
            "by_member": dict(sorted(by_member.items())),
            "by_kind": dict(sorted(by_kind.items())),
            "by_year": dict(sorted(by_year.items())),
            "by_member_kind_year": rows,
        },
        "half_years": _activity(activity, "period"),
        "months": _activity(monthly or [], "month"),
    }


def _activity(rows: list[dict[str, Any]], unit: str) -> list[dict[str, Any]]:
    """Change counts (added, updated, withdrawn, restored) per member and ``unit``."""
    slots: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        slot = slots.setdefault(
            (row["member"], row[unit]),
            {"member": row["member"], unit: row[unit], "added": 0, "updated": 0,
             "withdrawn": 0, "restored": 0},
        )  # fmt: skip
        name = "added" if row["change"] == ChangeKind.CREATED else row["change"]
        if name in slot:
            slot[name] += row["count"]
    return sorted(slots.values(), key=lambda r: (r["member"], r[unit]))


# --- members: who sees which fields ------------------------------------------------------

# An allow-list: a field added to ``Member`` later stays private until it is named here.
PUBLIC_MEMBER_FIELDS = frozenset(
    {
        "code",
        "name",
        "name_en",
        "type",
        "address",
        "website",
        "joined_at",
        "update_cycle_months",
        "status",
        "version",
        "updated_at",
    }
)


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as far as the request proves it: the centre's staff or root key, a
    member's staff (``member``), or anyone (neither)."""

    centre: bool = False
    member: str | None = None


def sees_private_fields(viewer: Viewer, member_code: str) -> bool:
    """Whether ``viewer`` may see ``member_code``'s private fields (contact e-mail, webhook):
    the centre sees every member's, a member's own staff their member's. The one place this
    is decided."""
    return viewer.centre or viewer.member == member_code


def member_view(member: Member, viewer: Viewer) -> dict[str, Any]:
    """A member as ``viewer`` may see it: every field, or only the public ones."""
    data = member.model_dump(mode="json")
    if sees_private_fields(viewer, member.code):
        return data
    return {name: value for name, value in data.items() if name in PUBLIC_MEMBER_FIELDS}
