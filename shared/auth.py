"""Who is calling (docs/operators/README.md §11): the root key, session tokens, and in ingest raw
access keys.

A session is a PyJWT HS256 token signed with ``STINET_SESSION_SECRET``; every service verifies
it locally. A revoked key's sessions end when the service's revocation list (fed by
``key.changed``) is re-read, at most every 30 seconds; the list keeps a revocation one session
ttl (and a margin for clocks), since no session outlives that. A suspended member's staff are
refused (403) at once where the service is told how to look the member up.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, Protocol

import jwt
import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from faststream.rabbit import RabbitBroker
from pydantic import BaseModel, ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from shared.config import Settings, stored_secret
from shared.events import KeyChanged
from shared.http import ApiError, install_cors
from shared.mongo import Document
from shared.ratelimit import Limit, MemoryWindows, MongoWindows, RateLimit, WindowCounter
from shared.records import utcnow
from shared.topology import subscriber

log = structlog.get_logger(__name__)

Role = Literal["centre", "member"]
Via = Literal["root", "session", "key"]
AUDIENCE = "stinet"
ALGORITHM = "HS256"
REFRESH_EVERY = timedelta(seconds=30)
# Revocations are kept one session ttl plus this much: the clocks of the service that revoked
# and of the one that checks may disagree.
CLOCK_MARGIN = timedelta(hours=1)
CENTRE_SCHEME = "CentreBearer"
ROOT_KEY_ID = "root"
ROOT_LABEL = "Khoá quản trị gốc / root key"


@dataclass(frozen=True)
class Caller:
    """The person behind a request: which key, whose staff, and how they proved it."""

    key_id: str
    label: str
    role: Role
    member: str | None
    via: Via
    expires_at: datetime | None = None  # a session's end; None for keys

    @property
    def is_centre(self) -> bool:
        return self.role == "centre"

    def may_act_for(self, code: str) -> bool:
        """The centre acts for any member; a member's staff only for their own."""
        return self.is_centre or self.member == code


ROOT_CALLER = Caller(key_id=ROOT_KEY_ID, label=ROOT_LABEL, role="centre", member=None, via="root")


class AuthError(Exception):
    """Authentication failed: ``code`` is ``unauthenticated``, ``session_expired``,
    ``session_invalid``, ``session_revoked`` (401) or ``member_suspended`` (403)."""

    def __init__(self, code: str, message_vi: str, message_en: str, *, status: int = 401) -> None:
        super().__init__(message_en)
        self.code = code
        self.status = status
        self.message_vi = message_vi
        self.message_en = message_en


def unauthenticated() -> AuthError:
    return AuthError(
        "unauthenticated",
        "Cần khoá truy cập hoặc phiên đăng nhập (Authorization: Bearer <khoá hoặc phiên>).",
        "An access key or a session is required (Authorization: Bearer <key or session>).",
    )


def _expired() -> AuthError:
    return AuthError(
        "session_expired",
        "Phiên đăng nhập đã hết hạn: hãy đăng nhập lại.",
        "The session has expired: sign in again.",
    )


def _invalid() -> AuthError:
    return AuthError(
        "session_invalid",
        "Phiên đăng nhập không hợp lệ: hãy đăng nhập lại.",
        "The session is invalid: sign in again.",
    )


def suspended_member(code: str) -> AuthError:
    return AuthError(
        "member_suspended",
        f"Thành viên '{code}' đang bị tạm dừng: phiên đăng nhập của cán bộ thành viên này "
        "không còn hiệu lực. Hãy liên hệ Trung tâm.",
        f"Member '{code}' is suspended: its staff's sessions no longer work. Contact the centre.",
        status=403,
    )


def _revoked() -> AuthError:
    return AuthError(
        "session_revoked",
        "Khoá của phiên này đã bị thu hồi: phiên đã kết thúc.",
        "This session's key has been revoked: the session has ended.",
    )


# ---------------------------------------------------------------- sessions


class _Claims(BaseModel):
    sub: str
    label: str
    role: Role
    member: str | None
    exp: int


def key_id_of(secret: bytes) -> str:
    """The ``kid`` naming a signing secret: a digest that reveals nothing of it."""
    return hashlib.sha256(b"stinet-session-kid:" + secret).hexdigest()[:16]


