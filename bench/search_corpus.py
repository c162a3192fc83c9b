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
PHRASES = [
    "nuôi trồng thủy sản ven biển",
    "quản lý chất thải rắn đô thị",
    "xử lý nước thải công nghiệp",
    "chuyển đổi số trong doanh nghiệp",
    "trí tuệ nhân tạo trong y tế",
    "an ninh mạng",
    "năng lượng tái tạo",
    "điện gió ngoài khơi",
    "rừng ngập mặn",
    "biến đổi khí hậu",
    "nước biển dâng",
    "đa dạng sinh học biển",
    "di sản văn hóa phi vật thể",
    "du lịch cộng đồng",
    "quy hoạch đô thị ven biển",
    "hạ tầng giao thông",
    "vật liệu xây dựng mới",
    "công nghệ đóng tàu",
    "tự động hóa cảng biển",
    "chuỗi cung ứng logistics",
    "nguồn nhân lực chất lượng cao",
    "đào tạo nghề hàng hải",
    "giáo dục đại học",
    "thư viện số",
    "cơ sở dữ liệu khoa học",
    "thông tin khoa học và công nghệ",
    "sức khỏe cộng đồng",
    "bệnh truyền nhiễm",
    "dược liệu bản địa",
    "y học cổ truyền",
    "an toàn thực phẩm",
    "kinh tế biển xanh",
    "xuất khẩu nông sản",
    "thị trường lao động",
    "chính sách đất đai",
    "cải cách hành chính công",
    "ngân hàng số",
    "tài chính vi mô",
    "ô nhiễm không khí",
    "tài nguyên nước ngầm",
    "khí tượng thủy văn",
    "địa chất công trình",
    "hải dương học",
    "cảng container",
    "vận tải đa phương thức",
    "kinh tế hợp tác xã",
    "trẻ em và phụ nữ",
    "người cao tuổi",
    "dân số và phát triển",
    "văn học dân gian",
]
PLACES = [
    "thành phố Hải Phòng",
    "huyện Cát Hải",
    "quận Đồ Sơn",
    "huyện Thủy Nguyên",
    "vùng duyên hải",
    "đồng bằng sông Hồng",
    "vịnh Bắc Bộ",
    "huyện Tiên Lãng",
    "quận Hồng Bàng",
    "Việt Nam",
]
VERBS = [
    "phân tích",
    "đánh giá",
    "đề xuất giải pháp cho",
    "khảo sát",
    "tổng hợp tư liệu về",
    "xây dựng mô hình",
    "ứng dụng công nghệ vào",
    "dự báo xu hướng của",
]
WORDS = " ".join(PHRASES + PLACES).split()
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


def _sentence(rng: random.Random) -> str:
    return (
        f"Công trình {rng.choice(VERBS)} {rng.choice(PHRASES)} tại {rng.choice(PLACES)}, "
        f"gắn với {rng.choice(PHRASES)}"
    )


def make_record(n: int, rng: random.Random) -> Record:
    """The n-th synthetic record (same seed, same record)."""
    member = rng.choice(MEMBERS)
    kind = rng.choice(KINDS)
    subjects = rng.sample(SUBJECTS, rng.randint(1, 3))
    title = f"{rng.choice(TITLE_HEADS)} {rng.choice(PHRASES)}"
    if rng.random() < 0.6:
        title += f" tại {rng.choice(PLACES)}"
    if rng.random() < 0.3:
        title += f" giai đoạn {rng.randint(1990, 2025)}–{rng.randint(2026, 2035)}"
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
        description=". ".join(_sentence(rng) for _ in range(rng.randint(1, 4))) + ".",
        creators=rng.sample(CREATORS, rng.randint(0, 3)),
        subjects=subjects,
        publisher=rng.choice(["NXB Hàng hải", "NXB Khoa học và Kỹ thuật", "NXB Y học", None]),
        language="vi" if rng.random() < 0.9 else "en",
        year=rng.randint(1975, 2026),
        version=1,
        created_at=START,
        updated_at=START + timedelta(minutes=n),
        content_hash=f"bench-{n}",
        **extra,  # type: ignore[arg-type]
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
