"""The link checker: its rules, the HTTP checker against a local server on several loopback
hosts, and the store and sweep against a real SecantusDB."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient

from devstack.processes import free_port
from services.catalogue.adapters.link_checker import HttpLinkChecker
from services.catalogue.adapters.linkcheck_store import FeedChangedRecords, MongoLinkStore
from services.catalogue.adapters.mongo import MongoMemberStore, MongoRecordStore
from services.catalogue.domain import StoredRecord, dedup_keys
from services.catalogue.linkcheck.domain import (
    BrokenLink,
    CheckResult,
    LinkPolicy,
    LinkState,
    LinkStatus,
    Verdict,
    after_check,
    website_url,
)
from services.catalogue.linkcheck.politeness import HostSchedule
from services.catalogue.linkcheck.sweep import SweepConfig, check_due, sync
from shared.config import Settings
from shared.events import Member, MemberStatus, Outcome
from shared.mongo import service_database
from shared.records import Record, RecordStatus
from tests.catalogue.linkserver import LinkServer, answer

NOW = datetime(2026, 5, 1, tzinfo=UTC)
HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
POLICY = LinkPolicy()


def status(url: str = "http://a.vn/x") -> LinkStatus:
    return LinkStatus(url=url, host="a.vn")


# --- the rules -----------------------------------------------------------------------------


def test_a_link_is_broken_only_after_two_failed_checks_in_a_row() -> None:
    failed = CheckResult.failed("HTTP 404", status=404)
    once = after_check(status(), failed, NOW, POLICY)
    assert (once.state, once.failures, once.failing_since) == (LinkState.FAILING, 1, NOW)
    assert once.next_due == NOW + POLICY.retry
    later = NOW + timedelta(days=1)
    twice = after_check(once, failed, later, POLICY)
    assert (twice.state, twice.failures, twice.failing_since) == (LinkState.BROKEN, 2, NOW)
    assert twice.last_error == "HTTP 404"


def test_a_success_clears_a_broken_link_and_a_failure_between_successes_is_not_broken() -> None:
    failed = CheckResult.failed("timeout after 10 s")
    broken = after_check(after_check(status(), failed, NOW, POLICY), failed, NOW, POLICY)
    fixed = after_check(broken, CheckResult(Verdict.OK, status=200), NOW, POLICY)
    assert (fixed.state, fixed.failures, fixed.last_error, fixed.failing_since) == (
        LinkState.OK,
        0,
        None,
        None,
    )
    assert fixed.next_due == NOW + POLICY.interval
    again = after_check(fixed, failed, NOW, POLICY)
    assert again.state is LinkState.FAILING


def test_a_deferred_check_only_moves_the_due_date() -> None:
    failing = after_check(status(), CheckResult.failed("HTTP 500"), NOW, POLICY)
    deferred = after_check(
        failing, CheckResult(Verdict.DEFERRED, status=429, retry_after=120), NOW, POLICY
    )
    assert deferred.model_dump(exclude={"next_due"}) == failing.model_dump(exclude={"next_due"})
    assert deferred.next_due == NOW + timedelta(seconds=120)


def test_a_members_website_is_checked_with_or_without_its_scheme() -> None:
    assert website_url("www.vimaru.edu.vn") == "http://www.vimaru.edu.vn"
    assert website_url("https://hpu.edu.vn/") == "https://hpu.edu.vn/"
    assert website_url("  ") is None and website_url(None) is None
    assert website_url("ftp://x.vn") is None


# --- the HTTP checker against a local server ----------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[LinkServer]:
    value = await LinkServer(HOSTS, free_port()).start()
    yield value
    await value.stop()


def checker(*, allow_private: bool = True, timeout: float = 1.0) -> HttpLinkChecker:
    schedule = HostSchedule(interval=1.0, concurrency=10)
    return HttpLinkChecker(schedule=schedule, timeout=timeout, allow_private=allow_private)


async def test_good_dead_refused_looping_and_slow_links(server: LinkServer) -> None:
    links = checker(timeout=0.5)
    try:
        urls = {
            "good": server.url(HOSTS[0], "/ok"),
            "dead": server.url(HOSTS[1], "/dead"),
            "refused": f"http://127.0.0.1:{free_port()}/",
            "loop": server.url(HOSTS[2], "/loop"),
            "slow": server.url(HOSTS[3], "/slow"),
        }
        results = dict(
            zip(urls, await asyncio.gather(*(links.check(u) for u in urls.values())), strict=True)
        )
    finally:
        await links.close()
    assert results["good"] == CheckResult(Verdict.OK, status=200)
    assert results["dead"] == CheckResult.failed("HTTP 404", status=404)
    assert results["refused"].verdict is Verdict.FAILED
    assert "cannot connect" in (results["refused"].error or "")
    assert results["loop"] == CheckResult.failed("more than 5 redirects")
    assert [h.path for h in server.hits if h.host == HOSTS[2]] == ["/loop"] * 6
    assert results["slow"] == CheckResult.failed("timeout after 0.5 s")


async def test_head_is_tried_first_and_get_decides_when_head_is_refused(
    server: LinkServer,
) -> None:
    links = checker()
    try:
        assert (await links.check(server.url(HOSTS[0], "/head-refused"))).verdict is Verdict.OK
        assert (await links.check(server.url(HOSTS[1], "/hop"))).verdict is Verdict.OK
        assert (await links.check(server.url(HOSTS[2], "/dead"))).status == 404
    finally:
        await links.close()
    assert [(h.method, h.path) for h in server.hits if h.host == HOSTS[0]] == [
        ("HEAD", "/head-refused"),
        ("GET", "/head-refused"),
    ]
    assert [(h.method, h.path) for h in server.hits if h.host == HOSTS[1]] == [
        ("HEAD", "/hop"),
        ("HEAD", "/ok"),
    ]
    # Any 4xx to HEAD gets a GET (some servers answer HEAD wrongly).
    assert [h.method for h in server.hits if h.host == HOSTS[2]] == ["HEAD", "GET"]


async def test_requests_to_one_host_are_a_second_apart_while_hosts_go_in_parallel(
    server: LinkServer,
) -> None:
    links = checker()
    urls = [server.url(host, "/ok") for host in HOSTS[:2] for _ in range(3)]
    try:
        results = await asyncio.gather(*(links.check(url) for url in urls))
    finally:
        await links.close()
    assert all(r.verdict is Verdict.OK for r in results)
    for host in HOSTS[:2]:
        times = server.times(host)
        assert len(times) == 3
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(times)), times
    # The second host did not wait for the first one's turns.
    first = [server.times(host)[0] for host in HOSTS[:2]]
    assert abs(first[0] - first[1]) < 1.0


async def test_a_rate_limited_host_is_left_alone_for_its_retry_after(server: LinkServer) -> None:
    links = checker()
    url = server.url(HOSTS[0], "/limited")
    before = REGISTRY.get_sample_value("stinet_linkcheck_back_offs_total", {"host": HOSTS[0]})
    try:
        first = await links.check(url)
        second = await links.check(url)
    finally:
        await links.close()
    assert first == CheckResult(Verdict.DEFERRED, status=429, retry_after=2.0)
    assert second.verdict is Verdict.OK
    times = server.times(HOSTS[0])
    assert len(times) == 2 and times[1] - times[0] >= 2.0
    after = REGISTRY.get_sample_value("stinet_linkcheck_back_offs_total", {"host": HOSTS[0]})
    assert (after or 0) - (before or 0) == 1


async def test_the_ssrf_guard_refuses_a_private_address_by_default(server: LinkServer) -> None:
    links = checker(allow_private=False)
    try:
        result = await links.check(server.url(HOSTS[0], "/ok"))
        hop = await links.check("http://example.invalid/")  # does not resolve: refused too
    finally:
        await links.close()
    assert result.verdict is Verdict.FAILED
    assert "loopback/private/reserved" in (result.error or "")
    assert hop.verdict is Verdict.FAILED
    assert server.hits == []


# --- the store and the sweep against SecantusDB -------------------------------------------


def record(rid: str, url: str | None, *, status: RecordStatus = RecordStatus.ACTIVE) -> Record:
    member, local_id = rid.split(":")
    return Record(
        id=rid, member=member, local_id=local_id, kind="website", title="Trang", version=1,
        created_at=NOW, updated_at=datetime.now(UTC), content_hash="h", url=url, status=status,
    )  # fmt: skip


def state(value: Record) -> StoredRecord:
    return StoredRecord(record=value, order="1", outcome=Outcome.CREATED, keys=dedup_keys(value))


class Catalogue:
    """The catalogue's real stores, and the link checker's, over one database."""

    def __init__(self, mongo: AsyncMongoClient, settings: Settings) -> None:
        db = service_database(mongo, settings)
        self.records = MongoRecordStore(db)
        self.members = MongoMemberStore(db)
        self.links = MongoLinkStore(db)
        self.changed = FeedChangedRecords(db)
        self._stored: dict[str, StoredRecord] = {}

    async def start(self) -> Catalogue:
        await self.records.ensure_indexes()
        await self.links.ensure_indexes()
        return self

    async def put(self, *records: Record) -> None:
        writes = []
        for value in records:
            previous = self._stored.get(value.id)
            new = state(value)
            if previous is not None:
                new = new.model_copy(update={"order": str(int(previous.order) + 1)})
            writes.append((new, previous))
            self._stored[value.id] = new
        await self.records.save(writes)

    async def sync(self) -> None:
        await sync(
            links=self.links,
            changed=self.changed,
            records=self.records,
            members=self.members,
            now=datetime.now(UTC),
        )

    async def uses(self) -> dict[str, str]:
        return {doc["_id"]: doc["url"] async for doc in self.links.uses.find({})}

    async def claim(self) -> list[LinkStatus]:
        now = datetime.now(UTC)
        until = now + timedelta(minutes=5)
        return await self.links.claim(owner="t", now=now, until=until, limit=100, per_host=100)

    async def due_urls(self) -> set[str]:
        due = {"next_due": {"$lte": datetime.now(UTC)}}
        return {doc["_id"] async for doc in self.links.links.find(due)}


@pytest.fixture
async def catalogue(mongo: AsyncMongoClient, settings: Settings) -> Catalogue:
    return await Catalogue(mongo, settings).start()


async def test_urls_of_stored_records_and_members_are_due_and_follow_changes(
    catalogue: Catalogue,
) -> None:
    await catalogue.put(record("vmu:a", "http://a.vn/1"), record("vmu:b", "http://a.vn/1"))
    await catalogue.members.save(
        Member(code="vmu", name="ĐH Hàng hải", website="vimaru.edu.vn"), announce="created"
    )
    await catalogue.sync()
    assert await catalogue.due_urls() == {"http://a.vn/1", "http://vimaru.edu.vn"}

    # a's URL changes, b is withdrawn, the member's website goes: only a's new URL is left.
    await catalogue.put(
        record("vmu:a", "http://b.vn/2"),
        record("vmu:b", "http://a.vn/1", status=RecordStatus.WITHDRAWN),
    )
    await catalogue.members.save(
        Member(code="vmu", name="ĐH Hàng hải", website=None), announce="updated"
    )
    await catalogue.sync()
    assert await catalogue.uses() == {"record:vmu:a": "http://b.vn/2"}
    # The URLs nobody uses any more are not checked: the next claim sets them aside.
    assert [link.url for link in await catalogue.claim()] == ["http://b.vn/2"]
    assert await catalogue.claim() == []


async def test_a_restarted_follower_does_not_miss_a_change(
    catalogue: Catalogue, mongo: AsyncMongoClient, settings: Settings
) -> None:
    await catalogue.put(record("vmu:a", "http://a.vn/1"))
    await catalogue.sync()
    await catalogue.put(record("vmu:a", "http://a.vn/2"))
    # A new process (the old one crashed): it reads the feed again from its stored cursor.
    catalogue.changed = FeedChangedRecords(service_database(mongo, settings))
    await catalogue.sync()
    assert await catalogue.uses() == {"record:vmu:a": "http://a.vn/2"}


async def test_two_replicas_never_hold_the_same_link_and_a_lost_lease_comes_back(
    catalogue: Catalogue,
) -> None:
    await catalogue.put(*(record(f"vmu:r{n}", f"http://h{n % 3}.vn/{n}") for n in range(12)))
    await catalogue.sync()
    now = datetime.now(UTC)
    until = now + timedelta(minutes=5)
    first, second = await asyncio.gather(
        catalogue.links.claim(owner="a", now=now, until=until, limit=12, per_host=2),
        catalogue.links.claim(owner="b", now=now, until=until, limit=12, per_host=2),
    )
    held = [link.url for link in first + second]
    assert len(held) == len(set(held))
    assert all(sum(1 for x in first if x.host == h) <= 2 for h in {x.host for x in first})
    # One of them crashed (the one that got links: under load the other may find every host
    # already held): once its lease ends, another replica takes its links.
    crashed, owner = (first, "a") if first else (second, "b")
    assert crashed
    later = until + timedelta(seconds=1)
    taken = await catalogue.links.claim(
        owner="c", now=later, until=later + timedelta(minutes=5), limit=100, per_host=100
    )
    assert {link.url for link in crashed} <= {link.url for link in taken}
    assert await catalogue.links.save_checked([crashed[0]], owner=owner) == 0  # lease gone


async def test_a_link_is_broken_after_two_failed_rounds_and_a_fix_clears_it(
    catalogue: Catalogue, server: LinkServer
) -> None:
    dead, good = server.url(HOSTS[0], "/flaky"), server.url(HOSTS[1], "/ok")
    server.routes["/flaky"] = answer(404)
    await catalogue.put(
        record("vmu:a", dead), record("hpu:b", dead), record("vmu:c", good), record("vmu:d", None)
    )
    await catalogue.members.save(
        Member(code="vmu", name="ĐH Hàng hải", website=dead), announce="created"
    )
    await catalogue.members.save(
        Member(code="off", name="X", website=dead, status=MemberStatus.SUSPENDED),
        announce="suspended",
    )
    await catalogue.sync()
    links = checker()
    config = SweepConfig(policy=LinkPolicy(retry=timedelta(0)))
    try:

        async def sweep() -> dict[str, LinkState]:
            done = await check_due(links=catalogue.links, checker=links, owner="o", config=config)
            return {link.url: link.state for link in done}

        assert await sweep() == {dead: LinkState.FAILING, good: LinkState.OK}
        assert await catalogue.links.broken_links("vmu") == []
        assert await sweep() == {dead: LinkState.BROKEN}  # the good link is not due again
        broken = await catalogue.links.broken_links("vmu")
        assert [(b.field, b.record_id, b.url, b.last_error) for b in broken] == [
            ("website", None, dead, "HTTP 404"),
            ("url", "vmu:a", dead, "HTTP 404"),
        ]
        assert broken[0].since is not None and broken[0].since <= datetime.now(UTC)
        assert [b.record_id for b in await catalogue.links.broken_links("hpu")] == ["hpu:b"]
        assert await catalogue.links.broken_links("off") == []
        assert await catalogue.links.count_broken() == 1

        server.routes["/flaky"] = answer(200)
        assert await sweep() == {dead: LinkState.OK}
        assert await catalogue.links.broken_links("vmu") == []
        assert await catalogue.links.count_broken() == 0
    finally:
        await links.close()


def test_a_broken_link_says_since_when_and_why_in_vietnamese_then_english() -> None:
    link = BrokenLink(
        record_id="vmu:a",
        field="url",
        url="http://a.vn/x",
        since=NOW,
        last_error="HTTP 404",
        last_checked_at=NOW,
    )
    assert link.message == (
        "Liên kết hỏng từ 01/05/2026: hai lần kiểm tra liên tiếp không thành công (HTTP 404) / "
        "broken link since 2026-05-01: two checks in a row failed (HTTP 404): http://a.vn/x"
    )


async def test_a_round_hands_back_what_it_cannot_start_within_its_lease(
    catalogue: Catalogue, server: LinkServer
) -> None:
    urls = [server.url(HOSTS[0], f"/ok?n={n}") for n in range(3)]
    await catalogue.put(*(record(f"vmu:r{n}", url) for n, url in enumerate(urls)))
    await catalogue.sync()
    links = checker()
    # 80 % of 0.9 s: the first two checks are taken up at once (the second then waits for
    # the host's turn at ~1 s); the third would be taken up at ~1 s, after the deadline.
    config = SweepConfig(lease=timedelta(seconds=0.9), per_host=3)
    try:
        done = await check_due(links=catalogue.links, checker=links, owner="o", config=config)
    finally:
        await links.close()
    assert len(done) == 2 and len(server.times(HOSTS[0])) == 2
    left = [link.url for link in await catalogue.claim()]
    assert left == sorted(set(urls) - {link.url for link in done})
