"""The link checker's ports: where links are kept, what tells it of changes, who checks."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.catalogue.linkcheck.domain import BrokenLink, CheckResult, LinkStatus


class LinkStore(Protocol):
    """One document per URL with the record ids and member codes using it and its checks.

    Work is leased: ``claim`` hands out due links to one owner until the lease ends, so
    replicas never check one URL at once, and a crash only delays the links it held.
    """

    async def use_record_urls(self, urls: dict[str, str | None], *, now: datetime) -> None:
        """Record id → its URL now (None: no URL, or withdrawn). A URL newly used by a
        record is due at once; URLs nobody uses any more are forgotten."""
        ...

    async def use_websites(self, websites: dict[str, str | None], *, now: datetime) -> None:
        """Member code → its website now, for every member (the registry is small)."""
        ...

    async def claim(
        self, *, owner: str, now: datetime, until: datetime, limit: int, per_host: int
    ) -> list[LinkStatus]:
        """Lease up to ``limit`` due links (at most ``per_host`` of one host) to ``owner``."""
        ...

    async def save_checked(self, links: list[LinkStatus], *, owner: str) -> int:
        """Store checks' outcomes (one bulk write) and end their leases; returns how many
        were stored (a link whose lease was lost is not)."""
        ...

    async def release(self, urls: list[str], *, owner: str) -> None:
        """End ``owner``'s leases of links it did not check (due again at once)."""
        ...

    async def broken_links(self, member: str) -> list[BrokenLink]:
        """The member's broken links: its records' ``url`` and its own ``website``."""
        ...

    async def count_broken(self) -> int:
        """How many URLs are broken now, network-wide."""
        ...


class ChangedRecords(Protocol):
    """Which records changed since the last ``commit`` (at least once each; crash-safe)."""

    async def changed(self, limit: int) -> list[str]:
        """Record ids changed since the last commit, from at most ``limit`` changes (a
        change is one write of a batch: up to 500 records)."""
        ...

    async def commit(self) -> None:
        """The ids last returned are handled: do not return them again."""
        ...


class LinkChecker(Protocol):
    """Checks one URL politely (the host's turn), following redirects, SSRF-safe."""

    async def check(self, url: str) -> CheckResult: ...
