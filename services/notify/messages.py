"""The words of every reminder: Vietnamese first, an English alternative; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from services.notify.domain import FinishedImport, Freshness, PlannedReminder, Stage, State
from services.notify.quality import LOW_SCORE, MemberQuality, NetworkQuality, signed
from services.notify.searches import QueryCount, SearchWeek
from shared.validation import problem_label

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
    quality_url: str | None = None  # the member's quality page in the console
    analytics_url: str | None = None  # the centre's "what people look for" console page


def _block(text: str) -> str:
    """``text`` as a paragraph of its own, or nothing."""
    return f"{text}\n" if text else ""


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


def _problem_lines(quality: MemberQuality, english: bool) -> str:
    lines = []
    for code, count in quality.top():
        vi, en = problem_label(code)
        lines.append(f"- {en if english else vi}: {count} {'records' if english else 'biểu ghi'}")
    return "\n".join(lines)


def quality_lines(quality: MemberQuality | None, links: Links) -> tuple[str, str]:
    """The reminder's paragraph on the member's quality score and its top problems."""
    if quality is None or quality.score is None:
        return "", ""
    see_vi = f"Xem và sửa từng vấn đề: {links.quality_url}\n" if links.quality_url else ""
    see_en = f"See and fix each problem: {links.quality_url}\n" if links.quality_url else ""
    top_vi, top_en = _problem_lines(quality, False), _problem_lines(quality, True)
    if not top_vi:
        return (
            f"Điểm chất lượng dữ liệu: {quality.score}/100, không có vấn đề nào.\n{see_vi}",
            f"Data quality score: {quality.score}/100, no problems.\n{see_en}",
        )
    return (
        f"Điểm chất lượng dữ liệu: {quality.score}/100 ({quality.records} biểu ghi). "
        f"Các vấn đề thường gặp nhất:\n{top_vi}\n{see_vi}",
        f"Data quality score: {quality.score}/100 ({quality.records} records). "
        f"The most frequent problems:\n{top_en}\n{see_en}",
    )


def update_message(
    reminder: PlannedReminder,
    item: Freshness,
    links: Links,
    tz: ZoneInfo,
    quality: MemberQuality | None = None,
) -> Message:
    """The member's reminder of the six-monthly update (due soon, due, overdue), with its
    quality score and top problems when the catalogue told them."""
    last, due = _day(item.last_update_at, tz), _day(item.due_at, tz)
    attest_vi, attest_en = _attest_lines(links)
    quality_vi, quality_en = quality_lines(quality, links)
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
        f"{_block(quality_vi)}"
        f"Cách cập nhật: {links.guide_url}\n\n{attest_vi}\n"
        "Trân trọng,\nTrung tâm Thông tin KH&CN Hải Phòng\n"
    )
    text_en = (
        f"Dear {item.name},\n\n{head_en}\n"
        f"Every member updates the description of its S&T resources every {item.cycle_months} "
        f"months. Last update: {last}.\n\n{_block(quality_en)}"
        f"How to update: {links.guide_url}\n\n{attest_en}\n"
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


def _change(now: int | None, before: int | None, english: bool) -> str:
    if now is None or before is None:
        return ""
    return f" ({signed(now - before)} {'since last week' if english else 'so với tuần trước'})"


def network_quality_lines(
    network: NetworkQuality | None, previous: NetworkQuality | None
) -> tuple[str, str]:
    """The digest's quality line: network score, members below 60, change since last week."""
    if network is None:
        return (
            "Chất lượng dữ liệu: chưa lấy được số liệu từ kho dữ liệu chung.",
            "Data quality: the catalogue did not answer.",
        )
    score = "—" if network.score is None else f"{network.score}/100"
    before = previous or NetworkQuality(None, 0, 0)
    low_change_vi = _change(network.below, previous.below if previous else None, False)
    low_change_en = _change(network.below, previous.below if previous else None, True)
    return (
        f"Chất lượng dữ liệu toàn mạng lưới: {score}{_change(network.score, before.score, False)}; "
        f"{network.below}/{network.scored} thành viên dưới {LOW_SCORE} điểm{low_change_vi}",
        f"Network data quality: {score}{_change(network.score, before.score, True)}; "
        f"{network.below} of {network.scored} members below {LOW_SCORE}{low_change_en}",
    )


def _short_day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _query_lines(rows: list[QueryCount], unit: str, none: str) -> str:
    return "\n".join(f"- {row.query}: {row.count} {unit}" for row in rows) or f"- {none}"


