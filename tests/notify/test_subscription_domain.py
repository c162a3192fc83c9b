"""Saved searches' rules without I/O: periods, addresses, one id per search, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.notify.signing import InvalidToken, sign_claims, verify_claims
from services.notify.subscriptions import (
    Frequency,
    SavedSearch,
    SubscribeRequest,
    last_period_end,
    period_end_after,
    subscription_id,
)

HP = ZoneInfo("Asia/Ho_Chi_Minh")
WEDNESDAY_NOON = datetime(2026, 12, 2, 12, 0, tzinfo=HP)


def local(moment: datetime) -> datetime:
    return moment.astimezone(HP)


def test_a_daily_period_ends_at_the_next_scheduled_hour() -> None:
    end = local(period_end_after(WEDNESDAY_NOON, Frequency.DAILY, HP, "08:00"))
    assert (end.day, end.hour, end.minute) == (3, 8, 0)
    early = local(period_end_after(WEDNESDAY_NOON.replace(hour=7), Frequency.DAILY, HP, "08:00"))
    assert (early.day, early.hour) == (2, 8)


def test_a_weekly_period_ends_on_monday_morning() -> None:
    end = local(period_end_after(WEDNESDAY_NOON, Frequency.WEEKLY, HP, "08:00"))
    assert (end.weekday(), end.day, end.hour) == (0, 7, 8)
    on_monday = local(period_end_after(end, Frequency.WEEKLY, HP, "08:00"))
    assert on_monday - end == timedelta(days=7)


def test_missed_periods_become_one_digest() -> None:
    due = period_end_after(WEDNESDAY_NOON, Frequency.DAILY, HP, "08:00")
    upto = due + timedelta(days=3, hours=2)
    assert last_period_end(due, upto, Frequency.DAILY, HP, "08:00") == due + timedelta(days=3)
    assert last_period_end(due, due, Frequency.DAILY, HP, "08:00") == due


@pytest.mark.parametrize(
    "address", ["a@b", "@example.vn", "a b@example.vn", "a..b@example.vn", "a@-x.vn", "a@x_y.vn"]
)
def test_addresses_that_cannot_be_mailed_are_refused(address: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SubscribeRequest(email=address)
    assert caught.value.errors()[0]["loc"] == ("email",)


def test_addresses_are_lower_cased_and_international_domains_accepted() -> None:
    assert SubscribeRequest(email=" Ban.Doc@Example.VN ").email == "ban.doc@example.vn"
    assert SubscribeRequest(email="ban@thư-viện.vn").email == "ban@thư-viện.vn"


def test_the_same_search_in_another_order_is_the_same_subscription() -> None:
    one = SavedSearch(q="tom", member=["vmu", "hpu"], kind=["database", "publication"])
    two = SavedSearch(q="tom", member=["hpu", "vmu", "hpu"], kind=["publication", "database"])
    assert subscription_id(b"k", "a@b.vn", one) == subscription_id(b"k", "a@b.vn", two)
    assert subscription_id(b"k", "a@b.vn", one) != subscription_id(b"k", "c@b.vn", one)


def test_tokens_are_bound_to_their_purpose_and_expire() -> None:
    now = datetime.now(UTC)
    token = sign_claims(
        b"secret", "subscription-confirm", {"s": "x", "e": int(now.timestamp()) + 60}
    )
    assert verify_claims(b"secret", "subscription-confirm", token, now=now)["s"] == "x"
    with pytest.raises(InvalidToken):
        verify_claims(b"secret", "subscription-unsubscribe", token, now=now)
    with pytest.raises(InvalidToken) as expired:
        verify_claims(b"secret", "subscription-confirm", token, now=now + timedelta(minutes=2))
    assert expired.value.reason == "expired"
