"""Load the demo through the real HTTP APIs, as the centre and the members would.

Members → ``POST {catalogue}/v1/members`` (admin key); one key per member →
``POST {ingest}/v1/members/{code}/keys`` (retried on 404 until ingest has heard of the member
from ``member.changed``); records → ``POST {ingest}/v1/records``; then wait for every
submission to be ``done`` and for search to find each member's records.

Idempotent: members are upserts, member keys are kept in ``<data dir>/demo-keys.json``
(0600) and reused, and pushing the same records again changes nothing (the catalogue versions
only real changes). A marker file remembers that this database already has the demo.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

from devstack.demo.members import MEMBERS
from devstack.demo.records import all_records
from devstack.stack import write_private

Say = Callable[[str], None]


class DemoLoadError(RuntimeError):
    """The demo could not be loaded; the message says which step and what came back."""


@dataclass
class DemoTarget:
    catalogue: str
    ingest: str
    search: str
    admin_key: str
    data_dir: Path
    identity: str  # database and namespace the demo goes into (for the marker)


def demo_digest() -> str:
    """A fingerprint of the demo content: a new demo version reloads."""
    body = json.dumps(
        {"members": [m.code for m in MEMBERS], "records": all_records()},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _fail(step: str, response: httpx2.Response) -> DemoLoadError:
    return DemoLoadError(f"{step}: HTTP {response.status_code} {response.text[:500]}")


def _with_retry(send: Callable[[], httpx2.Response], *, timeout: float) -> httpx2.Response:
    """Retry on 503/429 (honouring Retry-After, capped) and connection errors."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = send()
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            continue
        if response.status_code not in (429, 503) or time.monotonic() > deadline:
            return response
        time.sleep(min(float(response.headers.get("retry-after", "1") or 1), 5.0))


