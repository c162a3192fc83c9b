"""Ingest's use cases: keys, receiving submissions (store, then publish), outcomes, the relay."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.ingest.domain import (
    KEY_USE_RESOLUTION,
    RESPONSE_REJECTED_LIMIT,
    Batcher,
    KeyRole,
    MemberInfo,
    Refusal,
    Rejection,
    StoredKey,
    Submission,
    SubmissionState,
    completion_of,
    hash_secret,
    new_key,
    secret_matches,
    split_token,
)
from services.ingest.formats import ImportNotes, ParsedRow
from services.ingest.ports import (
    EventPublisher,
    IdempotencyConflict,
    KeyStore,
    MemberDirectory,
    StoreUnavailable,
    SubmissionStore,
)
from shared.auth import Authenticator, Caller, Via
from shared.errors import OUTAGE_RETRY_SECONDS, BrokerUnavailable
from shared.events import (
    FieldError,
    KeyChanged,
    MemberChanged,
    RecordsSubmitted,
    SubmissionProcessed,
    SubmittedItem,
)
from shared.records import Source, utcnow

log = structlog.get_logger("ingest")

RELAY_GRACE = timedelta(seconds=60)
RELAY_BACKOFF = timedelta(seconds=5)
RETRY_AFTER_SECONDS = OUTAGE_RETRY_SECONDS
KEY_IN_USE_RETRY_SECONDS = 5
REJECTION_FLUSH = 500
KEEP_IN_MEMORY = 5000


# ---------------------------------------------------------------- keys


def _no_member(code: str) -> Refusal:
    return Refusal(
        404,
        f"Chưa có thành viên '{code}': Trung tâm phải đăng ký thành viên trước "
        "(POST /v1/members ở dịch vụ catalogue) rồi mới cấp khoá.",
        f"No member '{code}': the centre must register the member first "
        "(POST /v1/members on the catalogue service) before issuing a key.",
    )


async def issue_key(
    code: str | None,
    *,
    members: MemberDirectory,
    keys: KeyStore,
    pepper: bytes,
    label: str = "",
    role: KeyRole = "member",
) -> tuple[StoredKey, str]:
    """Issue a key to a person: a registered, active member's staff (``code``) or the
    centre's (``code`` None); return it with the token (shown once)."""
    if role == "member":
        member = await members.get(code) if code else None
        if member is None:
            raise _no_member(code or "")
        if not member.active:
            raise Refusal(
                409,
                f"Thành viên '{code}' đang bị tạm dừng: không cấp khoá mới.",
                f"Member '{code}' is suspended: no new key can be issued.",
            )
    fresh = new_key()
    stored = StoredKey(
        key_id=fresh.key_id,
        member=code if role == "member" else None,
        secret_hash=hash_secret(fresh.secret, pepper),
        created_at=utcnow(),
        label=label,
        role=role,
    )
    await keys.add(stored)
    log.info("key_issued", member=stored.member, key_id=stored.key_id, role=role)
    return stored, fresh.token


async def list_keys(code: str | None, *, keys: KeyStore) -> list[StoredKey]:
    """The member's keys (every key for None) by id and creation date, never the secrets."""
    return await keys.list(code)


async def revoke_key(
    code: str | None, key_id: str, *, keys: KeyStore, publisher: EventPublisher
) -> StoredKey:
    """Revoke a live key (one of member ``code``'s, unless None): it stops working here at
    once; ``key.changed`` tells the other services (now, or through the relay)."""
    revoked = await keys.revoke(code, key_id, utcnow())
    if revoked is None:
        raise Refusal(
            404,
            f"Thành viên '{code}' không có khoá '{key_id}' còn hiệu lực."
            if code
            else f"Không có khoá '{key_id}' còn hiệu lực.",
            f"Member '{code}' has no live key '{key_id}'." if code else f"No live key '{key_id}'.",
        )
    log.info("key_revoked", member=revoked.member, key_id=key_id)
    with contextlib.suppress(BrokerUnavailable):  # stored as unannounced: the relay retries
        await announce_key(revoked, keys=keys, publisher=publisher)
    return revoked


