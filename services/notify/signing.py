"""Signed, expiring attestation links and webhook signatures (HMAC-SHA256); no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

ATTEST_TTL = timedelta(days=60)
SIGNATURE_HEADER = "X-Stinet-Signature"


class InvalidToken(ValueError):
    """The link was altered, is not ours, has expired, or was already used (``used_at``)."""

    def __init__(self, reason: str, used_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.used_at = used_at


@dataclass(frozen=True)
class AttestClaim:
    key: str
    member: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(master: bytes, purpose: str) -> bytes:
    """A key for one purpose, so one secret never signs two kinds of thing."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).digest()


def sign_claims(secret: bytes, purpose: str, claims: dict[str, object]) -> str:
    """``payload.signature`` of ``claims`` (``e``: expiry, Unix seconds), one key per purpose."""
    payload = _b64(orjson.dumps(claims))
    mac = hmac.new(derive_key(secret, purpose), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify_claims(secret: bytes, purpose: str, token: str, *, now: datetime) -> dict[str, Any]:
    """The claims of a valid token; raises ``InvalidToken`` (``malformed``, ``expired``)."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or len(token) > 2000:
        raise InvalidToken("malformed")
    expected = hmac.new(derive_key(secret, purpose), payload.encode(), hashlib.sha256).digest()
    try:
        given = _unb64(signature)
        data = orjson.loads(_unb64(payload))
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidToken("malformed") from exc
    if not hmac.compare_digest(given, expected) or not isinstance(data, dict):
        raise InvalidToken("malformed")
    expires = data.get("e")
    if expires is not None:
        if not isinstance(expires, int):
            raise InvalidToken("malformed")
        if now >= datetime.fromtimestamp(expires, UTC):
            raise InvalidToken("expired")
    return data


def sign_attest_token(secret: bytes, *, key: str, member: str, issued_at: datetime) -> str:
    """``payload.signature``: the reminder key, the member and the expiry, signed."""
    expires = int((issued_at + ATTEST_TTL).timestamp())
    return sign_claims(secret, "attest", {"k": key, "m": member, "e": expires})


def verify_attest_token(secret: bytes, token: str, *, now: datetime) -> AttestClaim:
    """The claim of a valid token; raises ``InvalidToken`` (``malformed``, ``expired``)."""
    data = verify_claims(secret, "attest", token, now=now)
    try:
        return AttestClaim(
            key=str(data["k"]),
            member=str(data["m"]),
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("malformed") from exc


def webhook_secret(secret: bytes, member: str) -> str:
    """The member's own webhook secret (the centre hands it to the member's web admin)."""
    return derive_key(secret, f"webhook:{member}").hex()


def webhook_signature(member_secret: str, body: bytes) -> str:
    """The ``X-Stinet-Signature`` value: ``sha256=<hex HMAC of the body>``."""
    digest = hmac.new(member_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
