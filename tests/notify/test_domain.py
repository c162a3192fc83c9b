"""The freshness rules, without I/O: states, stages, cycles, training, signed links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notify import domain
from services.notify.domain import Channel, MemberFacts, State
from services.notify.signing import (
    InvalidToken,
    sign_attest_token,
    verify_attest_token,
    webhook_signature,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
JOINED = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def facts(**kw: object) -> MemberFacts:
    base: dict[str, object] = {
        "code": "vmu",
        "name": "Đại học Hàng hải",
        "contact_email": "lib@vmu.edu.vn",
        "joined_at": JOINED,
    }
    return MemberFacts(**(base | kw))  # type: ignore[arg-type]


def test_due_date_is_six_calendar_months_after_the_last_update() -> None:
    # relativedelta clamps to the end of the month: 31 Jan + 6 months = 31 Jul.
    assert domain.due_at(facts()) == datetime(2026, 7, 31, 12, 0, tzinfo=UTC)
    assert domain.due_at(facts(cycle_months=3)) == datetime(2026, 4, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "state"),
    [
        (timedelta(days=-15), State.OK),
        (timedelta(days=-14), State.DUE_SOON),
        (timedelta(seconds=-1), State.DUE_SOON),
        (timedelta(0), State.OVERDUE),
        (timedelta(days=29, hours=23), State.OVERDUE),
        (timedelta(days=30), State.ESCALATED),
    ],
)
def test_state_changes_at_the_documented_boundaries(offset: timedelta, state: State) -> None:
    member = facts()
    due = domain.due_at(member)
    assert due is not None
    assert domain.freshness(member, due + offset).state is state


def test_latest_of_record_update_and_attestation_counts_over_joining() -> None:
    later = JOINED + timedelta(days=40)
    assert domain.last_update_at(facts(last_record_update_at=later)) == later
    both = facts(last_record_update_at=later, last_attested_at=later + timedelta(days=1))
    assert domain.last_update_at(both) == later + timedelta(days=1)
    unknown_join = facts(joined_at=None, first_seen_at=JOINED)
    assert domain.last_update_at(unknown_join) == JOINED


def test_stage_is_the_latest_reached_and_overdue_reminders_are_capped() -> None:
    due = datetime(2026, 7, 31, tzinfo=UTC)
    assert domain.update_stage(due, due - timedelta(days=20)) is None
    assert domain.update_stage(due, due - timedelta(days=3)) == "due_soon"
    assert domain.update_stage(due, due + timedelta(days=6)) == "due"
    assert domain.update_stage(due, due + timedelta(days=7)) == "overdue-1"
    assert domain.update_stage(due, due + timedelta(days=27)) == "overdue-3"
    assert domain.update_stage(due, due + timedelta(days=300)) == "overdue-4"


def test_reminder_keys_name_member_cycle_stage_and_channel() -> None:
    member = facts(webhook_url="https://vmu.edu.vn/hook")
    due = domain.due_at(member)
    assert due is not None
    planned = domain.member_reminders(
        member, due + timedelta(days=31), centre_email="tt@hp.vn", tz=HANOI
    )
    keys = {p.key for p in planned}
    assert "vmu/2026-07-31/overdue-4/email" in keys
    assert "vmu/2026-07-31/overdue-4/webhook" in keys
    assert "vmu/2026-07-31/escalated/email" in keys
    escalation = next(p for p in planned if p.stage == "escalated")
    assert escalation.recipient == "tt@hp.vn" and escalation.channel is Channel.EMAIL


def test_an_update_starts_a_new_cycle_and_supersedes_the_old_one() -> None:
    member = facts()
    assert domain.is_current(member, "2026-07-31", HANOI)
    updated = facts(last_record_update_at=datetime(2026, 8, 5, tzinfo=UTC))
    assert not domain.is_current(updated, "2026-07-31", HANOI)
    assert domain.freshness(updated, datetime(2026, 8, 6, tzinfo=UTC)).state is State.OK


def test_suspended_members_are_not_reminded() -> None:
    member = facts(active=False)
    late = JOINED + timedelta(days=400)
    assert domain.member_reminders(member, late, centre_email="c@x", tz=HANOI) == []
    assert domain.evaluate([member], late, centre_email="c@x", tz=HANOI).counts()["escalated"] == 0


def test_training_duty_is_met_for_twelve_months_after_an_event() -> None:
    event = datetime(2026, 3, 1, tzinfo=UTC)
    member = facts(last_training_at=event)
    assert domain.freshness(member, event + timedelta(days=364)).training_met
    late = domain.freshness(member, event + timedelta(days=366))
    assert not late.training_met
    planned = domain.member_reminders(
        member, event + timedelta(days=366), centre_email="c@x", tz=HANOI
    )
    assert [p.key for p in planned if p.stage == "training"] == [
        "vmu/training-2027-03-01/training/email"
    ]
    never = domain.freshness(facts(), JOINED + timedelta(days=10))
    assert not never.training_met


def test_digest_is_once_per_iso_week_in_local_time() -> None:
    # Sunday 23:30 UTC is already Monday in Hai Phong (UTC+7): a new week.
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert domain.digest_week(sunday_night, HANOI) == "2026-W49"
    assert domain.digest_week(sunday_night - timedelta(hours=8), HANOI) == "2026-W48"


def test_daily_run_is_due_after_the_local_time() -> None:
    day, at = domain.next_daily_run(datetime(2026, 11, 26, 0, 30, tzinfo=UTC), "08:00", HANOI)
    assert str(day) == "2026-11-26"
    assert at == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def test_attest_token_round_trip_tamper_and_expiry() -> None:
    secret = b"s" * 32
    now = datetime(2026, 11, 26, tzinfo=UTC)
    token = sign_attest_token(secret, key="vmu/2026-07-31/due/email", member="vmu", issued_at=now)
    claim = verify_attest_token(secret, token, now=now + timedelta(days=1))
    assert (claim.member, claim.key) == ("vmu", "vmu/2026-07-31/due/email")
    payload, _, mac = token.partition(".")
    forged = sign_attest_token(secret, key="x", member="hpu", issued_at=now).split(".")[0]
    for bad in (f"{forged}.{mac}", f"{payload}.{mac[:-2]}AA", "garbage", ""):
        with pytest.raises(InvalidToken):
            verify_attest_token(secret, bad, now=now)
    with pytest.raises(InvalidToken) as expired:
        verify_attest_token(secret, token, now=now + timedelta(days=61))
    assert expired.value.reason == "expired"
    with pytest.raises(InvalidToken):
        verify_attest_token(b"other" * 8, token, now=now)


def test_webhook_signature_is_hmac_sha256_of_the_body() -> None:
    import hashlib
    import hmac

    body = b'{"key":"k"}'
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert webhook_signature("secret", body) == f"sha256={expected}"