def key_changed(key: StoredKey) -> KeyChanged:
    return KeyChanged(
        change="revoked",
        key_id=key.key_id,
        role=key.role,
        member=key.member,
        label=key.label,
        at=key.revoked_at or utcnow(),
    )


async def announce_key(key: StoredKey, *, keys: KeyStore, publisher: EventPublisher) -> None:
    """Publish the key's ``key.changed`` and, once confirmed, take it off the outbox."""
    await publisher.publish(key_changed(key))
    await keys.announced(key.key_id)


async def relay_keys(*, keys: KeyStore, publisher: EventPublisher) -> int:
    """Announce revocations whose publish failed; count them."""
    sent = 0
    for key in await keys.unannounced(limit=100):
        try:
            await announce_key(key, keys=keys, publisher=publisher)
        except BrokerUnavailable:
            break
        sent += 1
    if sent:
        log.info("key_changes_relayed", keys=sent)
    return sent


def _bad_key() -> Refusal:
    return Refusal(
        401,
        "Khoá truy cập không hợp lệ hoặc đã bị thu hồi (Authorization: Bearer <khoá>).",
        "The key is invalid or revoked (Authorization: Bearer <key>).",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _suspended(code: str) -> Refusal:
    return Refusal(
        403,
        f"Thành viên '{code}' đang bị tạm dừng: khoá không còn dùng được. Hãy liên hệ Trung tâm.",
        f"Member '{code}' is suspended: its keys do not work. Contact the centre.",
    )


async def authenticate(
    token: str | None, *, keys: KeyStore, members: MemberDirectory, pepper: bytes
) -> tuple[StoredKey, MemberInfo | None]:
    """The live key behind a presented access key and its member (None for the centre's);
    401 if unknown or revoked, 403 if its member is suspended. Notes when it was used."""
    parts = split_token(token) if token else None
    if parts is None:
        raise _bad_key()
    key = await keys.get(parts[0])
    if key is None or key.revoked_at is not None:
        raise _bad_key()
    if not secret_matches(parts[1], key.secret_hash, pepper):
        raise _bad_key()
    member = await members.get(key.member) if key.member is not None else None
    if key.role == "member" and (member is None or not member.active):
        raise _suspended(key.member or "")
    now = utcnow()
    if not key.used_since(now - KEY_USE_RESOLUTION):
        await keys.touch(key.key_id, now)
    return key, member


async def acting_member(caller: Caller, requested: str | None, *, members: MemberDirectory) -> str:
    """The member a caller submits for: a member's staff their own (``requested`` must match),
    the centre the ``requested`` one; 403 when that member is suspended."""
    if caller.member is not None and requested not in (None, caller.member):
        raise Refusal(
            403,
            f"Khoá này không được thao tác cho thành viên '{requested}'.",
            f"This key may not act for member '{requested}'.",
        )
    code = caller.member or requested
    if code is None:
        raise Refusal(
            422,
            "Trung tâm cần ghi rõ thành viên: ?member=<mã thành viên>.",
            "The centre must name the member: ?member=<member code>.",
            details=[{"loc": ["query", "member"], "msg": "required"}],
        )
    if caller.via == "key" and caller.member is not None:
        return code  # ``authenticate`` has just checked this key's member
    member = await members.get(code)
    if member is None:
        raise _no_member(code)
    if not member.active:
        raise _suspended(code)
    return code


def caller_of(key: StoredKey, via: Via = "key") -> Caller:
    """The person a stored key stands for."""
    return Caller(key_id=key.key_id, label=key.label, role=key.role, member=key.member, via=via)


@dataclass(frozen=True)
class OpenedSession:
    caller: Caller
    token: str
    expires_at: datetime
    member_name: str | None


async def open_session(
    presented: str, *, authenticator: Authenticator, members: MemberDirectory
) -> OpenedSession:
    """Exchange an access key (or the root key) for a signed session token."""
    caller = await authenticator.authenticate(presented)
    if caller.via == "session":
        raise _bad_key()  # a session does not beget sessions: it would outlive its expiry
    token, expires_at = authenticator.signer.issue(caller)
    log.info("session_opened", key_id=caller.key_id, role=caller.role, member=caller.member)
    return OpenedSession(caller, token, expires_at, await member_name(caller, members=members))


async def member_name(caller: Caller, *, members: MemberDirectory) -> str | None:
    """The display name of the caller's member (None for the centre)."""
    if caller.member is None:
        return None
    member = await members.get(caller.member)
    return member.name if member else None


async def member_active(code: str, *, members: MemberDirectory) -> bool | None:
    """Whether the member's staff may work (None: ingest has not heard of it)."""
    member = await members.get(code)
    return None if member is None else member.active


async def member_changed(event: MemberChanged, *, members: MemberDirectory) -> None:
    """Keep the list of members (and whether they are suspended) from ``member.changed``."""
    await members.apply(event)


# ---------------------------------------------------------------- receiving


@dataclass
class Receipt:
    """What a 202 says: the submission, how many records went on, which were rejected."""

    submission: Submission
    rejected: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False
    pending_batches: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)
    warnings_count: int = 0

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "submission_id": self.submission.id,
            "state": self.submission.public_state.value,
            "accepted": self.submission.accepted,
            "rejected_count": self.submission.rejected,
            "rejected": self.rejected,
            "status_url": f"/v1/submissions/{self.submission.id}",
        }
        if self.submission.rejected > len(self.rejected):
            body["rejected_truncated"] = True
        body["warnings_count"] = self.warnings_count
        body["warnings"] = self.warnings
        if self.warnings_count > len(self.warnings):
            body["warnings_truncated"] = True
        if self.replayed:
            body["replayed"] = True
        if self.pending_batches:
            body["pending_batches"] = self.pending_batches
        if self.submission.notes:
            body["file"] = self.submission.notes
        return body