def search_week_lines(week: SearchWeek | None, analytics_url: str | None = None) -> tuple[str, str]:
    """The digest's searches paragraph: last week's searches, its top queries and the
    queries that found nothing (or that search did not answer)."""
    if week is None:
        return (
            "Người dùng tìm gì: chưa lấy được số liệu từ dịch vụ tra cứu.",
            "What people looked for: the search service did not answer.",
        )
    first, last = _short_day(week.first), _short_day(week.last)
    query = urlencode({"from": week.first.isoformat(), "to": week.last.isoformat()})
    more = f"{analytics_url}?{query}" if analytics_url else ""
    text_vi = (
        f"Người dùng tìm gì ({first}–{last}): {week.searches} lượt tìm, "
        f"{week.zero} lượt không có kết quả.\n"
        f"Tìm nhiều nhất:\n{_query_lines(week.top, 'lượt', '(chưa có lượt tìm)')}\n"
        "Tìm mà không có kết quả:\n"
        f"{_query_lines(week.zero_queries, 'lượt', '(không có)')}\n"
        + (f"Xem thêm: {more}\n" if more else "")
    )
    text_en = (
        f"What people looked for ({first}–{last}): {week.searches} searches, "
        f"{week.zero} with no results.\n"
        f"Top queries:\n{_query_lines(week.top, 'searches', '(no searches)')}\n"
        "Queries with no results:\n"
        f"{_query_lines(week.zero_queries, 'searches', '(none)')}\n"
        + (f"More: {more}\n" if more else "")
    )
    return text_vi, text_en


def digest_message(
    items: list[Freshness],
    counts: dict[str, int],
    activity: dict[str, int],
    week: str,
    links: Links,
    tz: ZoneInfo,
    quality: tuple[NetworkQuality | None, NetworkQuality | None] | None = None,
    searches: tuple[SearchWeek | None] | None = None,
) -> Message:
    """To the centre, weekly: every member's state, what the reminders achieved, (with
    ``quality``: this week's and last week's network line) the network's data quality and
    (with ``searches``: last week's report, None when search did not answer) what people
    looked for."""
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
    quality_vi, quality_en = network_quality_lines(*quality) if quality else ("", "")
    searches_vi, searches_en = (
        search_week_lines(searches[0], links.analytics_url) if searches else ("", "")
    )
    text_vi = (
        f"Báo cáo tuần {week} — tình trạng cập nhật của {len(active)} thành viên.\n"
        f"{summary_vi}\n{acts_vi}\n{_block(quality_vi)}"
        f"\n{lines_vi}\n\nChi tiết: {links.freshness_url}\n"
        + (f"\n{searches_vi}" if searches_vi else "")
    )
    text_en = (
        f"Weekly digest {week} — update state of {len(active)} members.\n"
        f"{summary_en}\n{acts_en}\n{_block(quality_en)}"
        f"\n{lines_en}\n\nDetails: {links.freshness_url}\n"
        + (f"\n{searches_en}" if searches_en else "")
    )
    subject = f"[STINET] Báo cáo tuần {week}: tình trạng cập nhật thành viên — weekly digest"
    return Message(subject=subject, text_vi=text_vi, text_en=text_en)


def _what_vi(done: FinishedImport) -> str:
    if done.is_file:
        return f"Lần nhập tệp {(done.file_format or done.source).upper()} ({done.total} dòng)"
    return f"Lần gửi {done.total} bản ghi qua API"


def _what_en(done: FinishedImport) -> str:
    if done.is_file:
        return f"The {(done.file_format or done.source).upper()} file import ({done.total} rows)"
    return f"The API submission of {done.total} records"


def import_report_message(
    done: FinishedImport, name: str, links: Links, report_url: str, tz: ZoneInfo
) -> Message:
    """To the member: its import finished; what was stored, warned, rejected, and where the
    per-record report is."""
    day = _day(done.submitted_at, tz)
    inbox = links.quality_url
    quality_vi = f"Hộp thư chất lượng của đơn vị: {inbox}\n" if inbox else ""
    quality_en = f"Your quality inbox: {inbox}\n" if inbox else ""
    text_vi = (
        f"Kính gửi {name},\n\n{_what_vi(done)} ngày {day} đã xử lý xong:\n"
        f"- đã lưu: {done.stored}, trong đó có cảnh báo: {done.warned} "
        "(vẫn được lưu và tra cứu được, nên sửa rồi gửi lại)\n"
        f"- bị từ chối: {done.rejected} (không được lưu: sửa rồi gửi lại)\n\n"
        f"Báo cáo từng bản ghi: {report_url}\n{quality_vi}\n"
        "Không muốn nhận thư này sau mỗi lần nhập? Đề nghị Trung tâm tắt mục "
        "“Thư báo cáo sau mỗi lần nhập” trong hồ sơ đơn vị.\n\n"
        "Trân trọng,\nTrung tâm Thông tin KH&CN Hải Phòng\n"
    )
    text_en = (
        f"Dear {name},\n\n{_what_en(done)} of {day} is finished:\n"
        f"- stored: {done.stored}, of which with warnings: {done.warned} "
        "(stored and searchable; worth fixing and sending again)\n"
        f"- rejected: {done.rejected} (not stored: fix and send again)\n\n"
        f"Per-record report: {report_url}\n{quality_en}\n"
        "No report after each import? Ask the centre to turn off "
        "“Report mail after each import” in your member profile.\n\n"
        "The Hai Phong S&T Information Centre\n"
    )
    subject = (
        f"[STINET] Kết quả nhập dữ liệu: {done.stored} đã lưu, {done.warned} có cảnh báo, "
        f"{done.rejected} bị từ chối — import report"
    )
    return Message(subject=subject, text_vi=text_vi, text_en=text_en)
