"""The demo data of ``make run``: real members, enough valid Vietnamese records, every state."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta

from devstack.demo.loader import demo_digest
from devstack.demo.members import MEMBERS
from devstack.demo.records import all_records, isbn13_check_digit, issn_check_digit
from shared.events import Member
from shared.records import RecordIn


def test_at_least_eight_members_of_every_kind_of_organisation() -> None:
    assert len(MEMBERS) >= 8
    types = {m.type for m in MEMBERS}
    assert {"university", "library", "institute", "hospital", "agency"} <= types
    now = datetime.now(UTC)
    for member in MEMBERS:
        Member.model_validate(member.payload(now))
        assert member.name != member.name_en


def test_at_least_two_hundred_valid_records_across_all_five_kinds() -> None:
    records = [r for recs in all_records().values() for r in recs]
    assert len(records) >= 200
    assert set(Counter(r["kind"] for r in records)) == {
        "database",
        "publication",
        "website",
        "service",
        "training",
    }
    for record in records:
        RecordIn.model_validate(record)
    per_member = Counter(
        (code, r["local_id"]) for code, recs in all_records().items() for r in recs
    )
    assert max(per_member.values()) == 1, "local ids repeat within a member"


def test_urls_are_under_the_members_domain() -> None:
    domains = {m.code: m.domain for m in MEMBERS}
    for code, records in all_records().items():
        for record in records:
            assert record["url"].startswith(f"https://{domains[code]}/")


def test_isbns_and_issns_have_valid_check_digits() -> None:
    seen = 0
    for records in all_records().values():
        for record in records:
            ids = record.get("identifiers", {})
            if "isbn" in ids:
                digits = ids["isbn"].replace("-", "")
                assert re.fullmatch(r"978604\d{7}", digits)
                assert isbn13_check_digit(digits[:12]) == digits[12]
                seen += 1
            if "issn" in ids:
                digits = ids["issn"].replace("-", "")
                assert issn_check_digit(digits[:7]) == digits[7]
                seen += 1
    assert seen >= 50
    assert issn_check_digit("0317847") == "1"  # ISSN 0317-8471, the standard's own example
    assert isbn13_check_digit("978030640615") == "7"  # ISBN 978-0-306-40615-7


def test_training_events_have_times_and_places() -> None:
    trainings = [r for recs in all_records().values() for r in recs if r["kind"] == "training"]
    assert trainings
    for record in trainings:
        assert record["starts_at"] < record["ends_at"] and record["location"]


def test_three_members_without_records_fall_in_each_late_state() -> None:
    now = datetime.now(UTC)
    idle = {m.joined: m for m in MEMBERS if not m.has_records}
    assert set(idle) == {"due_soon", "overdue", "escalated"}
    assert not any(all_records().get(m.code) for m in idle.values())
    due = {state: m.joined_at(now) + relativedelta(months=6) for state, m in idle.items()}
    assert now < due["due_soon"] <= now + relativedelta(days=14)
    assert now - relativedelta(days=30) < due["overdue"] < now
    assert due["escalated"] <= now - relativedelta(days=30)


def test_the_demo_is_deterministic_so_a_second_run_changes_nothing() -> None:
    assert all_records() == all_records()
    assert demo_digest() == demo_digest()
