"""The words of every reminder: Vietnamese first, an English alternative; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.notify.domain import Freshness, PlannedReminder, Stage, State

STATE_VI = {
    State.OK: "đúng hạn",
    State.DUE_SOON: "sắp đến hạn",
    State.OVERDUE: "quá hạn",
    State.ESCALATED: "quá hạn trên 30 ngày",
}
STATE_EN = {
    State.OK: "up to date",
    State.DUE_SOON: "due soon",
    State.OVERDUE: "overdue",
    State.ESCALATED: "more than 30 days overdue",
}


@dataclass(frozen=True)
class Message:
    """One reminder's text in both languages."""

    subject: str
    text_vi: str
    text_en: str


@dataclass(frozen=True)
class Links:
    guide_url: str
    attest_url: str | None = None
    freshness_url: str | None = None


def _day(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d/%m/%Y") if value else "—"


def _attest_lines(links: Links) -> tuple[str, str]:
    if not links.attest_url:
        return "", ""
    return (
        "Nếu thông tin của đơn vị vẫn chính xác, không cần sửa gì, chỉ cần bấm một lần vào "
        f"liên kết sau để xác nhận (được tính là một lần cập nhật):\n{links.attest_url}\n",
        "If your information is still accurate, one click on this link confirms it "
        f"(it counts as an update):\n{links.attest_url}\n",
    )


def update_message(
    reminder: PlannedReminder, item: Freshness, links: Links, tz: ZoneInfo
) -> Message:
    """The member's reminder of the six-monthly update (due soon, due, overdue)."""
    last, due = _day(item.last_update_at, tz), _day(item.due_at, tz)
    attest_vi, attest_en = _attest_lines(links)
    if reminder.kind is Stage.DUE_SOON:
        head_vi = f"Thông tin của {item.name} trên mạng lưới sắp đến hạn cập nhật ({due})."
        head_en = f"The information of {item.name} on the network is due for update on {due}."
        subject = f"[STINET] Sắp đến hạn cập nhật thông tin ({due}) — update due soon"
    elif reminder.kind is Stage.DUE:
        head_vi = f"Hôm nay ({due}) là hạn cập nhật thông tin của {item.name} trên mạng lưới."
        head_en = f"Today ({due}) the information of {item.name} on the network is due for update."
        subject = f"[STINET] Đến hạn cập nhật thông tin ({due}) — update due today"
    else:
        days = item.days_overdue
        head_vi = f"Thông tin của {item.name} đã quá hạn cập nhật {days} ngày (hạn {due})."
        head_en = f"The information of {item.name} is {days} days overdue for update (due {due})."
        subject = f"[STINET] Quá hạn cập nhật thông tin {days} ngày — update overdue"
    text_vi = (
        f"Kính gửi {item.name},\n\n{head_vi}\n"
        f"Theo quy chế mạng lưới, mỗi thành viên cập nhật thông tin về nguồn tin KH&CN của mình "
        f"định kỳ {item.cycle_months} tháng một lần. Lần cập nhật gần nhất: {last}.\n\n"
        f"Cách cập nhật: {links.guide_url}\n\n{attest_vi}\n"
        "Trân trọng,\nTrung tâm Thông tin KH&CN Hải Phòng\n"
    )
    text_en = (
        f"Dear {item.name},\n\n{head_en}\n"
        f"Every member updates the description of its S&T resources every {item.cycle_months} "
        f"months. Last update: {last}.\n\nHow to update: {links.guide_url}\n\n{attest_en}\n"
        "The Hai Phong S&T Information Centre\n"
    )
    return Message(subject=subject, text_vi=text_vi, text_en=text_en)


def training_message(item: Freshness, links: Links, tz: ZoneInfo) -> Message:
    """The member's reminder of the yearly training duty."""
    last = _day(item.last_training_at, tz)
    attest_vi, attest_en = _attest_lines(links)
    since_vi = f"từ {last}" if item.last_training_at else "từ khi tham gia mạng lưới"
    since_en = f"since {last}" if item.last_training_at else "since joining the network"
    text_vi = (
        f"Kính gửi {item.name},\n\n"
        f"Đã 12 tháng {item.name} chưa có sự kiện đào tạo, tập huấn nào ({since_vi}). "
        "Theo quy chế, mỗi thành viên tổ chức hoặc tham gia ít nhất một sự kiện đào tạo mỗi năm.\n"
        f"Hãy khai báo sự kiện đào tạo (loại 'training') theo hướng dẫn: {links.guide_url}\n\n"
        f"{attest_vi}\nTrân trọng,\nTrung tâm Thông tin KH&CN Hải Phòng\n"
    )
    text_en = (
        f"Dear {item.name},\n\n"
        f"{item.name} has had no training event for 12 months ({since_en}). Every member holds "
        "or joins at least one training event a year.\n"
        f"Declare a training event (kind 'training') as the guide shows: {links.guide_url}\n\n"
        f"{attest_en}\nThe Hai Phong S&T Information Centre\n"
    )
    subject = "[STINET] Nhắc nghĩa vụ đào tạo hằng năm — yearly training duty"
    return Message(subject=subject, text_vi=text_vi, text_en=text_en)


def escalation_message(item: Freshness, links: Links, tz: ZoneInfo) -> Message:
    """To the centre: a member is 30 days overdue."""
    due, last = _day(item.due_at, tz), _day(item.last_update_at, tz)
    text_vi = (
        f"Thành viên {item.name} ({item.code}) đã quá hạn cập nhật {item.days_overdue} ngày "
        f"(hạn {due}, cập nhật gần nhất {last}). Các thư nhắc đã gửi không có phản hồi.\n"
        f"Tình trạng toàn mạng lưới: {links.freshness_url}\n"
    )
    text_en = (
        f"Member {item.name} ({item.code}) is {item.days_overdue} days overdue for update "
        f"(due {due}, last update {last}); the reminders sent were not acted on.\n"
        f"Network state: {links.freshness_url}\n"
    )
    subject = f"[STINET] {item.code}: quá hạn cập nhật {item.days_overdue} ngày — escalation"
    return Message(subject=subject, text_vi=text_vi, text_en=text_en)


def _digest_line(item: Freshness, tz: ZoneInfo, english: bool) -> str:
    state = (STATE_EN if english else STATE_VI)[item.state]
    training = (
        ("met" if english else "đạt")
        if item.training_met
        else ("not met" if english else "chưa đạt")
    )
    return (
        f"- {item.code:<20} {state:<26} "
        f"{'last' if english else 'cập nhật'} {_day(item.last_update_at, tz)}, "
        f"{'due' if english else 'hạn'} {_day(item.due_at, tz)}, "
        f"{'training' if english else 'đào tạo'} {training}"
    )


def digest_message(
    items: list[Freshness],
    counts: dict[str, int],
    activity: dict[str, int],
    week: str,
    links: Links,
    tz: ZoneInfo,
) -> Message:
    """To the centre, weekly: every member's state and what the reminders achieved."""
    order = {State.ESCALATED: 0, State.OVERDUE: 1, State.DUE_SOON: 2, State.OK: 3}
    active = sorted((i for i in items if i.active), key=lambda i: (order[i.state], i.code))
    summary_vi = ", ".join(f"{STATE_VI[State(k)]}: {v}" for k, v in counts.items())
    summary_en = ", ".join(f"{STATE_EN[State(k)]}: {v}" for k, v in counts.items())
    acts_vi = (
        f"Thư nhắc đã gửi: {activity.get('sent', 0)}, đã mở liên kết: "
        f"{activity.get('opened', 0)}, đã xác nhận: {activity.get('attested', 0)}, "
        f"gửi lỗi: {activity.get('failed', 0)}"
    )
    acts_en = (
        f"Reminders sent: {activity.get('sent', 0)}, links opened: {activity.get('opened', 0)}, "
        f"attested: {activity.get('attested', 0)}, failed: {activity.get('failed', 0)}"
    )
    lines_vi = "\n".join(_digest_line(i, tz, False) for i in active) or "(chưa có thành viên)"
    lines_en = "\n".join(_digest_line(i, tz, True) for i in active) or "(no members yet)"
    text_vi = (
        f"Báo cáo tuần {week} — tình trạng cập nhật của {len(active)} thành viên.\n"
        f"{summary_vi}\n{acts_vi}\n\n{lines_vi}\n\nChi tiết: {links.freshness_url}\n"
    )
    text_en = (
        f"Weekly digest {week} — update state of {len(active)} members.\n"
        f"{summary_en}\n{acts_en}\n\n{lines_en}\n\nDetails: {links.freshness_url}\n"
    )
    subject = f"[STINET] Báo cáo tuần {week}: tình trạng cập nhật thành viên — weekly digest"
    return Message(subject=subject, text_vi=text_vi, text_en=text_en)