def _key_in_use() -> Refusal:
    return Refusal(
        409,
        "Một yêu cầu khác với cùng Idempotency-Key đang được nhận. "
        f"Vui lòng gửi lại sau {KEY_IN_USE_RETRY_SECONDS} giây: sẽ nhận được kết quả của nó.",
        "Another request with the same Idempotency-Key is being received. "
        f"Retry in {KEY_IN_USE_RETRY_SECONDS} seconds to get its answer.",
        headers={"Retry-After": str(KEY_IN_USE_RETRY_SECONDS)},
    )


def _superseded() -> Refusal:
    return Refusal(
        409,
        "Yêu cầu này đã được thay bằng một lần gửi lại với cùng Idempotency-Key: "
        "kết quả là của lần gửi lại đó (gửi lại lần nữa để xem).",
        "This request was superseded by a retry with the same Idempotency-Key: the retry's "
        "answer stands (send it again to see it).",
        # the retry may still be receiving: asking again any sooner could meet _key_in_use
        headers={"Retry-After": str(KEY_IN_USE_RETRY_SECONDS)},
    )


def _too_many(limit: int) -> Refusal:
    return Refusal(
        413,
        f"Quá nhiều bản ghi: tối đa {limit:,} bản ghi mỗi lần gửi. Hãy chia nhỏ.",
        f"Too many records: at most {limit:,} records per request. Split it.",
        details={"max_records": limit},
    )


def _fill(batcher: Batcher, rows: Iterator[ParsedRow], max_records: int) -> tuple[list, bool]:
    """Read rows until a batch is full or the input ends (runs in a worker thread)."""
    for row in rows:
        if batcher.total >= max_records:
            raise _too_many(max_records)
        if isinstance(row.raw, SubmittedItem):
            batch = batcher.add_item(row.raw)
        elif row.error is not None:
            batcher.reject(Rejection(row.index, "", [FieldError(loc=[], msg=row.error)], row.row))
            batch = None
        else:
            batch = batcher.add(row.index, row.raw, row=row.row)
        if batch is not None:
            return batch, False
        if len(batcher.rejected) >= REJECTION_FLUSH:
            return [], False
    return batcher.flush() or [], True


