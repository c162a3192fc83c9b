"""Following a search by e-mail (issue 17): the saved search, its periods, its mails; no I/O.

A person subscribes with an e-mail address and a search (query and filters, as
``/v1/search`` takes them), confirms by a signed link (double opt-in), then gets one digest
per period listing only the records added since the previous one; every digest carries a
one-click unsubscribe link (RFC 8058). Nothing but the address and the search is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.records import Kind, MemberCode

CONFIRM_TTL = timedelta(days=7)
DIGEST_ITEMS = 20  # records listed in one digest; the rest behind "see all"
SUBSCRIBER = "_subscriber:"  # an outbox entry's ``member`` for a saved search's mail
PURPOSE_CONFIRM = "subscription-confirm"
PURPOSE_UNSUBSCRIBE = "subscription-unsubscribe"
MAX_VALUES = 20

KIND_VI = {
    Kind.DATABASE: "cơ sở dữ liệu",
    Kind.PUBLICATION: "ấn phẩm",
    Kind.WEBSITE: "website",
    Kind.SERVICE: "dịch vụ",
    Kind.TRAINING: "đào tạo",
}

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _email(value: str) -> str:
    """A deliverable-looking address, lower-cased: ``local@domain.tld`` (IDN allowed)."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or len(text) > 254 or not _LOCAL.match(local) or ".." in local:
        raise ValueError("not an e-mail address")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError("not an e-mail address") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("not an e-mail address")
    return f"{local.lower()}@{domain.lower()}"


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class SavedSearch(BaseModel):
    """A search's query and filters, with the limits ``/v1/search`` holds them to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    kind: list[Kind] = Field(default_factory=list, max_length=MAX_VALUES)
    member: list[MemberCode] = Field(default_factory=list, max_length=MAX_VALUES)
    subject: list[Subject] = Field(default_factory=list, max_length=MAX_VALUES)
    language: list[Language] = Field(default_factory=list, max_length=MAX_VALUES)
    year_from: int | None = Field(default=None, ge=0, le=9999)
    year_to: int | None = Field(default=None, ge=0, le=9999)

    def canonical(self) -> SavedSearch:
        """The same search with its lists sorted and de-duplicated (one subscription per search)."""
        return self.model_copy(
            update={
                name: sorted(dict.fromkeys(getattr(self, name)))
                for name in ("kind", "member", "subject", "language")
            }
        )

    def params(self) -> list[tuple[str, str]]:
        """As query-string pairs (the portal, the feed and ``/v1/search`` read them alike)."""
        pairs: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        pairs += [("kind", k.value) for k in self.kind]
        for name in ("member", "subject", "language"):
            pairs += [(name, v) for v in getattr(self, name)]
        for name in ("year_from", "year_to"):
            if getattr(self, name) is not None:
                pairs.append((name, str(getattr(self, name))))
        return pairs

    def label(self, english: bool) -> str:
        """What the search is, in a few words: “nuôi tôm” · ấn phẩm · vimn · 2020–2024."""
        parts = [f"“{self.q}”" if self.q else ("all resources" if english else "mọi tài nguyên")]
        parts += [k.value if english else KIND_VI[k] for k in self.kind]
        parts += self.member + self.subject + self.language
        if self.year_from is not None or self.year_to is not None:
            parts.append(f"{self.year_from or ''}–{self.year_to or ''}")
        return " · ".join(parts)


class SubscribeRequest(SavedSearch):
    """``POST /v1/subscriptions`` and the subscribe form: an address, a search, how often."""

    email: Email
    frequency: Frequency = Frequency.DAILY
    lang: Literal["vi", "en"] = "vi"

    def search(self) -> SavedSearch:
        return SavedSearch.model_validate(
            self.model_dump(include=set(SavedSearch.model_fields))
        ).canonical()


class Status(StrEnum):
    PENDING = "pending"  # asked for, not yet confirmed
    ACTIVE = "active"


@dataclass(frozen=True)
class Subscription:
    id: str
    email: str
    search: SavedSearch
    frequency: Frequency
    lang: str
    status: Status
    requested_at: datetime
    confirmed_at: datetime | None = None
    watermark: datetime | None = None  # records added from here on are new
    due_at: datetime | None = None  # the end of the current period


def subscription_id(secret: bytes, email: str, search: SavedSearch) -> str:
    """One id per (address, search): asking twice finds the same subscription."""
    body = email.encode() + b"\n" + orjson.dumps(search.canonical().model_dump(mode="json"))
    return hmac.new(secret, b"subscription\n" + body, hashlib.sha256).hexdigest()[:32]


def address_key(secret: bytes, email: str) -> str:
    """The address as the rate limiter counts it: a keyed hash, never the address itself."""
    return hmac.new(secret, b"subscribe-rate\n" + email.encode(), hashlib.sha256).hexdigest()[:32]


# ---- periods ------------------------------------------------------------------------------


def period_end_after(moment: datetime, frequency: Frequency, tz: ZoneInfo, at: str) -> datetime:
    """The first digest instant after ``moment``: every day at ``at`` (local), or Mondays."""
    hour, minute = (int(part) for part in at.split(":"))
    local = moment.astimezone(tz)
    day = local.date()
    while True:
        candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if candidate > local and (frequency is Frequency.DAILY or candidate.weekday() == 0):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


def last_period_end(
    due_at: datetime, upto: datetime, frequency: Frequency, tz: ZoneInfo, at: str
) -> datetime:
    """The latest period end not after ``upto`` (≥ ``due_at``): missed periods become one."""
    end = due_at
    while (following := period_end_after(end, frequency, tz, at)) <= upto:
        end = following
    return end


# ---- mails --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddedRecord:
    id: str
    title: str
    member: str
    member_name: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Added:
    """What ``/v1/search`` found added to a search in one period."""

    total: int
    records: list[AddedRecord]


@dataclass(frozen=True)
class SubscriptionLinks:
    portal: str  # the search's results on the portal
    feed: str  # its Atom feed
    unsubscribe: str  # one click, no sign-in
    record: str  # the portal's record page prefix: record + id


@dataclass(frozen=True)
class Mail:
    subject: str
    text_vi: str
    text_en: str


def portal_links(portal: str, search: SavedSearch) -> tuple[str, str]:
    """The search's results (newest additions first) and its feed on the portal."""
    pairs = search.params()
    return (
        f"{portal}/?{urlencode([*pairs, ('sort', 'created')])}",
        f"{portal}/feeds/search.atom" + (f"?{urlencode(pairs)}" if pairs else ""),
    )


