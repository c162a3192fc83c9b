"""Member organisations of the Hai Phong S&T information network (demo registry).

Names, types and home pages are those of the real organisations; contact addresses are
placeholders (``*.example.org``) so the demo never mails a real inbox. Three members have
no records and joined long enough ago to show every freshness state in notify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class DemoMember:
    code: str
    name: str
    name_en: str
    type: str
    website: str
    address: str
    joined: str  # "YYYY-MM-DD", or a freshness state for members without records
    has_records: bool = True

    def joined_at(self, now: datetime) -> datetime:
        """When the member joined; for the record-less ones, chosen to show a state."""
        cycle_start = now - relativedelta(months=6)
        if self.joined == "due_soon":  # ≈ 5.7 months ago: due in about 9 days
            return cycle_start + timedelta(days=9)
        if self.joined == "overdue":  # ≈ 6.5 months ago: 15 days overdue
            return cycle_start - timedelta(days=15)
        if self.joined == "escalated":  # ≈ 8 months ago: 60 days overdue
            return now - relativedelta(months=8)
        return datetime.fromisoformat(self.joined).replace(tzinfo=UTC)

    def payload(self, now: datetime) -> dict[str, object]:
        """The body of ``POST /v1/members``."""
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "type": self.type,
            "website": self.website,
            "address": self.address,
            "contact_email": f"lienhe@{self.code}.example.org",
            "joined_at": self.joined_at(now).isoformat(),
            "update_cycle_months": 6,
        }

    @property
    def domain(self) -> str:
        return self.website.split("://", 1)[1].rstrip("/")


MEMBERS: tuple[DemoMember, ...] = (
    DemoMember(
        code="skhcn",
        name="Sở Khoa học và Công nghệ thành phố Hải Phòng",
        name_en="Hai Phong Department of Science and Technology",
        type="agency",
        website="https://khcn.haiphong.gov.vn",
        address="Quận Hồng Bàng, thành phố Hải Phòng",
        joined="2019-03-15",
    ),
    DemoMember(
        code="ttkhcn",
        name="Trung tâm Thông tin Khoa học và Công nghệ Hải Phòng",
        name_en="Hai Phong Centre for Science and Technology Information",
        type="agency",
        website="https://thongtin.khcn.haiphong.gov.vn",
        address="Quận Hồng Bàng, thành phố Hải Phòng",
        joined="2019-03-15",
    ),
    DemoMember(
        code="vmu",
        name="Trường Đại học Hàng hải Việt Nam",
        name_en="Vietnam Maritime University",
        type="university",
        website="https://vimaru.edu.vn",
        address="484 Lạch Tray, quận Ngô Quyền, thành phố Hải Phòng",
        joined="2019-06-01",
    ),
    DemoMember(
        code="dhhp",
        name="Trường Đại học Hải Phòng",
        name_en="Hai Phong University",
        type="university",
        website="https://dhhp.edu.vn",
        address="171 Phan Đăng Lưu, quận Kiến An, thành phố Hải Phòng",
        joined="2019-06-01",
    ),
    DemoMember(
        code="hpmu",
        name="Trường Đại học Y Dược Hải Phòng",
        name_en="Hai Phong University of Medicine and Pharmacy",
        type="university",
        website="https://hpmu.edu.vn",
        address="72A Nguyễn Bỉnh Khiêm, quận Ngô Quyền, thành phố Hải Phòng",
        joined="2019-09-10",
    ),
    DemoMember(
        code="tvhp",
        name="Thư viện Khoa học Tổng hợp Hải Phòng",
        name_en="Hai Phong General Sciences Library",
        type="library",
        website="https://thuvien.haiphong.gov.vn",
        address="Quận Ngô Quyền, thành phố Hải Phòng",
        joined="2019-03-15",
    ),
    DemoMember(
        code="rimf",
        name="Viện Nghiên cứu Hải sản",
        name_en="Research Institute for Marine Fisheries",
        type="institute",
        website="https://rimf.org.vn",
        address="224 Lê Lai, quận Ngô Quyền, thành phố Hải Phòng",
        joined="2020-02-20",
    ),
    DemoMember(
        code="imer",
        name="Viện Tài nguyên và Môi trường biển",
        name_en="Institute of Marine Environment and Resources",
        type="institute",
        website="https://imer.vast.vn",
        address="246 Đà Nẵng, quận Ngô Quyền, thành phố Hải Phòng",
        joined="2020-02-20",
    ),
    DemoMember(
        code="hpu",
        name="Trường Đại học Quản lý và Công nghệ Hải Phòng",
        name_en="Hai Phong University of Management and Technology",
        type="university",
        website="https://hpu.edu.vn",
        address="36 Dân Lập, quận Lê Chân, thành phố Hải Phòng",
        joined="due_soon",
        has_records=False,
    ),
    DemoMember(
        code="vinimam",
        name="Viện Y học biển",
        name_en="Vietnam National Institute of Maritime Medicine",
        type="institute",
        website="https://vinimam.org.vn",
        address="Quận Ngô Quyền, thành phố Hải Phòng",
        joined="overdue",
        has_records=False,
    ),
    DemoMember(
        code="viettiep",
        name="Bệnh viện Hữu nghị Việt Tiệp",
        name_en="Viet Tiep Friendship Hospital",
        type="hospital",
        website="https://viettiephospital.vn",
        address="Số 1 Nhà Thương, quận Lê Chân, thành phố Hải Phòng",
        joined="escalated",
        has_records=False,
    ),
)


def member(code: str) -> DemoMember:
    return next(m for m in MEMBERS if m.code == code)