async def _existing(
    member: str, idempotency_key: str | None, submissions: SubmissionStore
) -> Receipt | None:
    if not idempotency_key:
        return None
    found = await submissions.find_by_idempotency_key(member, idempotency_key)
    # Only a sealed submission replays; an unsealed one is taken over by ``create``.
    return await _replay(found, submissions) if found and found.sealed else None


async def _replay(found: Submission, submissions: SubmissionStore) -> Receipt:
    rejected = await submissions.outcomes(
        found.id, outcome="rejected", offset=0, limit=RESPONSE_REJECTED_LIMIT
    )
    warnings, warnings_count = await submissions.receipt_warnings(found.id)
    return Receipt(
        found,
        rejected=[_public_rejection(r) for r in rejected],
        replayed=True,
        warnings=warnings,
        warnings_count=warnings_count,
    )


def _public_rejection(outcome: dict[str, Any]) -> dict[str, Any]:
    keys = ("index", "local_id", "errors", "row")
    return {k: outcome[k] for k in keys if k in outcome}


def _name_columns(rejections: list[Rejection], notes: ImportNotes) -> None:
    """Say which column of the member's file an error is in: "[Năm] Phải là số nguyên …"."""
    for rejection in rejections:
        for error in rejection.errors:
            column = notes.column_of(error.loc)
            if column:
                error.msg = f"[{column}] {error.msg}"


async def _store(
    submission: Submission,
    rows: Iterator[ParsedRow],
    *,
    submissions: SubmissionStore,
    max_records: int,
    notes: ImportNotes | None,
) -> tuple[Batcher, int, list[dict[str, Any]], list[list[SubmittedItem]] | None]:
    batcher = Batcher()
    batch_no = 0
    shown: list[dict[str, Any]] = []
    # A request-sized submission is also kept in memory, so publishing need not read the
    # outbox back; a large import is read back batch by batch (bounded memory).
    kept: list[list[SubmittedItem]] | None = []
    done = False
    while not done:
        batch, done = await asyncio.to_thread(_fill, batcher, rows, max_records)
        if batch:
            await submissions.add_batch(submission.id, batch_no, batch)
            batch_no += 1
            if kept is not None and batcher.accepted <= KEEP_IN_MEMORY:
                kept.append(batch)
            else:
                kept = None
        rejections = batcher.take_rejections()
        if rejections and notes is not None and notes.headers:
            _name_columns(rejections, notes)
        if rejections:
            await submissions.add_rejections(submission.id, rejections)
            room = RESPONSE_REJECTED_LIMIT - len(shown)
            shown.extend(r.as_json() for r in rejections[: max(room, 0)])
    return batcher, batch_no, shown, kept


async def receive(
    rows: Iterator[ParsedRow],
    *,
    member: str,
    source: Source,
    submissions: SubmissionStore,
    publisher: EventPublisher,
    max_records: int,
    notes: ImportNotes | None = None,
    idempotency_key: str | None = None,
    correlation_id: str | None = None,
) -> Receipt:
    """Validate, store (outbox), then publish every batch; answer only after the confirms."""
    if replay := await _existing(member, idempotency_key, submissions):
        return replay
    now = utcnow()
    draft = Submission(
        id=uuid.uuid4().hex,
        member=member,
        source=source.value,
        state=SubmissionState.RECEIVING,
        created_at=now,
        updated_at=now,
        idempotency_key=idempotency_key,
        correlation_id=correlation_id,
    )
    try:
        submission = await submissions.create(draft)
    except IdempotencyConflict:
        raise _key_in_use() from None
    if submission.id != draft.id:  # a retry with the same idempotency key sealed first
        return await _replay(submission, submissions)
    try:
        batcher, batch_count, shown, kept = await _store(
            submission, rows, submissions=submissions, max_records=max_records, notes=notes
        )
    except BaseException:
        await submissions.discard(submission.id)
        raise
    if batcher.total == 0:
        await submissions.discard(submission.id)
        raise Refusal(
            422,
            "Không có bản ghi nào để nhận.",
            "There are no records to accept.",
        )
    warnings = [w.as_json() for w in batcher.warned]
    sealed = await submissions.seal(
        submission.id,
        batch_count=batch_count,
        accepted=batcher.accepted,
        rejected=batcher.rejected_count,
        notes=notes.as_json() if notes else {},
        relay_after=utcnow() + RELAY_GRACE,
        warnings=warnings if idempotency_key else [],
        warnings_count=batcher.warned_count,
    )
    if sealed is None:  # a retry with the same idempotency key took this submission over
        await submissions.discard(submission.id)
        raise _superseded()
    batches = _in_memory(kept) if kept is not None else submissions.outbox(sealed.id)
    pending = await _publish_all(sealed, batches, submissions=submissions, publisher=publisher)
    log.info(
        "submission_received",
        submission_id=sealed.id,
        member=member,
        source=source.value,
        accepted=sealed.accepted,
        rejected=sealed.rejected,
        batches=batch_count,
        pending_batches=pending,
        correlation_id=correlation_id,
    )
    return Receipt(
        sealed,
        rejected=shown,
        pending_batches=pending,
        warnings=warnings,
        warnings_count=batcher.warned_count,
    )


