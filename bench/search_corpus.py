"""A reproducible corpus of realistic Vietnamese S&T records for the search benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from shared.records import Record

MEMBERS = [
    "vmu",
    "hpu",
    "hpl",
    "hmu",
    "tttt-hp",
    "vimaru-lib",
    "dhhp",
    "bvvd",
    "skhcn-hp",
    "vinamarine",
    "hpmed",
    "ctu-hp",
    "vnu-hp",
    "ims",
    "hpport",
    "tvkhth",
    "cdhh",
    "hpdoc",
    "vast-hp",
    "ioer",
]
KINDS = ["publication"] * 6 + ["database"] * 2 + ["website", "service", "training"]
SUBJECTS = [
    "Hàng hải",
    "Kinh tế biển",
    "Môi trường",
    "Y học",
    "Dược học",
    "Nông nghiệp",
    "Thủy sản",
    "Công nghệ thông tin",
    "Giáo dục",
    "Lịch sử",
    "Văn hóa",
    "Luật",
    "Khoa học và công nghệ",
    "Đóng tàu",
    "Cảng biển",
    "Logistics",
    "Điện tử",
    "Cơ khí",
    "Xây dựng",
    "Quy hoạch đô thị",
    "Tài nguyên nước",
    "Biến đổi khí hậu",
    "Du lịch",
    "Thư viện",
    "Thông tin học",
    "Năng lượng",
    "Hóa học",
    "Vật lý",
    "Sinh học",
    "Toán học",
    "Kinh tế",
    "Quản trị kinh doanh",
    "Tài chính",
    "Ngôn ngữ học",
    "Y tế công cộng",
    "Điều dưỡng",
    "Địa chất",
    "Hải dương học",
    "Khí tượng",
]
WORDS = ["nghiên", "cứu", "phát", "triển", "ứng", "dụng", "giải", "pháp", "hệ", "thống", "quản", "lý", "đánh", "giá", "thực", "trạng", "nâng", "cao", "hiệu", "quả", "chất", "lượng", "công", "nghệ", "kỹ", "thuật", "khoa", "học", "môi", "trường", "biển", "cảng", "tàu", "thuyền", "vận", "tải", "kinh", "tế", "xã", "hội", "chính", "sách", "thành", "phố", "Hải", "Phòng", "Việt", "Nam", "đồng", "bằng", "sông", "Hồng", "vùng", "ven", "biển", "nguồn", "nhân", "lực", "đào", "tạo", "đại", "học", "giáo", "dục", "thông", "tin", "dữ", "liệu", "cơ", "sở", "thư", "viện", "số", "tài", "liệu", "bệnh", "viện", "y", "tế", "sức", "khỏe", "cộng", "đồng", "điều", "trị", "bệnh", "nhân", "dược", "liệu", "thủy", "sản", "nuôi", "trồng", "nông", "nghiệp", "sản", "xuất", "doanh", "nghiệp", "xuất", "khẩu", "logistics", "chuỗi", "cung", "ứng", "năng", "lượng", "tái", "tạo", "điện", "gió", "mặt", "trời", "nước", "thải", "xử", "lý", "ô", "nhiễm", "không", "khí", "biến", "đổi", "khí", "hậu", "nước", "biển", "dâng", "rừng", "ngập", "mặn", "đa", "dạng", "sinh", "học", "bảo", "tồn", "di", "sản", "văn", "hóa", "lịch", "sử", "du", "lịch", "cộng", "đồng", "quy", "hoạch", "đô", "thị", "giao", "thông", "hạ", "tầng", "xây", "dựng", "vật", "liệu", "mới", "cơ", "khí", "chế", "tạo", "đóng", "tàu", "tự", "động", "hóa", "trí", "tuệ", "nhân", "tạo", "chuyển", "đổi", "số", "an", "toàn", "an", "ninh", "mạng", "pháp", "luật", "hành", "chính", "công", "tài", "chính", "ngân", "hàng", "thị", "trường", "lao", "động", "việc", "làm", "dân", "số", "gia", "đình", "trẻ", "em", "phụ", "nữ", "người", "cao", "tuổi", "mô", "hình", "phương", "pháp", "thực", "nghiệm", "khảo", "sát", "điều", "tra", "thống", "kê", "phân", "tích", "dự", "báo", "tổng", "quan", "báo", "cáo", "kỷ", "yếu", "hội", "thảo", "tạp", "chí", "luận", "văn", "luận", "án", "thạc", "sĩ", "tiến", "sĩ", "đề", "tài", "cấp", "thành", "phố", "cấp", "bộ", "nhà", "nước"]
TITLE_HEADS = [
    "Nghiên cứu",
    "Đánh giá",
    "Giải pháp",
    "Ứng dụng",
    "Phát triển",
    "Tổng quan về",
    "Báo cáo",
    "Kỷ yếu hội thảo",
    "Cơ sở dữ liệu",
    "Tạp chí",
    "Tập huấn",
    "Hướng dẫn",
    "Thực trạng",
]
CREATORS = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Minh Châu",
    "Phạm Quốc Dũng",
    "Hoàng Thu Hà",
    "Vũ Đức Hải",
    "Đặng Thanh Hương",
    "Bùi Ngọc Khánh",
    "Đỗ Thị Lan",
    "Ngô Văn Long",
    "Dương Minh Phúc",
    "Lý Thị Quỳnh",
    "Mai Xuân Sơn",
    "Trịnh Văn Tùng",
    "Đinh Thị Uyên",
]
START = datetime(2020, 1, 1, tzinfo=UTC)


def _phrase(rng: random.Random, low: int, high: int) -> str:
    start = rng.randrange(len(WORDS))
    length = rng.randint(low, high)
    return " ".join(
        WORDS[(start + i * rng.choice((1, 1, 2, 3))) % len(WORDS)] for i in range(length)
    )


def make_record(n: int, rng: random.Random) -> Record:
    """The n-th synthetic record (same seed, same record)."""
    member = rng.choice(MEMBERS)
    kind = rng.choice(KINDS)
    subjects = rng.sample(SUBJECTS, rng.randint(1, 3))
    title = f"{rng.choice(TITLE_HEADS)} {_phrase(rng, 3, 9)} {subjects[0].lower()}"
    extra: dict[str, object] = {}
    if kind == "training":
        begins = START + timedelta(days=rng.randrange(2000))
        extra = {
            "starts_at": begins,
            "ends_at": begins + timedelta(days=2),
            "location": "Hải Phòng",
        }
    return Record(
        id=f"{member}:b{n}",
        member=member,
        local_id=f"b{n}",
        kind=kind,
        title=title[:1].upper() + title[1:],
        description=". ".join(_phrase(rng, 8, 20) for _ in range(rng.randint(1, 4))) + ".",
        creators=rng.sample(CREATORS, rng.randint(0, 3)),
        subjects=subjects,
        publisher=rng.choice(["NXB Hàng hải", "NXB Khoa học và Kỹ thuật", "NXB Y học", None]),
        language="vi" if rng.random() < 0.9 else "en",
        year=rng.randint(1975, 2026),
        version=1,
        created_at=START,
        updated_at=START + timedelta(minutes=n),
        content_hash=f"bench-{n}",
    )


def corpus(size: int, seed: int = 2026) -> Iterator[Record]:
    """``size`` distractor records, deterministic for a seed."""
    rng = random.Random(seed)
    for n in range(size):
        yield make_record(n, rng)


QUERIES = [
    "dai hoc hang hai",
    "Đại học Hàng hải",
    "moi truong bien",
    "kinh te bien",
    "nuoi trong thuy san",
    "bien doi khi hau",
    "thu vien so",
    "co so du lieu",
    "CSDL",
    "KH&CN",
    "y te cong dong",
    "chuyen doi so",
    "tri tue nhan tao",
    "dong tau",
    "cang bien hai phong",
    "logistics",
    "nang luong tai tao",
    "rung ngap man",
    "luan van thac si",
    "nguyen van an",
    "hai phong",
    "nghien cuu",
    "phat trien",
    "quy hoach do thi",
    "xu ly nuoc thai",
    "benh vien",
    "du lich",
    "an ninh mang",
    "giao duc",
    "chuoi cung ung",
    "nghien cuu khoa hoc",
    "o nhiem khong khi",
    "dien gio",
    "di san van hoa",
    "tap chi",
    "ky yeu hoi thao",
    "moi truomg",
    "thuy sn",
    "hang h",
]
SUGGEST_PREFIXES = [
    "ng",
    "nghien c",
    "dai h",
    "moi tr",
    "thu v",
    "kinh t",
    "cang b",
    "hai ph",
    "bien d",
    "co so d",
    "tap ch",
    "y t",
    "chuyen d",
    "dong t",
    "nang l",
    "du l",
    "giao d",
    "luan v",
]
