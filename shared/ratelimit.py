"""Rate limits that every replica of a service shares, counted in the store.

A limit such as ``300/minute`` counts hits per key (an access key, a client address) in
windows of that length; the counts live in ``{service}_rate_windows``, so two replicas behind
the proxy give a caller one allowance, not two. The limit holds over any sliding window: the
previous window's count weighs by how much of it the sliding window still covers (a burst
cannot double by straddling a boundary). Where a store round trip per request costs too
much (search), :class:`MemoryWindows` counts in the process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog
from limits import parse
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import Refusal
from shared.http import error_response, wants_english
from shared.mongo import Document

log = structlog.get_logger(__name__)
PRUNE_EVERY = 60.0  # seconds between deletions of ended windows, per process


@dataclass(frozen=True)
class Limit:
    """``amount`` hits per ``seconds`` for each key."""

    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """``300/minute``, ``10/second``, ``1000/hour``, ``5 per 10 minutes`` (``limits``'
        syntax, as INGEST_RATE_LIMIT is written)."""
        item = parse(text)
        return cls(amount=item.amount, seconds=item.get_expiry())

    def window(self, now: float) -> tuple[int, int]:
        """The window holding ``now``: its start and its end (Unix seconds)."""
        start = int(now // self.seconds) * self.seconds
        return start, start + self.seconds

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window of ``now`` ends (at least 1)."""
        return max(1, math.ceil(self.window(now)[1] - now))


class WindowCounter(Protocol):
    async def hit(self, key: str, limit: Limit, now: float) -> int:
        """Count one hit of ``key`` in the window of ``now``; the window's count with it."""
        ...

    async def count(self, key: str, limit: Limit, now: float) -> int:
        """The hits of ``key`` so far in the window of ``now``."""
        ...


