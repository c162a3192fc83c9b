"""shared.auth: session tokens, rotation by kid, the revocation list's re-read and window, and
a suspended member's sessions."""

from __future__ import annotations

from datetime import timedelta

import httpx2
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from devstack.processes import free_port
from shared.auth import (
    CLOCK_MARGIN,
    ROOT_CALLER,
    AnyCaller,
    Authenticator,
    AuthError,
    Caller,
    FailedGuesses,
    MongoRevokedKeys,
    SessionSigner,
    install_authenticator,
    session_signer,
)
from shared.config import Settings
from shared.http import ApiError, install_error_handlers
from shared.mongo import service_database
from shared.records import utcnow

MEMBER = Caller(
    key_id="0123456789abcdef", label="Nguyễn Văn A", role="member", member="vmu", via="key"
)


def code_of(signer: SessionSigner, token: str) -> str:
    with pytest.raises(AuthError) as raised:
        signer.verify(token)
    return raised.value.code


def test_a_session_carries_its_caller_and_expires_after_its_ttl() -> None:
    signer = SessionSigner(b"s" * 64, timedelta(hours=8))
    now = utcnow()
    token, expires_at = signer.issue(MEMBER, now=now)
    caller = signer.verify(token)
    assert (caller.key_id, caller.label, caller.role, caller.member, caller.via) == (
        MEMBER.key_id,
        "Nguyễn Văn A",
        "member",
        "vmu",
        "session",
    )
    assert caller.expires_at == expires_at == now.replace(microsecond=0) + timedelta(hours=8)
    old, _ = signer.issue(MEMBER, now=now - timedelta(hours=8, seconds=1))
    assert code_of(signer, old) == "session_expired"


def test_a_rotated_secret_still_verifies_its_sessions_by_kid() -> None:
    before = SessionSigner(b"old" * 22)
    token, _ = before.issue(MEMBER)
    after = SessionSigner(b"new" * 22, previous=[b"old" * 22])
    assert after.verify(token).key_id == MEMBER.key_id
    assert code_of(SessionSigner(b"new" * 22), token) == "session_invalid"


def test_garbage_is_an_invalid_session() -> None:
    signer = SessionSigner(b"s" * 64)
    for token in ("", "a.b.c", "not-a-token"):
        assert code_of(signer, token) == "session_invalid"


def test_may_act_for() -> None:
    assert MEMBER.may_act_for("vmu") and not MEMBER.may_act_for("hpu")
    assert ROOT_CALLER.may_act_for("hpu")


def test_the_session_secret_is_generated_once_into_the_data_dir(settings: Settings) -> None:
    token, _ = session_signer(settings).issue(MEMBER)
    assert session_signer(settings).verify(token).member == "vmu"
    assert (settings.stinet_data_dir / "session-secret").stat().st_mode & 0o777 == 0o600