class SessionSigner:
    """Issues and verifies session tokens (HS256 only; ``alg: none`` is never accepted).

    ``previous`` secrets (after a rotation) still verify the tokens they signed, by ``kid``.
    """

    def __init__(
        self,
        secret: bytes,
        ttl: timedelta = timedelta(hours=8),
        *,
        previous: Sequence[bytes] = (),
    ) -> None:
        self._kid = key_id_of(secret)
        self._secret = secret
        self._ttl = ttl
        self._by_kid = {key_id_of(s): s for s in (*previous, secret)}

    @property
    def ttl(self) -> timedelta:
        """How long a session lives: no session outlives its key's revocation by more."""
        return self._ttl

    def issue(self, caller: Caller, *, now: datetime | None = None) -> tuple[str, datetime]:
        """A token for ``caller`` and the instant it expires (``now`` + the ttl)."""
        issued = (now or utcnow()).replace(microsecond=0)
        expires = issued + self._ttl
        claims = {
            "sub": caller.key_id,
            "label": caller.label,
            "role": caller.role,
            "member": caller.member,
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "aud": AUDIENCE,
        }
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM, headers={"kid": self._kid})
        return token, expires

    def verify(self, token: str) -> Caller:
        """The session's caller; :class:`AuthError` if expired, tampered or not ours."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as exc:
            raise _invalid() from exc
        secret = self._by_kid.get(kid) if isinstance(kid, str) else None
        if secret is None:
            raise _invalid()
        try:
            raw = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["sub", "role", "iat", "exp", "aud"]},
            )
            claims = _Claims.model_validate(raw)
        except jwt.ExpiredSignatureError as exc:
            raise _expired() from exc
        except (jwt.InvalidTokenError, ValidationError) as exc:
            raise _invalid() from exc
        if (claims.role == "member") != (claims.member is not None):
            raise _invalid()
        return Caller(
            key_id=claims.sub,
            label=claims.label,
            role=claims.role,
            member=claims.member,
            via="session",
            expires_at=datetime.fromtimestamp(claims.exp, UTC),
        )


def session_signer(settings: Settings) -> SessionSigner:
    """The signer of this installation: ``STINET_SESSION_SECRET``, else the data dir's."""
    secret = stored_secret(
        settings.stinet_session_secret, settings.stinet_data_dir, "session-secret"
    )
    previous = settings.stinet_session_previous_secret
    return SessionSigner(
        secret,
        timedelta(hours=settings.stinet_session_hours),
        previous=[previous.get_secret_value().encode()] if previous else [],
    )


# ---------------------------------------------------------------- revocations


class RevokedKeys(Protocol):
    """The ids of revoked keys, as this service learnt them (from ``key.changed``)."""

    async def add(self, key_id: str, at: datetime) -> None:
        """Remember a revocation (adding one twice changes nothing)."""
        ...

    async def since(self, moment: datetime) -> set[str]:
        """The keys revoked at or after ``moment``. A key revoked before it has no session
        left (none outlives its key by more than the session ttl; ingest opens none for a
        revoked key), so a store may forget it: the list does not grow for ever."""
        ...


class MongoRevokedKeys:
    """``{service}_revoked_keys``: one document per revoked key, ``_id`` = key id."""

    def __init__(self, db: AsyncDatabase[Document], service: str) -> None:
        self._revoked = db[f"{service}_revoked_keys"]

    async def add(self, key_id: str, at: datetime) -> None:
        await self._revoked.update_one(
            {"_id": key_id}, {"$setOnInsert": {"revoked_at": at}}, upsert=True
        )

    async def since(self, moment: datetime) -> set[str]:
        await self._revoked.delete_many({"revoked_at": {"$lt": moment}})
        return {doc["_id"] async for doc in self._revoked.find({}, {"_id": 1})}


# Whether a member's staff may still work: None when this service has not heard of the member
# (its ``member.changed`` may still be on the way; ingest, which opened the session, knew it).
MemberActive = Callable[[str], Awaitable[bool | None]]


# ---------------------------------------------------------------- the authenticator

KeyVerifier = Callable[[str], Awaitable[Caller]]