def _day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d/%m/%Y")


def _subject(vi: str, en: str, lang: str) -> str:
    return f"[STINET] {en} — {vi}" if lang == "en" else f"[STINET] {vi} — {en}"


def confirm_mail(
    search: SavedSearch, frequency: Frequency, lang: str, confirm_url: str, tz: ZoneInfo
) -> Mail:
    """Double opt-in: nothing is sent until the link is followed."""
    every_vi = "mỗi ngày một thư" if frequency is Frequency.DAILY else "mỗi tuần một thư (thứ Hai)"
    every_en = "one e-mail a day" if frequency is Frequency.DAILY else "one e-mail a week (Monday)"
    text_vi = (
        f"Ai đó (có lẽ là bạn) đã đăng ký nhận thư khi có tài nguyên mới cho tìm kiếm "
        f"{search.label(False)} trên Cổng tra cứu chỉ dẫn chung, {every_vi}.\n\n"
        f"Để xác nhận, hãy mở liên kết sau (hết hạn sau {CONFIRM_TTL.days} ngày):\n"
        f"{confirm_url}\n\n"
        "Nếu bạn không đăng ký, hãy bỏ qua thư này: bạn sẽ không nhận thêm thư nào.\n\n"
        "Trung tâm Thông tin KH&CN Hải Phòng\n"
    )
    text_en = (
        f"Someone (probably you) asked to be e-mailed when new resources match the search "
        f"{search.label(True)} on the common directory search, {every_en}.\n\n"
        f"To confirm, open this link (it expires in {CONFIRM_TTL.days} days):\n{confirm_url}\n\n"
        "If this was not you, ignore this e-mail: nothing more will be sent.\n\n"
        "The Hai Phong S&T Information Centre\n"
    )
    return Mail(
        _subject("Xác nhận theo dõi tìm kiếm", "Confirm following a search", lang),
        text_vi,
        text_en,
    )


def _lines(added: Added, links: SubscriptionLinks) -> str:
    out = []
    for number, item in enumerate(added.records, 1):
        details = ", ".join(p for p in (item.member_name or item.member, str(item.year or "")) if p)
        out.append(f"{number}. {item.title} — {details}\n   {links.record}{item.id}")
    return "\n".join(out)


def digest_mail(
    sub: Subscription,
    added: Added,
    *,
    since: datetime,
    until: datetime,
    links: SubscriptionLinks,
    tz: ZoneInfo,
) -> Mail:
    """One period's new records for a saved search (never sent when there are none)."""
    label_vi, label_en = sub.search.label(False), sub.search.label(True)
    span = f"{_day(since, tz)} – {_day(until, tz)}"
    listed = _lines(added, links)
    more = added.total - len(added.records)
    more_vi = f"\n… và {more} tài nguyên khác.\n" if more > 0 else ""
    more_en = f"\n… and {more} more.\n" if more > 0 else ""
    every_vi = "mỗi ngày" if sub.frequency is Frequency.DAILY else "mỗi tuần"
    every_en = "daily" if sub.frequency is Frequency.DAILY else "weekly"
    text_vi = (
        f"Tìm kiếm {label_vi} có {added.total} tài nguyên mới ({span}):\n\n{listed}\n{more_vi}\n"
        f"Xem tất cả: {links.portal}\nNguồn tin Atom: {links.feed}\n\n"
        f"Bạn nhận thư này ({every_vi}) vì đã đăng ký và xác nhận theo dõi tìm kiếm này.\n"
        f"Huỷ theo dõi (một lần bấm, không cần đăng nhập): {links.unsubscribe}\n"
    )
    text_en = (
        f"The search {label_en} has {added.total} new resources ({span}):\n\n{listed}\n{more_en}\n"
        f"See all: {links.portal}\nAtom feed: {links.feed}\n\n"
        f"You get this ({every_en}) because you subscribed to this search and confirmed it.\n"
        f"Unsubscribe (one click, no sign-in): {links.unsubscribe}\n"
    )
    return Mail(
        _subject(
            f"{added.total} tài nguyên mới: {label_vi}",
            f"{added.total} new: {label_en}",
            sub.lang,
        ),
        text_vi,
        text_en,
    )


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 + RFC 8058: mail clients show an unsubscribe button that POSTs once."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
