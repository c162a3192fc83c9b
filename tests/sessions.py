"""Session tokens for tests, signed with the installation's own secret (as ingest signs them)."""

from __future__ import annotations

import uuid
from typing import Any

from shared.auth import Caller, session_signer
from shared.config import Settings


def session_for(
    settings: Settings, *, member: str | None = None, label: str | None = None
) -> tuple[Caller, dict[str, str]]:
    """A person's session: a member's staff (``member``) or the centre's (None), and its header."""
    caller = Caller(
        key_id=f"k{uuid.uuid4().hex[:12]}",
        label=label or ("Nhân viên " + (member or "Trung tâm")),
        role="member" if member else "centre",
        member=member,
        via="session",
    )
    token, _ = session_signer(settings).issue(caller)
    return caller, {"Authorization": f"Bearer {token}"}


def entries(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """``GET /v1/audit``'s entries as (action, actor_key_id, member), newest first."""
    return [(e["action"], e["actor_key_id"], e["member"]) for e in body["entries"]]