class DemoLoader:
    """Loads the demo into a running stack."""

    def __init__(self, target: DemoTarget, *, say: Say = print, timeout: float = 180.0) -> None:
        self.t = target
        self.say = say
        self.timeout = timeout
        self.http = httpx2.Client(timeout=30.0)
        self.admin = {"Authorization": f"Bearer {target.admin_key}"}

    @property
    def keys_path(self) -> Path:
        return self.t.data_dir / "demo-keys.json"

    @property
    def marker_path(self) -> Path:
        return self.t.data_dir / "demo-loaded.json"

    def close(self) -> None:
        self.http.close()

    # -- the whole load -------------------------------------------------------------

    def load(self, *, force: bool = False) -> bool:
        """Load the demo unless this database already has it; returns True if it loaded."""
        if not force and self.already_loaded():
            self.say("Dữ liệu mẫu đã có sẵn / demo data already loaded.")
            return False
        records = all_records()
        self.create_members()
        keys = self.member_keys(sorted(records))
        submissions = {code: self.push(code, keys, recs) for code, recs in records.items()}
        for code, submission_id in submissions.items():
            self.wait_done(code, submission_id, keys[code])
        self.wait_searchable({code: len(recs) for code, recs in records.items()})
        marker = {"digest": demo_digest(), "identity": self.t.identity}
        write_private(self.marker_path, json.dumps(marker) + "\n")
        total = sum(len(r) for r in records.values())
        self.say(f"Đã nạp {len(MEMBERS)} thành viên, {total} biểu ghi / loaded {total} records.")
        return True

    def already_loaded(self) -> bool:
        try:
            marker = json.loads(self.marker_path.read_text())
        except (OSError, ValueError):
            return False
        if marker != {"digest": demo_digest(), "identity": self.t.identity}:
            return False
        known = self.known_members()
        return all(m.code in known for m in MEMBERS)

    def known_members(self) -> set[str]:
        response = self.http.get(f"{self.t.catalogue}/v1/members", params={"limit": 1000})
        if response.status_code != 200:
            return set()
        body = response.json()
        items = body.get("members", body.get("items", [])) if isinstance(body, dict) else body
        return {m["code"] for m in items if isinstance(m, dict) and "code" in m}

    # -- steps ----------------------------------------------------------------------

    def create_members(self) -> None:
        """Create or update every demo member (the centre's key)."""
        now = datetime.now(UTC)
        for member in MEMBERS:
            response = _with_retry(
                lambda m=member: self.http.post(
                    f"{self.t.catalogue}/v1/members", json=m.payload(now), headers=self.admin
                ),
                timeout=self.timeout,
            )
            if response.status_code not in (200, 201):
                raise _fail(f"POST /v1/members ({member.code})", response)
        self.say(f"Thành viên / members: {', '.join(m.code for m in MEMBERS)}")

    def member_keys(self, codes: list[str]) -> dict[str, str]:
        """A working key per member: the kept one, or a new one issued by ingest."""
        try:
            kept: dict[str, str] = json.loads(self.keys_path.read_text())
        except (OSError, ValueError):
            kept = {}
        keys = {code: kept[code] for code in codes if code in kept and self.key_works(kept[code])}
        for code in codes:
            if code not in keys:
                keys[code] = self.issue_key(code)
        write_private(self.keys_path, json.dumps({**kept, **keys}, indent=2) + "\n")
        return keys

    def key_works(self, key: str) -> bool:
        """True when ingest accepts the key (an unknown submission id is a 404, not a 401)."""
        response = self.http.get(
            f"{self.t.ingest}/v1/submissions/demo-key-check",
            headers={"Authorization": f"Bearer {key}"},
        )
        return response.status_code not in (401, 403)

    def issue_key(self, code: str) -> str:
        """Issue a key, retrying while ingest has not yet heard of the member (404)."""
        deadline = time.monotonic() + self.timeout
        url = f"{self.t.ingest}/v1/members/{code}/keys"
        while True:
            response = _with_retry(
                lambda: self.http.post(url, headers=self.admin, json={}), timeout=self.timeout
            )
            if response.status_code in (200, 201):
                return extract_key(response.json())
            if response.status_code != 404 or time.monotonic() > deadline:
                raise _fail(f"POST /v1/members/{code}/keys", response)
            time.sleep(0.3)

    def push(self, code: str, keys: dict[str, str], records: list[dict[str, Any]]) -> str:
        """Push one member's records; returns the submission id."""
        response = _with_retry(
            lambda: self.http.post(
                f"{self.t.ingest}/v1/records",
                json={"records": records},
                headers={"Authorization": f"Bearer {keys[code]}"},
            ),
            timeout=self.timeout,
        )
        if response.status_code != 202:
            raise _fail(f"POST /v1/records ({code})", response)
        body = response.json()
        if body.get("rejected"):
            raise DemoLoadError(f"{code}: ingest rejected demo records: {body['rejected'][:3]}")
        return str(body["submission_id"])

    def wait_done(self, code: str, submission_id: str, key: str) -> dict[str, Any]:
        """Wait until the submission is ``done``; fail on rejected records."""
        deadline = time.monotonic() + self.timeout
        url = f"{self.t.ingest}/v1/submissions/{submission_id}"
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = self.http.get(url, headers={"Authorization": f"Bearer {key}"})
            if response.status_code == 200:
                body = response.json()
                if submission_state(body) == "done":
                    rejected = rejected_outcomes(body)
                    if rejected:
                        raise DemoLoadError(f"{code}: catalogue rejected {rejected[:3]}")
                    return body
            time.sleep(0.3)
        raise DemoLoadError(f"submission {submission_id} of {code} not done: {body}")

    def wait_searchable(self, expected: dict[str, int]) -> None:
        """Wait until search finds every member's records."""
        deadline = time.monotonic() + self.timeout
        missing = dict(expected)
        while missing and time.monotonic() < deadline:
            for code, count in list(missing.items()):
                response = self.http.get(
                    f"{self.t.search}/v1/search", params={"member": code, "per_page": 1}
                )
                if response.status_code == 200 and response.json().get("total", 0) >= count:
                    del missing[code]
            if missing:
                time.sleep(0.3)
        if missing:
            raise DemoLoadError(f"search does not yet find all records of {sorted(missing)}")


def extract_key(body: Any) -> str:
    """The secret from ingest's key-issuing answer (``key``, or ``api_key``/``secret``)."""
    for name in ("key", "api_key", "secret", "token"):
        value = body.get(name) if isinstance(body, dict) else None
        if isinstance(value, str) and value:
            return value
    raise DemoLoadError(f"no key in the answer of POST /keys: fields {sorted(body)}")


def submission_state(body: dict[str, Any]) -> str | None:
    value = body.get("state", body.get("status"))
    return str(value) if value is not None else None


def rejected_outcomes(body: dict[str, Any]) -> list[Any]:
    items = body.get("outcomes", body.get("items", [])) or []
    return [o for o in items if isinstance(o, dict) and o.get("outcome") == "rejected"]
