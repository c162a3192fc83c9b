"""The link checker's rules: what a check's answer means and what a link's state becomes.

No I/O, no framework. A link is one URL (record ``url`` or member ``website``); its state
moves only on a stored check: ``ok`` after a success, ``failing`` after one failure,
``broken`` after two failures in a row; a success clears it. A ``deferred`` check (the host
asked us to wait: 429/503 with ``Retry-After``) changes nothing but the due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

BROKEN_AFTER = 2
MAX_REDIRECTS = 5
# A host that asks for more than this is asked again after it: a day is enough for a link.
MAX_BACK_OFF_SECONDS = 24 * 3600.0
DEFAULT_BACK_OFF_SECONDS = 60.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Servers that refuse HEAD answer 405/501, or any other 4xx; GET decides then.
HEAD_REFUSED = frozenset({405, 501})
# 401/403: the server answers and guards the resource (restricted access, bot walls):
# the link works for the people it is meant for.
REACHABLE = frozenset({401, 403})


class LinkState(StrEnum):
    UNCHECKED = "unchecked"
    OK = "ok"
    FAILING = "failing"
    BROKEN = "broken"


class Verdict(StrEnum):
    OK = "ok"
    FAILED = "failed"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class CheckResult:
    """One check's answer: the last HTTP status (if any), an error, a back-off asked for."""

    verdict: Verdict
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None

    @classmethod
    def failed(cls, error: str, status: int | None = None) -> CheckResult:
        return cls(Verdict.FAILED, status=status, error=error)


@dataclass(frozen=True)
class LinkPolicy:
    """When a link is checked again: ``interval`` after a success, ``retry`` after a failure."""

    interval: timedelta = timedelta(days=30)
    retry: timedelta = timedelta(hours=24)


class LinkStatus(BaseModel):
    """What the store keeps of one URL's checks."""

    url: str
    host: str
    state: LinkState = LinkState.UNCHECKED
    failures: int = 0
    last_status: int | None = None
    last_error: str | None = None
    last_checked_at: datetime | None = None
    failing_since: datetime | None = None
    next_due: datetime | None = None


def after_check(
    link: LinkStatus, result: CheckResult, now: datetime, policy: LinkPolicy
) -> LinkStatus:
    """The link's state once ``result`` is stored."""
    if result.verdict is Verdict.DEFERRED:
        wait = min(result.retry_after or DEFAULT_BACK_OFF_SECONDS, MAX_BACK_OFF_SECONDS)
        return link.model_copy(update={"next_due": now + timedelta(seconds=wait)})
    checked = {"last_status": result.status, "last_checked_at": now}
    if result.verdict is Verdict.OK:
        return link.model_copy(
            update={
                **checked,
                "state": LinkState.OK,
                "failures": 0,
                "last_error": None,
                "failing_since": None,
                "next_due": now + policy.interval,
            }
        )
    failures = link.failures + 1
    return link.model_copy(
        update={
            **checked,
            "state": LinkState.BROKEN if failures >= BROKEN_AFTER else LinkState.FAILING,
            "failures": failures,
            "last_error": result.error,
            "failing_since": link.failing_since or now,
            "next_due": now + policy.retry,
        }
    )


def judge(status: int, retry_after: float | None) -> CheckResult:
    """The verdict on a final (non-redirect) HTTP status."""
    if status == 429 or (status == 503 and retry_after is not None):
        return CheckResult(Verdict.DEFERRED, status=status, retry_after=retry_after)
    if 200 <= status < 300 or status in REACHABLE:
        return CheckResult(Verdict.OK, status=status)
    return CheckResult.failed(f"HTTP {status}", status=status)


def get_decides(head_status: int) -> bool:
    """Whether a HEAD answer needs a GET to be sure (servers that refuse HEAD)."""
    return head_status in HEAD_REFUSED or (400 <= head_status < 500 and head_status != 429)


def host_of(url: str) -> str:
    """The politeness unit: the URL's host name, lower case."""
    return (urlsplit(url).hostname or "").lower()


def website_url(website: str | None) -> str | None:
    """A member's website as a URL to check (the registry takes ``www.x.vn`` too)."""
    if website is None or not website.strip():
        return None
    text = website.strip()
    if "://" not in text:
        text = f"http://{text}"
    return text if urlsplit(text).scheme in ("http", "https") and host_of(text) else None


BROKEN_LINK = "broken_link"  # the quality inbox's problem code


class BrokenLink(BaseModel):
    """One broken link of a member, for its quality inbox (problem ``broken_link``)."""

    record_id: str | None
    field: Literal["url", "website"]
    url: str
    since: datetime | None
    last_error: str | None
    last_checked_at: datetime | None

    @property
    def message(self) -> str:
        """The quality inbox's text, Vietnamese then English."""
        since = f" từ {self.since:%d/%m/%Y}" if self.since else ""
        since_en = f" since {self.since:%Y-%m-%d}" if self.since else ""
        error = f" ({self.last_error})" if self.last_error else ""
        return (
            f"Liên kết hỏng{since}: hai lần kiểm tra liên tiếp không thành công{error} / "
            f"broken link{since_en}: two checks in a row failed{error}: {self.url}"
        )