def _event(submission: Submission, batch_no: int, items: list[SubmittedItem]) -> RecordsSubmitted:
    return RecordsSubmitted(
        submission_id=submission.id,
        member=submission.member,
        source=Source(submission.source),
        batch_no=batch_no,
        batch_count=submission.batch_count,
        submitted_at=submission.created_at,
        items=items,
        correlation_id=submission.correlation_id,
    )


def broker_down() -> Refusal:
    return Refusal(
        503,
        "Hệ thống hàng đợi tạm thời không sẵn sàng: chưa nhận dữ liệu nào. "
        f"Vui lòng gửi lại sau {RETRY_AFTER_SECONDS} giây.",
        "The message broker is temporarily unavailable: nothing was accepted. "
        f"Please retry in {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _in_memory(
    kept: list[list[SubmittedItem]],
) -> AsyncIterator[tuple[int, list[SubmittedItem]]]:
    for batch_no, items in enumerate(kept):
        yield batch_no, items


async def _publish_all(
    submission: Submission,
    batches: AsyncIterator[tuple[int, list[SubmittedItem]]],
    *,
    submissions: SubmissionStore,
    publisher: EventPublisher,
) -> int:
    """Publish the outbox in order; the number of batches left for the relay (0 normally).

    Nothing confirmed → the submission is discarded and 503 is raised. Some confirmed →
    the rest stay in the (durable) outbox and the relay completes them: the caller is not
    asked to resend what is already on its way. The store failing once the submission is
    sealed is no refusal either: sealed is durable, and the relay sends whatever the store
    could not be told was confirmed.
    """
    published = 0
    all_marked = True
    try:
        async for batch_no, items in batches:
            try:
                await publisher.publish(_event(submission, batch_no, items))
            except BrokerUnavailable:
                return await _publish_cut(submission, published, submissions=submissions)
            published += 1
            all_marked = await _marked(submission.id, batch_no, submissions) and all_marked
        if all_marked:  # else the relay sends the unmarked batches again and clears them
            await submissions.published_all(submission.id)
    except StoreUnavailable as exc:
        log.warning(
            "submission_publish_left_to_relay",
            submission_id=submission.id,
            published=published,
            batches=submission.batch_count,
            error=str(exc),
        )
        return submission.batch_count - published
    return 0


async def _publish_cut(
    submission: Submission, published: int, *, submissions: SubmissionStore
) -> int:
    """The broker failed part-way: 503 if nothing went, else the rest is the relay's."""
    if published == 0:
        await submissions.discard(submission.id)
        raise broker_down()
    await submissions.defer(submission.id, utcnow() + RELAY_BACKOFF)
    log.warning(
        "submission_partly_published",
        submission_id=submission.id,
        published=published,
        batches=submission.batch_count,
    )
    return submission.batch_count - published