class Authenticator:
    """Turns a bearer token into a :class:`Caller`: the root key, a session, or (where a
    ``keys`` verifier is given: ingest) a raw access key."""

    def __init__(
        self,
        *,
        root_key: str | None,
        signer: SessionSigner,
        revoked: RevokedKeys,
        keys: KeyVerifier | None = None,
        member_active: MemberActive | None = None,
        refresh_every: timedelta = REFRESH_EVERY,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.signer = signer
        self._root = root_key.encode() if root_key else None
        self._store = revoked
        self._keys = keys
        self._member_active = member_active
        self._refresh_every = refresh_every
        self._clock = clock
        self._revoked: set[str] = set()
        self._loaded_at: datetime | None = None

    async def authenticate(self, token: str | None) -> Caller:
        """The caller behind ``token``; :class:`AuthError` when there is none."""
        if not token:
            raise unauthenticated()
        if self._root is not None and hmac.compare_digest(token.encode(), self._root):
            return ROOT_CALLER
        if token.count(".") != 2:  # not a JWT: an access key, known only to ingest
            if self._keys is None:
                raise unauthenticated()
            return await self._keys(token)
        caller = self.signer.verify(token)
        if caller.key_id in await self.revoked_ids():
            raise _revoked()
        if caller.member is not None and not await self.member_may_work(caller.member):
            raise suspended_member(caller.member)
        return caller

    async def member_may_work(self, code: str) -> bool:
        """False once the member is suspended: asked on every request of a member's session
        (an indexed read; the console's pace), so suspension takes effect at once."""
        if self._member_active is None:
            return True
        return await self._member_active(code) is not False

    async def revoked_ids(self) -> set[str]:
        """The revoked key ids, re-read from the store once ``refresh_every`` has passed."""
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at >= self._refresh_every:
            await self.refresh(now)
        return self._revoked

    async def refresh(self, now: datetime | None = None) -> None:
        """Re-read the revocation list now; a store outage keeps the list last read."""
        now = now or self._clock()
        try:
            self._revoked = await self._store.since(now - self.signer.ttl - CLOCK_MARGIN)
        except Exception as exc:  # no store: keep refusing what we know, retry on the next call
            log.warning("revocations_refresh_failed", exc_info=True)
            if self._loaded_at is None:  # never read: no session can be checked yet
                raise ApiError(
                    503,
                    "Chưa kiểm tra được phiên đăng nhập (kho dữ liệu chưa sẵn sàng). Thử lại sau.",
                    "Sessions cannot be checked yet (the store is unavailable). Retry later.",
                    code="unavailable",
                    headers={"Retry-After": "5"},
                ) from exc
        self._loaded_at = now

    def note_revoked(self, key_id: str) -> None:
        """A revocation this process just stored: refused at once, before the next re-read."""
        self._revoked.add(key_id)


# ---------------------------------------------------------------- FastAPI

_bearer = HTTPBearer(
    auto_error=False,
    description="Khoá truy cập hoặc phiên đăng nhập / an access key or a session token",
)
# The same header; a scheme of its own names the centre's routes in the OpenAPI.
_centre_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=CENTRE_SCHEME,
    description="Khoá hoặc phiên của Trung tâm / the centre's key or session",
)


# A credential that is not ours (a wrong key, a forged session) counts as a guess; an expired
# or revoked session does not (the console sends one until the person signs in again).
GUESS_CODES = frozenset({"unauthenticated", "session_invalid"})
DEFAULT_GUESSES_PER_MINUTE = 30
FORGET_FAILURES_ABOVE = 10_000  # addresses remembered before the old ones are dropped