async def test_a_revocation_ends_a_session_at_the_next_re_read(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    clock = [utcnow()]
    revoked = MongoRevokedKeys(service_database(mongo, settings), "catalogue")
    signer = SessionSigner(b"s" * 64)
    authenticator = Authenticator(
        root_key="root-key", signer=signer, revoked=revoked, clock=lambda: clock[0]
    )
    token, _ = signer.issue(MEMBER)
    assert (await authenticator.authenticate(token)).member == "vmu"

    await revoked.add(MEMBER.key_id, utcnow())
    await revoked.add(MEMBER.key_id, utcnow())  # twice changes nothing
    assert (await authenticator.authenticate(token)).member == "vmu"  # not re-read yet
    clock[0] += timedelta(seconds=30)
    with pytest.raises(AuthError) as raised:
        await authenticator.authenticate(token)
    assert raised.value.code == "session_revoked"


async def test_the_revocation_list_forgets_keys_no_session_can_outlive(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    db = service_database(mongo, settings)
    revoked = MongoRevokedKeys(db, "notify")
    signer = SessionSigner(b"s" * 64, timedelta(hours=8))
    now = utcnow()
    long_ago = now - signer.ttl - CLOCK_MARGIN - timedelta(minutes=1)
    await revoked.add("revoked-long-ago", long_ago)
    await revoked.add("revoked-this-morning", now - timedelta(hours=5))
    authenticator = Authenticator(root_key=None, signer=signer, revoked=revoked)

    assert await authenticator.revoked_ids() == {"revoked-this-morning"}
    assert await db["notify_revoked_keys"].find_one({"_id": "revoked-long-ago"}) is None
    assert await db["notify_revoked_keys"].find_one({"_id": "revoked-this-morning"})
    # a session of the key revoked this morning is still refused; none of the other exists
    recent = Caller(key_id="revoked-this-morning", label="B", role="centre", member=None, via="key")
    with pytest.raises(AuthError) as raised:
        await authenticator.authenticate(signer.issue(recent, now=now - timedelta(hours=6))[0])
    assert raised.value.code == "session_revoked"


async def test_a_suspended_members_sessions_are_refused_until_it_is_active_again(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    status: dict[str, bool] = {"vmu": True}
    asked: list[str] = []

    async def member_active(code: str) -> bool | None:
        asked.append(code)
        return status.get(code)

    signer = SessionSigner(b"s" * 64)
    authenticator = Authenticator(
        root_key=None,
        signer=signer,
        revoked=MongoRevokedKeys(service_database(mongo, settings), "catalogue"),
        member_active=member_active,
    )
    member, _ = signer.issue(MEMBER)
    centre, _ = signer.issue(Caller("c" * 16, "Trung tâm", "centre", None, "key"))
    stranger, _ = signer.issue(Caller("d" * 16, "Người mới", "member", "hpu", "key"))

    assert (await authenticator.authenticate(member)).member == "vmu"
    status["vmu"] = False
    with pytest.raises(AuthError) as raised:
        await authenticator.authenticate(member)
    assert (raised.value.code, raised.value.status) == ("member_suspended", 403)
    assert (await authenticator.authenticate(centre)).is_centre  # the centre is no member
    # a member this service has not heard of yet: ingest, which opened the session, knew it
    assert (await authenticator.authenticate(stranger)).member == "hpu"
    assert asked == ["vmu", "vmu", "hpu"]

    status["vmu"] = True
    assert (await authenticator.authenticate(member)).member == "vmu"


async def test_only_the_root_key_and_sessions_pass_outside_ingest(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    revoked = MongoRevokedKeys(service_database(mongo, settings), "notify")
    authenticator = Authenticator(
        root_key="root-key", signer=SessionSigner(b"s" * 64), revoked=revoked
    )
    assert await authenticator.authenticate("root-key") == ROOT_CALLER
    for token in (None, "", "stk_0123456789abcdef_secret", "root-key-"):
        with pytest.raises(AuthError) as raised:
            await authenticator.authenticate(token)
        assert raised.value.code in {"unauthenticated", "session_invalid"}


async def test_sessions_wait_with_a_503_while_the_revocations_were_never_read() -> None:
    unreachable = AsyncMongoClient(
        f"mongodb://127.0.0.1:{free_port()}/", serverSelectionTimeoutMS=300
    )
    signer = SessionSigner(b"s" * 64)
    authenticator = Authenticator(
        root_key=None, signer=signer, revoked=MongoRevokedKeys(unreachable["x"], "notify")
    )
    try:
        with pytest.raises(ApiError) as raised:
            await authenticator.authenticate(signer.issue(MEMBER)[0])
    finally:
        await unreachable.close()
    assert (raised.value.status, raised.value.code) == (503, "unavailable")
    assert raised.value.headers["Retry-After"]


async def test_wrong_credentials_from_one_address_wait_after_the_limit(
    settings: Settings, mongo: AsyncMongoClient
) -> None:
    signer = SessionSigner(b"s" * 64)
    revoked = MongoRevokedKeys(service_database(mongo, settings), "search")
    app = FastAPI()
    install_error_handlers(app)
    install_authenticator(
        app, Authenticator(root_key="root-key", signer=signer, revoked=revoked), FailedGuesses(3)
    )

    @app.get("/mine")
    async def mine(caller: AnyCaller) -> dict[str, str]:
        return {"key_id": caller.key_id}

    def client(address: str) -> httpx2.AsyncClient:
        transport = httpx2.ASGITransport(app=app, client=(address, 40000))
        return httpx2.AsyncClient(transport=transport, base_url="http://test")

    expired, _ = signer.issue(MEMBER, now=utcnow() - timedelta(days=30))
    async with client("10.0.0.7") as guesser, client("10.0.0.8") as neighbour:
        for _ in range(5):  # an expired session is not a guess: the console resends one
            refused = await guesser.get("/mine", headers={"Authorization": f"Bearer {expired}"})
            assert refused.status_code == 401
        for token in ("wrong-1", "wrong-2", "forged.session.token"):
            refused = await guesser.get("/mine", headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 401
        waiting = await guesser.get("/mine", headers={"Authorization": "Bearer root-key"})
        assert waiting.status_code == 429, waiting.text  # even the right key waits
        assert int(waiting.headers["Retry-After"]) >= 1
        assert waiting.json()["error"]["code"] == "rate_limited"
        fine = await neighbour.get("/mine", headers={"Authorization": "Bearer root-key"})
        assert fine.status_code == 200 and fine.json()["key_id"] == ROOT_CALLER.key_id