async def _marked(submission_id: str, batch_no: int, submissions: SubmissionStore) -> bool:
    """Drop a confirmed batch from the outbox; False if the store did not answer (the relay
    then publishes it again, which the catalogue takes without change)."""
    try:
        await submissions.mark_published(submission_id, batch_no)
    except StoreUnavailable as exc:
        log.warning(
            "outbox_mark_failed", submission_id=submission_id, batch_no=batch_no, error=str(exc)
        )
        return False
    return True


async def relay_once(*, submissions: SubmissionStore, publisher: EventPublisher) -> int:
    """Publish outbox batches left behind (broker cut part-way, process crash); count sent."""
    sent = 0
    for submission_id in await submissions.due(utcnow(), limit=20):
        submission = await submissions.get(submission_id)
        if submission is None:
            continue
        try:
            async for batch_no, items in submissions.outbox(submission_id):
                await publisher.publish(_event(submission, batch_no, items))
                await submissions.mark_published(submission_id, batch_no)
                sent += 1
            await submissions.published_all(submission_id)
        except BrokerUnavailable:
            await submissions.defer(submission_id, utcnow() + RELAY_BACKOFF)
            break
    if sent:
        log.info("outbox_relayed", batches=sent)
    return sent


# ---------------------------------------------------------------- outcomes


async def submission_processed(
    event: SubmissionProcessed, *, submissions: SubmissionStore, publisher: EventPublisher
) -> None:
    """Store the catalogue's per-record outcomes of one batch (idempotent); once the last
    batch is in, announce ``submission.completed``."""
    stored = await submissions.record_outcomes(
        event.submission_id, event.batch_no, event.outcomes, utcnow()
    )
    log.info(
        "submission_batch_processed",
        submission_id=event.submission_id,
        batch_no=event.batch_no,
        stored=stored,
    )
    await announce_completion(event.submission_id, submissions=submissions, publisher=publisher)


async def announce_completion(
    submission_id: str, *, submissions: SubmissionStore, publisher: EventPublisher
) -> bool:
    """Publish a done submission's ``submission.completed`` unless already confirmed.

    Checked on every delivery of a ``submission.processed``, not only the one that stored
    the last batch: a publish that fails raises, the message is delivered again, and the
    redelivery announces it (consumers key on the submission id, so twice is harmless).
    """
    found = await submissions.get(submission_id)
    if found is None or found.completion_announced:
        return False
    if found.public_state is not SubmissionState.DONE:
        return False
    await publisher.publish(completion_of(found))
    await submissions.completion_announced(submission_id)
    log.info("submission_completed", submission_id=submission_id, member=found.member)
    return True


async def submission_status(
    submission_id: str,
    *,
    member: str | None,
    submissions: SubmissionStore,
    outcome: str | None = None,
    warned: bool = False,
    offset: int = 0,
    limit: int = 1000,
) -> dict[str, Any]:
    """A submission's state, counts and per-record outcomes (a member sees only its own).

    ``warnings`` lists, beside the outcomes, the page's records stored with soft problems.
    """
    found = await submissions.get(submission_id)
    if found is None or not found.sealed or (member is not None and found.member != member):
        raise Refusal(
            404,
            f"Không tìm thấy lần gửi '{submission_id}'.",
            f"No submission '{submission_id}'.",
        )
    items = await submissions.outcomes(
        submission_id, outcome=outcome, warned=warned, offset=offset, limit=limit
    )
    warnings = [_public_warning(item) for item in items if item.get("warnings")]
    return {
        **found.summary(),
        "outcomes": items,
        "warnings": warnings,
        "offset": offset,
        "limit": limit,
    }


def _public_warning(outcome: dict[str, Any]) -> dict[str, Any]:
    keys = ("index", "local_id", "warnings", "row")
    return {k: outcome[k] for k in keys if k in outcome}


async def list_submissions(
    member: str | None, *, submissions: SubmissionStore, offset: int, limit: int
) -> dict[str, Any]:
    """Accepted submissions, newest first (one member's, or everyone's for None)."""
    page, total = await submissions.page(member, offset=offset, limit=limit)
    return {"submissions": [s.summary() for s in page], "total": total}
