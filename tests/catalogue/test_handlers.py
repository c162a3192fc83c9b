"""The catalogue's use cases through fakes of its own ports."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.catalogue import handlers
from services.catalogue.domain import LinkState, shape_stats
from services.catalogue.pipeline import BatchGate
from shared.events import (
    Member,
    MemberChanged,
    MemberStatus,
    Outcome,
    RecordsSubmitted,
    SubmittedItem,
)
from shared.records import RecordIn
from tests.catalogue.fakes import FakeMemberStore, FakePublisher, FakeRecordStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.records = FakeRecordStore()
        self.members = FakeMemberStore(
            Member(code="vmu", name="Đại học Hàng hải"),
            Member(code="hpu", name="Đại học Hải Phòng"),
            Member(code="old", name="Thư viện cũ", status=MemberStatus.SUSPENDED),
        )
        self.publisher = FakePublisher()
        self.clock = T0

    async def submit(
        self, member: str, *items: SubmittedItem, sid: str = "s1", batch_no: int = 0,
        submitted_at: datetime | None = None,
    ) -> list[tuple[str, Outcome, int | None]]:  # fmt: skip
        event = RecordsSubmitted(
            submission_id=sid,
            member=member,
            batch_no=batch_no,
            batch_count=batch_no + 1,
            submitted_at=submitted_at or self.clock,
            items=list(items),
        )
        self.clock += timedelta(minutes=1)
        processed = await handlers.store_submission(
            event,
            records=self.records,
            members=self.members,
            publisher=self.publisher,
            now=self.clock,
        )
        return [(o.local_id, o.outcome, o.version) for o in processed.outcomes]

    def record(self, rid: str) -> Any:
        return self.records.records[rid].record


def upsert(local_id: str, index: int = 0, **fields: Any) -> SubmittedItem:
    data = {"local_id": local_id, "kind": "publication", "title": f"Tài liệu {local_id}", **fields}
    return SubmittedItem(index=index, local_id=local_id, record=RecordIn(**data))


def op(name: str, local_id: str, index: int = 0) -> SubmittedItem:
    return SubmittedItem(index=index, op=name, local_id=local_id)


@pytest.fixture
def world() -> World:
    return World()


async def test_a_new_record_is_created_at_version_1_and_announced(world: World) -> None:
    assert await world.submit("vmu", upsert("a")) == [("a", Outcome.CREATED, 1)]
    assert world.publisher.changes() == [("vmu:a", "created", 1)]
    assert world.record("vmu:a").source == "api"


async def test_the_same_content_again_keeps_the_version(world: World) -> None:
    await world.submit("vmu", upsert("a"), sid="s1")
    world.publisher.clear()
    assert await world.submit("vmu", upsert("a"), sid="s2") == [("a", Outcome.UNCHANGED, 1)]
    assert world.publisher.changes() == []


async def test_a_composed_resubmission_of_decomposed_text_is_unchanged(world: World) -> None:
    import unicodedata

    await world.submit("vmu", upsert("a", title=unicodedata.normalize("NFD", "Hàng hải")), sid="1")
    assert await world.submit("vmu", upsert("a", title="Hàng  hải"), sid="2") == [
        ("a", Outcome.UNCHANGED, 1)
    ]


async def test_a_content_change_bumps_the_version_and_history_lists_the_fields(
    world: World,
) -> None:
    await world.submit("vmu", upsert("a", year=2020), sid="s1")
    assert await world.submit("vmu", upsert("a", year=2021, publisher="NXB"), sid="s2") == [
        ("a", Outcome.UPDATED, 2)
    ]
    history = await handlers.record_history("vmu:a", records=world.records)
    assert [(h.version, h.change.value, h.fields) for h in history] == [
        (1, "created", ["kind", "language", "local_id", "title", "year"]),
        (2, "updated", ["publisher", "year"]),
    ]
    assert history[1].at > history[0].at and history[1].submission_id == "s2"


async def test_withdraw_and_restore_are_versions_that_reach_the_change_stream(
    world: World,
) -> None:
    await world.submit("vmu", upsert("a"), sid="s1")
    assert await world.submit("vmu", op("withdraw", "a"), sid="s2") == [("a", Outcome.WITHDRAWN, 2)]
    assert world.record("vmu:a").status == "withdrawn"
    assert await world.submit("vmu", op("withdraw", "a"), sid="s3") == [("a", Outcome.UNCHANGED, 2)]
    assert await world.submit("vmu", op("restore", "a"), sid="s4") == [("a", Outcome.RESTORED, 3)]
    assert [c[1] for c in world.publisher.changes()] == ["created", "withdrawn", "restored"]
    updated = [h.at for h in await handlers.record_history("vmu:a", records=world.records)]
    assert world.record("vmu:a").updated_at == updated[-1]


async def test_withdrawing_an_unknown_record_is_rejected(world: World) -> None:
    [(_, outcome, _)] = await world.submit("vmu", op("withdraw", "nope"))
    assert outcome is Outcome.REJECTED


async def test_an_invalid_isbn_is_a_warning_the_record_is_stored_with_its_problem(
    world: World,
) -> None:
    await world.submit("vmu", upsert("bad", identifiers={"isbn": "0306406153"}), upsert("ok", 1))
    processed = world.publisher.processed()[-1]
    assert [(o.local_id, o.outcome) for o in processed.outcomes] == [
        ("bad", Outcome.CREATED),
        ("ok", Outcome.CREATED),
    ]
    [isbn] = [w for w in processed.outcomes[0].warnings if w.code == "invalid_isbn"]
    assert isbn.loc == ["identifiers", "isbn"]
    stored = world.record("vmu:bad")
    assert stored.identifiers == {}
    assert stored.invalid_identifiers == {"isbn": ["0306406153"]}
    assert "invalid_isbn" in {p.code for p in stored.problems}
    assert not any(k.startswith("isbn:") for k in world.records.records["vmu:bad"].keys)


async def test_a_redelivered_batch_answers_the_same_and_changes_nothing(world: World) -> None:
    first = await world.submit("vmu", upsert("a"), upsert("b", 1), sid="s1", submitted_at=T0)
    saves = world.records.save_calls
    again = await world.submit("vmu", upsert("a"), upsert("b", 1), sid="s1", submitted_at=T0)
    assert again == first
    assert world.records.save_calls == saves
    assert world.record("vmu:a").version == 1
    # the changes are announced again (consumers are idempotent by version)
    assert world.publisher.changes()[-2:] == [("vmu:a", "created", 1), ("vmu:b", "created", 1)]


async def test_a_redelivery_after_a_crash_before_the_outcome_was_kept_answers_the_same(
    world: World,
) -> None:
    first = await world.submit("vmu", upsert("a"), sid="s1", submitted_at=T0)
    world.records.batches.clear()  # as if the process died after storing the records
    world.publisher.clear()
    assert await world.submit("vmu", upsert("a"), sid="s1", submitted_at=T0) == first
    assert world.publisher.changes() == [("vmu:a", "created", 1)]
    assert world.record("vmu:a").version == 1


async def test_an_older_message_never_overwrites_a_newer_version(world: World) -> None:
    await world.submit("vmu", upsert("a", year=2022), sid="new", submitted_at=T0 + timedelta(1))
    stale = await world.submit("vmu", upsert("a", year=2019), sid="old", submitted_at=T0)
    assert stale == [("a", Outcome.UNCHANGED, 1)]
    assert world.record("vmu:a").year == 2022


async def test_within_a_batch_the_later_item_wins(world: World) -> None:
    outcomes = await world.submit("vmu", upsert("a", 0, year=2001), upsert("a", 1, year=2002))
    assert outcomes == [("a", Outcome.CREATED, 1), ("a", Outcome.UPDATED, 2)]
    assert world.record("vmu:a").year == 2002
    assert world.publisher.changes() == [("vmu:a", "created", 2)]


async def test_unknown_and_suspended_members_are_rejected_with_a_clear_error(
    world: World,
) -> None:
    for member in ("ghost", "old"):
        [(_, outcome, _)] = await world.submit(member, upsert("a"))
        assert outcome is Outcome.REJECTED
        assert member in world.publisher.processed()[-1].outcomes[0].errors[0].msg
    assert world.records.records == {}


@pytest.mark.parametrize(
    ("left", "right", "reason"),
    [
        ({"identifiers": {"doi": "10.1000/x"}},
         {"identifiers": {"doi": "https://doi.org/10.1000/X"}}, "doi"),
        ({"identifiers": {"isbn": "0306406152"}},
         {"identifiers": {"isbn": "978-0-306-40615-7"}}, "isbn"),
        ({"identifiers": {"issn": "0317-8471"}}, {"identifiers": {"issn": "03178471"}}, "issn"),
        ({"url": "https://www.example.vn/csdl/"}, {"url": "http://example.vn/csdl"}, "url"),
        ({"title": "Kinh tế biển", "creators": ["Lê Văn B"], "year": 2020},
         {"title": "KINH TE BIEN", "creators": ["le van b"], "year": 2020}, "work"),
    ],
)  # fmt: skip
async def test_records_of_two_members_sharing_an_identifier_are_linked(
    world: World, left: dict[str, Any], right: dict[str, Any], reason: str
) -> None:
    await world.submit("vmu", upsert("x", **{"title": "Một", **left}), sid="1")
    await world.submit("hpu", upsert("y", **{"title": "Hai", **right}), sid="2")
    assert world.record("vmu:x").also_held_by == ["hpu:y"]
    assert world.record("hpu:y").also_held_by == ["vmu:x"]
    [link] = world.records.links.values()
    assert link.reasons == [reason]
    # the earlier record is announced as linked, with its version unchanged
    assert ("vmu:x", "linked", 1) in world.publisher.changes()


async def test_the_same_member_twice_or_different_titles_are_not_linked(world: World) -> None:
    await world.submit(
        "vmu", upsert("x", title="A", year=2020), upsert("y", 1, title="A", year=2020)
    )
    await world.submit("hpu", upsert("z", title="B", year=2020), sid="2")
    assert world.records.links == {}


async def test_a_rejected_pair_stays_rejected_on_later_updates(world: World) -> None:
    await world.submit("vmu", upsert("x", identifiers={"isbn": "0306406152"}), sid="1")
    await world.submit("hpu", upsert("y", identifiers={"isbn": "0306406152"}), sid="2")
    a, b = await handlers.decide_link(
        "vmu:x", "hpu:y", LinkState.REJECTED, records=world.records, publisher=world.publisher
    )
    assert a.also_held_by == b.also_held_by == []
    await world.submit("hpu", upsert("y", identifiers={"isbn": "0306406152"}, year=2001), sid="3")
    assert world.record("hpu:y").version == 2
    assert world.record("hpu:y").also_held_by == []
    assert world.record("vmu:x").also_held_by == []


async def test_the_centre_can_confirm_a_link_the_keys_do_not_show(world: World) -> None:
    await world.submit("vmu", upsert("x", title="Cảng biển"), sid="1")
    await world.submit("hpu", upsert("y", title="Port"), sid="2")
    await handlers.decide_link(
        "vmu:x", "hpu:y", LinkState.CONFIRMED, records=world.records, publisher=world.publisher
    )
    await world.submit("hpu", upsert("y", title="Port (2nd ed.)"), sid="3")
    assert world.record("hpu:y").also_held_by == ["vmu:x"]


async def test_a_changed_identifier_drops_the_automatic_link(world: World) -> None:
    await world.submit("vmu", upsert("x", identifiers={"doi": "10.1000/x"}), sid="1")
    await world.submit("hpu", upsert("y", identifiers={"doi": "10.1000/x"}), sid="2")
    await world.submit("hpu", upsert("y", identifiers={"doi": "10.1000/other"}), sid="3")
    assert world.records.links == {}
    assert world.record("vmu:x").also_held_by == []


async def test_a_withdrawn_holding_disappears_from_also_held_by_and_comes_back(
    world: World,
) -> None:
    await world.submit("vmu", upsert("x", identifiers={"doi": "10.1000/x"}), sid="1")
    await world.submit("hpu", upsert("y", identifiers={"doi": "10.1000/x"}), sid="2")
    await world.submit("hpu", op("withdraw", "y"), sid="3")
    assert world.record("vmu:x").also_held_by == []
    await world.submit("hpu", op("restore", "y"), sid="4")
    assert world.record("vmu:x").also_held_by == ["hpu:y"]


async def test_stats_count_holdings_and_half_yearly_activity(world: World) -> None:
    await world.submit("vmu", upsert("a", year=2020), upsert("b", 1, year=2021), sid="1")
    await world.submit("vmu", upsert("a", year=2019), sid="2")
    await world.submit("hpu", upsert("c", kind="website"), sid="3")
    raw = await world.records.stats()
    stats = shape_stats(raw["holdings"], raw["activity"], raw["monthly"])
    assert stats["records"]["by_member"] == {"hpu": 1, "vmu": 2}
    assert stats["records"]["by_kind"] == {"publication": 2, "website": 1}
    assert stats["records"]["by_year"] == {"2019": 1, "2021": 1, "unknown": 1}
    assert {(r["member"], r["period"], r["added"], r["updated"]) for r in stats["half_years"]} == {
        ("hpu", "2026-H1", 1, 0),
        ("vmu", "2026-H1", 2, 1),
    }
    month = T0.astimezone(UTC).strftime("%Y-%m")
    assert {(r["member"], r["month"], r["added"], r["updated"]) for r in stats["months"]} == {
        ("hpu", month, 1, 0),
        ("vmu", month, 2, 1),
    }


async def test_replay_republishes_every_record_and_member_in_batches(world: World) -> None:
    items = [upsert(f"r{i:04d}", i) for i in range(500)]
    await world.submit("vmu", *items, sid="1")
    await world.submit("hpu", upsert("z"), sid="2")
    world.publisher.clear()
    result = await handlers.replay(
        records=world.records, members=world.members, publisher=world.publisher
    )
    assert result == {"records": 501, "batches": 2, "members": 3}
    assert all(kind == "replayed" for _, kind, _ in world.publisher.changes())
    assert len(world.publisher.changes()) == 501


async def test_members_are_created_updated_and_suspended_with_events(world: World) -> None:
    member = Member(code="vimaru-lib", name="Thư viện", contact_email="tv@vimaru.edu.vn")
    saved, change = await handlers.save_member(
        member, members=world.members, publisher=world.publisher
    )
    assert (saved.version, change) == (1, "created")
    same, change = await handlers.save_member(
        member, members=world.members, publisher=world.publisher
    )
    assert (same.version, change) == (1, None)
    renamed = member.model_copy(update={"name_en": "Library"})
    saved, change = await handlers.save_member(
        renamed, members=world.members, publisher=world.publisher
    )
    assert (saved.version, change) == (2, "updated")
    suspended = await handlers.suspend_member(
        "vimaru-lib", members=world.members, publisher=world.publisher
    )
    assert suspended.status is MemberStatus.SUSPENDED
    kinds = [e.change for e in world.publisher.events]  # type: ignore[attr-defined]
    assert kinds == ["created", "updated", "suspended"]


class YieldingRecordStore(FakeRecordStore):
    """The fake store, but every call yields to the event loop like a real round trip."""

    def __getattribute__(self, name: str) -> Any:
        attr = super().__getattribute__(name)
        if name.startswith("_") or not asyncio.iscoroutinefunction(attr):
            return attr

        async def after_a_round_trip(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0)
            result = await attr(*args, **kwargs)
            await asyncio.sleep(0)
            return result

        return after_a_round_trip


async def test_overlapping_batches_through_one_gate_end_as_if_one_after_the_other(
    world: World,
) -> None:
    world.records = YieldingRecordStore()
    gate = BatchGate()

    def event(member: str, sid: str, minute: int, *items: SubmittedItem) -> RecordsSubmitted:
        return RecordsSubmitted(
            submission_id=sid, member=member, batch_no=0, batch_count=1,
            submitted_at=T0 + timedelta(minutes=minute), items=list(items),
        )  # fmt: skip

    isbn = {"identifiers": {"isbn": "0306406152"}}
    batches = [
        event("vmu", "1", 1, upsert("x", **isbn), upsert("a", 1)),
        event("hpu", "2", 2, upsert("y", title="Khác", **isbn)),  # same work as vmu:x
        event("vmu", "3", 3, upsert("a", title="Sửa lần một")),  # shares vmu:a with batch 1
        event("vmu", "4", 4, upsert("a", title="Sửa lần hai")),
    ]
    ports = {"records": world.records, "members": world.members, "publisher": world.publisher}
    await asyncio.gather(
        *(handlers.store_submission(e, **ports, now=T0, gate=gate) for e in batches)  # type: ignore[arg-type]
    )
    assert world.record("vmu:x").also_held_by == ["hpu:y"]
    assert world.record("hpu:y").also_held_by == ["vmu:x"]
    assert (world.record("vmu:a").title, world.record("vmu:a").version) == ("Sửa lần hai", 3)
    versions = [v for rid, _, v in world.publisher.changes() if rid == "vmu:a"]
    assert versions == [1, 2, 3]  # announced in the order they were stored
    assert gate.idle


async def test_a_member_change_whose_publish_fails_is_relayed_not_lost(world: World) -> None:
    member = Member(code="vimaru-lib", name="Thư viện")
    world.publisher.down = True
    saved, change = await handlers.save_member(
        member, members=world.members, publisher=world.publisher
    )
    assert change == "created" and await world.members.get("vimaru-lib") == saved
    # The caller's retry finds nothing to change: only the outbox still knows.
    _, retried = await handlers.save_member(
        member, members=world.members, publisher=world.publisher
    )
    assert retried is None and world.publisher.events == []

    world.publisher.down = False
    sent = await handlers.relay_member_changes(members=world.members, publisher=world.publisher)
    assert sent == 1
    [event] = world.publisher.events
    assert isinstance(event, MemberChanged)
    assert (event.change, event.member.code, event.member.version) == ("created", "vimaru-lib", 1)
    again = await handlers.relay_member_changes(members=world.members, publisher=world.publisher)
    assert again == 0