class MemoryWindows:
    """Windows counted in this process only."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._pruned = 0.0

    async def hit(self, key: str, limit: Limit, now: float) -> int:
        self._prune(now)
        slot = (key, limit.window(now)[0])
        self._counts[slot] = self._counts.get(slot, 0) + 1
        return self._counts[slot]

    async def count(self, key: str, limit: Limit, now: float) -> int:
        return self._counts.get((key, limit.window(now)[0]), 0)

    def _prune(self, now: float) -> None:
        if now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        horizon = now - 24 * 3600  # no limit here has a window longer than a day
        self._counts = {slot: n for slot, n in self._counts.items() if slot[1] >= horizon}


class MongoWindows:
    """``{service}_rate_windows``: one document per key and window, ``$inc``'d atomically;
    windows that no longer count are deleted at most once a minute per process."""

    def __init__(self, db: AsyncDatabase[Document], service: str) -> None:
        self._windows = db[f"{service}_rate_windows"]
        self._pruned = 0.0

    async def hit(self, key: str, limit: Limit, now: float) -> int:
        start, end = limit.window(now)
        doc = await self._windows.find_one_and_update(
            {"_id": f"{key}|{limit.seconds}|{start}"},
            # kept one window past its end: the next window still weighs it
            {"$inc": {"n": 1}, "$setOnInsert": {"expires": end + limit.seconds}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        await self._prune(now)
        return int(doc["n"]) if doc else 1

    async def count(self, key: str, limit: Limit, now: float) -> int:
        start, _ = limit.window(now)
        doc = await self._windows.find_one({"_id": f"{key}|{limit.seconds}|{start}"})
        return int(doc["n"]) if doc else 0

    async def _prune(self, now: float) -> None:
        if now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        await self._windows.delete_many({"expires": {"$lte": now}})


class RateLimit:
    """A limit per key on a counter; :meth:`take` refuses with 429 and ``Retry-After``
    beyond it. A counter that cannot be reached lets the request through (logged): an
    unreadable count is no reason to refuse a member's work."""

    def __init__(
        self,
        limit: Limit | str,
        counter: WindowCounter,
        *,
        per: tuple[str, str] = ("mỗi khoá", "per key"),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = Limit.parse(limit) if isinstance(limit, str) else limit
        self._counter = counter
        self._per = per
        self._clock = clock
        # Counts of windows that have ended, read once: no hit lands in them any more (but
        # for clock skew between processes), and reading them again costs the store a
        # command on every request.
        self._ended: dict[tuple[str, float], int] = {}

    async def take(self, key: str) -> None:
        """Count a hit of ``key``; 429 when it goes over the limit."""
        now = self._clock()
        try:
            hits = await self._counter.hit(key, self.limit, now)
            used = hits + await self._carried_over(key, now)
        except Exception:
            log.warning("rate_limit_unreadable", exc_info=True)
            return
        if used > self.limit.amount:
            raise self.refusal(now)

    async def exceeded(self, key: str) -> bool:
        """Whether ``key`` already used its allowance (counts nothing)."""
        now = self._clock()
        try:
            hits = await self._counter.count(key, self.limit, now)
            return hits + await self._carried_over(key, now) >= self.limit.amount
        except Exception:
            log.warning("rate_limit_unreadable", exc_info=True)
            return False

    async def _carried_over(self, key: str, now: float) -> float:
        """The previous window's hits, weighed by the share of it the sliding window holds."""
        start, _ = self.limit.window(now)
        previous = self._ended.get((key, start))
        if previous is None:
            previous = await self._counter.count(key, self.limit, now - self.limit.seconds)
            if len(self._ended) >= ENDED_WINDOWS_KEPT:
                self._ended.clear()
            self._ended[(key, start)] = previous
        return previous * (1 - (now - start) / self.limit.seconds)

    async def note(self, key: str) -> None:
        """Count a hit of ``key`` without refusing it (a failure to limit later)."""
        try:
            await self._counter.hit(key, self.limit, self._clock())
        except Exception:
            log.warning("rate_limit_unreadable", exc_info=True)

    def retry_after(self) -> int:
        return self.limit.retry_after(self._clock())

    def refusal(self, now: float) -> Refusal:
        wait = self.limit.retry_after(now)
        amount, seconds = self.limit.amount, self.limit.seconds
        per_vi, per_en = self._per
        return Refusal(
            429,
            f"Gửi quá nhiều yêu cầu: tối đa {amount} yêu cầu mỗi {seconds} giây {per_vi}. "
            f"Thử lại sau {wait} giây.",
            f"Too many requests: at most {amount} per {seconds} seconds {per_en}. "
            f"Retry in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )


ENDED_WINDOWS_KEPT = 10_000  # keys × windows remembered; emptied when full

UNCOUNTED_PATHS = ("/healthz", "/readyz", "/metrics")


class VisitorLimit:
    """ASGI middleware: at most ``limit`` requests per visitor address (429 beyond it).

    The address is the visitor's: behind the proxy uvicorn has already put the
    ``X-Forwarded-For`` it trusts into the scope. A request still coming from a trusted
    proxy's own address (``unlimited``) was not forwarded: someone on the machine itself
    (an operator, a bench), not a visitor; probes and metrics are never counted.
    """

    def __init__(self, app: ASGIApp, *, limit: RateLimit, unlimited: frozenset[str]) -> None:
        self.app = app
        self.limit = limit
        self.unlimited = unlimited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if (
            scope["type"] != "http"
            or not client
            or client[0] in self.unlimited
            or scope["path"].startswith(UNCOUNTED_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        try:
            await self.limit.take(client[0])
        except Refusal as refused:
            english = wants_english(Request(scope))
            answer = error_response(
                429, refused.code, refused.message(english), None, refused.headers
            )
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)


def trusted_addresses(trusted_proxies: str) -> frozenset[str]:
    """The explicit addresses of ``STINET_TRUSTED_PROXIES`` (``*`` names no address)."""
    return frozenset(a.strip() for a in trusted_proxies.split(",") if a.strip() not in ("", "*"))