class FailedGuesses:
    """Wrong credentials per client address: beyond ``per_minute`` the address gets 429
    before any credential of its is checked, until the window ends. Counted in ``counter``
    (the service's store, shared by its replicas; in this process unless given).

    Only an address this process has seen fail within the last two windows is looked up:
    a correct credential costs no store read, and a guesser spread over replicas gets at
    most one more try per replica than the limit."""

    def __init__(
        self, per_minute: int = DEFAULT_GUESSES_PER_MINUTE, counter: WindowCounter | None = None
    ) -> None:
        self.limit = RateLimit(Limit(per_minute, 60), counter or MemoryWindows())
        self._failed_at: dict[str, float] = {}  # address -> its last failure seen here

    async def check(self, address: str) -> None:
        if not self._failed_recently(address) or not await self.limit.exceeded(address):
            return
        wait = self.limit.retry_after()
        raise ApiError(
            429,
            f"Quá nhiều lần đăng nhập sai từ địa chỉ này. Thử lại sau {wait} giây.",
            f"Too many wrong credentials from this address. Retry in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )

    async def record(self, address: str) -> None:
        now = time.monotonic()
        if len(self._failed_at) >= FORGET_FAILURES_ABOVE:  # a flood from many addresses
            horizon = now - 2 * self.limit.limit.seconds
            self._failed_at = {a: t for a, t in self._failed_at.items() if t >= horizon}
        self._failed_at[address] = now
        await self.limit.note(address)

    def _failed_recently(self, address: str) -> bool:
        failed = self._failed_at.get(address)
        return failed is not None and time.monotonic() - failed < 2 * self.limit.limit.seconds


def install_authenticator(
    app: FastAPI, authenticator: Authenticator, guesses: FailedGuesses | None = None
) -> None:
    """Make ``authenticator`` the one the dependencies below use in ``app``."""
    app.state.authenticator = authenticator
    app.state.failed_guesses = guesses or FailedGuesses()


def follow_revocations(
    broker: RabbitBroker,
    settings: Settings,
    service: str,
    *,
    authenticator: Authenticator,
    revoked: RevokedKeys,
) -> None:
    """Subscribe ``service`` to ``key.changed``: store the revocation, refuse at once here
    (other replicas of the service re-read the store within ``REFRESH_EVERY``)."""

    @subscriber(broker, settings, service, KeyChanged)
    async def on_key_changed(event: KeyChanged) -> None:
        """Remember a revoked key: its sessions end."""
        await revoked.add(event.key_id, event.at)
        authenticator.note_revoked(event.key_id)
        log.info("key_revocation_stored", service=service, key_id=event.key_id)


def wire_service_auth(
    app: FastAPI,
    broker: RabbitBroker,
    settings: Settings,
    *,
    service: str,
    db: AsyncDatabase[Document],
    member_active: MemberActive | None = None,
    public_get: bool = False,
) -> Authenticator:
    """Sessions and the root key for a service that does not own keys (all but ingest):
    its revocation list in ``{service}_revoked_keys``, fed by ``key.changed``; a member's
    staff refused once ``member_active`` says the member is suspended; CORS
    (``public_get``: see :class:`shared.http.ConsoleCors`)."""
    revoked = MongoRevokedKeys(db, service)
    authenticator = Authenticator(
        root_key=settings.admin_key,
        signer=session_signer(settings),
        revoked=revoked,
        member_active=member_active,
    )
    follow_revocations(broker, settings, service, authenticator=authenticator, revoked=revoked)
    install_authenticator(app, authenticator, FailedGuesses(counter=MongoWindows(db, service)))
    install_cors(app, settings, public_get=public_get)
    return authenticator


def _unauthorised(error: AuthError) -> ApiError:
    code = "unauthenticated" if error.code == "session_invalid" else error.code
    challenge = "Bearer" if code == "unauthenticated" else 'Bearer error="invalid_token"'
    if error.status == 403:
        return ApiError(403, error.message_vi, error.message_en, code=code)
    return ApiError(
        401,
        error.message_vi,
        error.message_en,
        code=code,
        details={"reason": error.code},
        headers={"WWW-Authenticate": challenge},
    )


def forbidden(message_vi: str, message_en: str) -> ApiError:
    return ApiError(403, message_vi, message_en, code="forbidden")


async def _caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    authenticator: Authenticator = request.app.state.authenticator
    guesses: FailedGuesses = request.app.state.failed_guesses
    token = credentials.credentials.strip() if credentials else None
    address = request.client.host if request.client else "unknown"
    if token:
        await guesses.check(address)
    try:
        return await authenticator.authenticate(token)
    except AuthError as exc:
        if token and exc.code in GUESS_CODES:
            log.info("credential_refused", reason=exc.code, address=address)
            await guesses.record(address)
        raise _unauthorised(exc) from exc


async def any_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Any authenticated caller (401 otherwise)."""
    return await _caller(request, credentials)


async def centre_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_centre_bearer)],
) -> Caller:
    """The root key or the centre's staff (401 without credentials, 403 for a member)."""
    caller = await _caller(request, credentials)
    if not caller.is_centre:
        raise forbidden(
            "Chỉ Trung tâm được thực hiện thao tác này.",
            "Only the centre may do this.",
        )
    return caller


AnyCaller = Annotated[Caller, Depends(any_caller)]
CentreCaller = Annotated[Caller, Depends(centre_caller)]


def require_member_access(caller: Caller, code: str) -> None:
    """403 unless ``caller`` may act for member ``code``."""
    if not caller.may_act_for(code):
        raise forbidden(
            f"Khoá này không được thao tác cho thành viên '{code}'.",
            f"This key may not act for member '{code}'.",
        )
