# ruff: noqa: E501  (a data table: one publication per line reads best)
"""Hand-written catalogue content of the demo members (Vietnamese S&T resources).

``records.py`` turns these parts into records: one record per database, website, service
and publication, and each training course held in two sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """One described resource: title, description and subjects (plus kind-specific extras)."""

    title: str
    description: str
    subjects: tuple[str, ...]
    extra: str = ""  # website: path; service/database: access; training: location


@dataclass(frozen=True)
class Publication:
    title: str
    form: str  # "article" | "book" | "report" | "thesis"
    year: int
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class MemberContent:
    publisher: str
    journal: str
    journal_issn7: str  # first seven ISSN digits; the check digit is computed
    isbn_publisher: str  # registrant element after 978-604-
    authors: tuple[str, ...]
    databases: tuple[Item, ...]
    websites: tuple[Item, ...]
    services: tuple[Item, ...]
    trainings: tuple[Item, ...]
    publications: tuple[Publication, ...] = field(default_factory=tuple)


A, B, R, T = "article", "book", "report", "thesis"

CONTENT: dict[str, MemberContent] = {
    "skhcn": MemberContent(
        publisher="Sở Khoa học và Công nghệ Hải Phòng",
        journal="Bản tin Khoa học và Công nghệ Hải Phòng",
        journal_issn7="1859186",
        isbn_publisher="960",
        authors=(
            "Nguyễn Văn Thành",
            "Phạm Thị Thu Hà",
            "Trần Quang Huy",
            "Vũ Thị Hồng Nhung",
            "Đỗ Mạnh Cường",
            "Lê Thị Minh Phương",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu nhiệm vụ khoa học và công nghệ cấp thành phố",
                "Thông tin về các đề tài, dự án khoa học và công nghệ cấp thành phố Hải Phòng "
                "từ năm 2000: tên nhiệm vụ, tổ chức chủ trì, chủ nhiệm, kinh phí, kết quả "
                "nghiệm thu và tình hình ứng dụng.",
                ("nhiệm vụ khoa học và công nghệ", "quản lý khoa học", "Hải Phòng"),
                "open",
            ),
            Item(
                "Cơ sở dữ liệu doanh nghiệp khoa học và công nghệ Hải Phòng",
                "Danh sách doanh nghiệp được cấp giấy chứng nhận doanh nghiệp khoa học và "
                "công nghệ trên địa bàn thành phố, lĩnh vực hoạt động và sản phẩm hình thành "
                "từ kết quả nghiên cứu.",
                ("doanh nghiệp khoa học và công nghệ", "thương mại hoá", "Hải Phòng"),
                "open",
            ),
            Item(
                "Cơ sở dữ liệu chuyên gia khoa học và công nghệ Hải Phòng",
                "Hồ sơ chuyên gia, nhà khoa học đang công tác tại Hải Phòng theo lĩnh vực "
                "chuyên môn, phục vụ tuyển chọn hội đồng tư vấn và đánh giá nhiệm vụ.",
                ("chuyên gia", "nhân lực khoa học và công nghệ"),
                "restricted",
            ),
        ),
        websites=(
            Item(
                "Cổng thông tin điện tử Sở Khoa học và Công nghệ Hải Phòng",
                "Tin tức, văn bản quản lý, thủ tục hành chính và thông báo tuyển chọn nhiệm vụ "
                "khoa học và công nghệ của thành phố.",
                ("cổng thông tin", "thủ tục hành chính", "khoa học và công nghệ"),
                "/",
            ),
            Item(
                "Sàn giao dịch công nghệ và thiết bị Hải Phòng",
                "Kết nối cung cầu công nghệ: chào bán, tìm mua công nghệ, thiết bị và dịch vụ "
                "chuyển giao công nghệ cho doanh nghiệp thành phố.",
                ("thị trường công nghệ", "chuyển giao công nghệ"),
                "/san-giao-dich-cong-nghe",
            ),
        ),
        services=(
            Item(
                "Tiếp nhận hồ sơ đề xuất đặt hàng nhiệm vụ khoa học và công nghệ",
                "Tổ chức, cá nhân gửi đề xuất nhiệm vụ khoa học và công nghệ cấp thành phố "
                "trực tuyến; theo dõi kết quả xét duyệt và thông báo tuyển chọn.",
                ("nhiệm vụ khoa học và công nghệ", "dịch vụ công trực tuyến"),
                "open",
            ),
            Item(
                "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ",
                "Hướng dẫn và tiếp nhận hồ sơ đăng ký, lưu giữ kết quả nhiệm vụ khoa học và "
                "công nghệ sử dụng ngân sách nhà nước.",
                ("đăng ký kết quả", "quản lý khoa học"),
                "open",
            ),
            Item(
                "Hỗ trợ doanh nghiệp xác lập quyền sở hữu trí tuệ",
                "Tư vấn đăng ký nhãn hiệu, sáng chế, giải pháp hữu ích và chỉ dẫn địa lý cho "
                "doanh nghiệp và hợp tác xã trên địa bàn thành phố.",
                ("sở hữu trí tuệ", "nhãn hiệu", "sáng chế"),
                "open",
            ),
        ),
        trainings=(
            Item(
                "Tập huấn nghiệp vụ quản lý nhiệm vụ khoa học và công nghệ cấp cơ sở",
                "Quy trình xác định, tuyển chọn, kiểm tra và nghiệm thu nhiệm vụ khoa học và "
                "công nghệ cấp cơ sở cho cán bộ các sở, ngành và quận, huyện.",
                ("quản lý khoa học", "tập huấn"),
                "Hội trường Sở Khoa học và Công nghệ Hải Phòng",
            ),
            Item(
                "Hội thảo đổi mới sáng tạo và chuyển đổi số trong doanh nghiệp nhỏ và vừa",
                "Chia sẻ kinh nghiệm ứng dụng công nghệ số, quản trị dữ liệu và tiếp cận "
                "chương trình hỗ trợ đổi mới công nghệ của thành phố.",
                ("đổi mới sáng tạo", "chuyển đổi số", "doanh nghiệp nhỏ và vừa"),
                "Trung tâm Hội nghị thành phố Hải Phòng",
            ),
        ),
        publications=(
            Publication(
                "Báo cáo tổng hợp hoạt động khoa học và công nghệ thành phố Hải Phòng giai đoạn 2016–2020",
                R,
                2021,
                ("quản lý khoa học", "Hải Phòng"),
            ),
            Publication(
                "Chiến lược phát triển khoa học, công nghệ và đổi mới sáng tạo thành phố Hải Phòng đến năm 2030",
                R,
                2022,
                ("chiến lược", "đổi mới sáng tạo"),
            ),
            Publication(
                "Thực trạng và giải pháp phát triển thị trường khoa học và công nghệ tại Hải Phòng",
                A,
                2020,
                ("thị trường công nghệ", "chính sách"),
            ),
            Publication(
                "Đánh giá hiệu quả ứng dụng kết quả nghiên cứu đề tài cấp thành phố trong sản xuất nông nghiệp",
                A,
                2019,
                ("ứng dụng kết quả nghiên cứu", "nông nghiệp"),
            ),
            Publication(
                "Kỷ yếu Hội thảo khoa học Khoa học và công nghệ phục vụ phát triển kinh tế biển Hải Phòng",
                B,
                2023,
                ("kinh tế biển", "hội thảo"),
            ),
            Publication(
                "Cơ chế tài chính cho nhiệm vụ khoa học và công nghệ: kinh nghiệm của Hải Phòng",
                A,
                2021,
                ("tài chính khoa học", "chính sách"),
            ),
            Publication(
                "Hệ sinh thái khởi nghiệp đổi mới sáng tạo thành phố Hải Phòng: hiện trạng và định hướng",
                A,
                2024,
                ("khởi nghiệp", "đổi mới sáng tạo"),
            ),
            Publication(
                "Sổ tay hướng dẫn xây dựng và áp dụng hệ thống quản lý chất lượng theo TCVN ISO 9001:2015",
                B,
                2020,
                ("tiêu chuẩn", "đo lường chất lượng"),
            ),
            Publication(
                "Kết quả điều tra nguồn nhân lực khoa học và công nghệ thành phố Hải Phòng năm 2022",
                R,
                2023,
                ("nhân lực khoa học và công nghệ", "thống kê"),
            ),
            Publication(
                "Ứng dụng công nghệ sinh học trong sản xuất giống cây trồng tại huyện Thủy Nguyên",
                A,
                2018,
                ("công nghệ sinh học", "giống cây trồng"),
            ),
            Publication(
                "Phát triển tài sản trí tuệ cho sản phẩm đặc sản địa phương: nhãn hiệu chứng nhận Nước mắm Cát Hải",
                A,
                2022,
                ("sở hữu trí tuệ", "đặc sản"),
            ),
            Publication(
                "An toàn bức xạ trong cơ sở y tế trên địa bàn Hải Phòng: thực trạng quản lý",
                A,
                2023,
                ("an toàn bức xạ", "quản lý nhà nước"),
            ),
            Publication(
                "Đề án hỗ trợ doanh nghiệp đổi mới công nghệ thành phố Hải Phòng giai đoạn 2021–2025",
                R,
                2021,
                ("đổi mới công nghệ", "doanh nghiệp"),
            ),
        ),
    ),
    "ttkhcn": MemberContent(
        publisher="Trung tâm Thông tin Khoa học và Công nghệ Hải Phòng",
        journal="Thông tin Khoa học và Công nghệ Hải Phòng",
        journal_issn7="1859278",
        isbn_publisher="961",
        authors=(
            "Hoàng Thị Lan Anh",
            "Bùi Đức Trung",
            "Ngô Thị Thanh Huyền",
            "Đặng Văn Khoa",
            "Lương Thị Mai",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu kết quả nghiên cứu khoa học và công nghệ Hải Phòng",
                "Toàn văn báo cáo tổng hợp và tóm tắt kết quả các nhiệm vụ khoa học và công "
                "nghệ đã đăng ký tại Hải Phòng, tra cứu theo lĩnh vực, tổ chức chủ trì, năm.",
                ("kết quả nghiên cứu", "thông tin khoa học và công nghệ"),
                "onsite",
            ),
            Item(
                "Cơ sở dữ liệu công bố khoa học của nhà khoa học Hải Phòng",
                "Thư mục bài báo, sách chuyên khảo và báo cáo hội nghị do nhà khoa học đang "
                "công tác tại Hải Phòng công bố trong nước và quốc tế.",
                ("công bố khoa học", "thư mục"),
                "open",
            ),
            Item(
                "Cơ sở dữ liệu thống kê khoa học và công nghệ thành phố",
                "Số liệu thống kê cơ sở về tổ chức, nhân lực, chi cho khoa học và công nghệ "
                "theo chế độ báo cáo thống kê ngành khoa học và công nghệ.",
                ("thống kê khoa học và công nghệ", "số liệu"),
                "restricted",
            ),
        ),
        websites=(
            Item(
                "Hệ thống tra cứu chỉ dẫn chung Mạng lưới thông tin khoa học và công nghệ Hải Phòng",
                "Điểm tra cứu thống nhất các nguồn tin khoa học và công nghệ của các thành viên "
                "mạng lưới: cơ sở dữ liệu, ấn phẩm, website, dịch vụ và sự kiện đào tạo.",
                ("mạng lưới thông tin", "tra cứu", "nguồn tin khoa học và công nghệ"),
                "/tra-cuu",
            ),
            Item(
                "Thư viện số khoa học và công nghệ Hải Phòng",
                "Bộ sưu tập số tài liệu khoa học và công nghệ địa phương: báo cáo, kỷ yếu, "
                "tạp chí, tài liệu hội thảo.",
                ("thư viện số", "tài liệu địa phương"),
                "/thu-vien-so",
            ),
        ),
        services=(
            Item(
                "Cung cấp thông tin theo yêu cầu",
                "Tìm kiếm, tổng hợp và cung cấp thông tin khoa học và công nghệ theo yêu cầu "
                "của cơ quan quản lý, doanh nghiệp và nhà nghiên cứu.",
                ("dịch vụ thông tin", "tìm tin theo yêu cầu"),
                "open",
            ),
            Item(
                "Truy cập cơ sở dữ liệu khoa học quốc tế tại phòng đọc",
                "Người dùng được tra cứu các cơ sở dữ liệu khoa học quốc tế do Bộ Khoa học và "
                "Công nghệ mua quyền truy cập, tại phòng đọc của Trung tâm.",
                ("cơ sở dữ liệu quốc tế", "phòng đọc"),
                "onsite",
            ),
            Item(
                "Thông tin phân tích chuyên đề phục vụ lãnh đạo",
                "Biên soạn tổng quan, thông tin chuyên đề về xu hướng công nghệ phục vụ hoạch "
                "định chính sách của thành phố.",
                ("thông tin phân tích", "tổng quan"),
                "restricted",
            ),
        ),
        trainings=(
            Item(
                "Tập huấn cập nhật dữ liệu lên Hệ thống tra cứu chỉ dẫn chung",
                "Hướng dẫn cán bộ thông tin của các thành viên mạng lưới lấy khoá truy cập, "
                "đẩy dữ liệu qua API, nhập tệp CSV, Excel, MARC và đọc báo cáo lỗi.",
                ("mạng lưới thông tin", "cập nhật dữ liệu", "tập huấn"),
                "Phòng máy Trung tâm Thông tin Khoa học và Công nghệ Hải Phòng",
            ),
            Item(
                "Lớp bồi dưỡng nghiệp vụ thông tin, thư viện và thống kê khoa học và công nghệ",
                "Xử lý tài liệu theo chuẩn Dublin Core và MARC21, xây dựng cơ sở dữ liệu thư "
                "mục, báo cáo thống kê khoa học và công nghệ.",
                ("nghiệp vụ thông tin", "thống kê khoa học và công nghệ"),
                "Hội trường Trung tâm Thông tin Khoa học và Công nghệ Hải Phòng",
            ),
        ),
        publications=(
            Publication(
                "Tổng quan xu hướng ứng dụng trí tuệ nhân tạo trong quản lý đô thị thông minh",
                A,
                2024,
                ("trí tuệ nhân tạo", "đô thị thông minh"),
            ),
            Publication(
                "Thư mục kết quả nghiên cứu khoa học và công nghệ Hải Phòng 2015–2020",
                B,
                2021,
                ("thư mục", "kết quả nghiên cứu"),
            ),
            Publication(
                "Xây dựng mạng lưới thông tin khoa học và công nghệ thành phố Hải Phòng: mô hình và giải pháp",
                A,
                2020,
                ("mạng lưới thông tin", "chia sẻ nguồn tin"),
            ),
            Publication(
                "Chuẩn hoá siêu dữ liệu Dublin Core cho nguồn tin khoa học và công nghệ địa phương",
                A,
                2021,
                ("siêu dữ liệu", "Dublin Core"),
            ),
            Publication(
                "Công nghệ nuôi trồng thủy sản tuần hoàn: tổng quan và khả năng áp dụng tại Hải Phòng",
                A,
                2022,
                ("nuôi trồng thủy sản", "tổng quan công nghệ"),
            ),
            Publication(
                "Hướng dẫn khai thác cơ sở dữ liệu khoa học quốc tế ScienceDirect và SpringerLink",
                B,
                2019,
                ("cơ sở dữ liệu quốc tế", "kỹ năng thông tin"),
            ),
            Publication(
                "Số liệu thống kê khoa học và công nghệ thành phố Hải Phòng năm 2023",
                R,
                2024,
                ("thống kê khoa học và công nghệ", "số liệu"),
            ),
            Publication(
                "Nhu cầu tin của doanh nghiệp nhỏ và vừa tại Hải Phòng: kết quả khảo sát",
                A,
                2023,
                ("nhu cầu tin", "doanh nghiệp nhỏ và vừa"),
            ),
            Publication(
                "Kinh tế tuần hoàn trong công nghiệp: kinh nghiệm quốc tế và bài học cho Hải Phòng",
                A,
                2023,
                ("kinh tế tuần hoàn", "công nghiệp"),
            ),
            Publication(
                "Năng lượng tái tạo ven biển: tổng luận thông tin chuyên đề",
                R,
                2022,
                ("năng lượng tái tạo", "điện gió"),
            ),
            Publication(
                "Số hoá tài liệu khoa học và công nghệ địa phương: quy trình và chuẩn kỹ thuật",
                A,
                2024,
                ("số hoá", "thư viện số"),
            ),
            Publication(
                "Tổng luận công nghệ xử lý chất thải rắn sinh hoạt đô thị",
                R,
                2021,
                ("chất thải rắn", "môi trường đô thị"),
            ),
            Publication(
                "Chia sẻ dữ liệu qua giao thức OAI-PMH giữa các thư viện đại học Hải Phòng",
                A,
                2025,
                ("OAI-PMH", "chia sẻ dữ liệu"),
            ),
        ),
    ),
    "vmu": MemberContent(
        publisher="Nhà xuất bản Hàng hải",
        journal="Tạp chí Khoa học Công nghệ Hàng hải",
        journal_issn7="1859316",
        isbn_publisher="937",
        authors=(
            "Phạm Xuân Dương",
            "Nguyễn Minh Đức",
            "Trần Anh Dũng",
            "Lê Quốc Tiến",
            "Đinh Xuân Mạnh",
            "Nguyễn Thị Thu Hằng",
            "Vũ Văn Duy",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu luận văn, luận án Trường Đại học Hàng hải Việt Nam",
                "Toàn văn luận văn thạc sĩ và luận án tiến sĩ bảo vệ tại Trường từ năm 2005 "
                "thuộc các ngành khoa học hàng hải, kỹ thuật tàu thủy, kinh tế vận tải biển.",
                ("luận văn", "luận án", "hàng hải"),
                "restricted",
            ),
            Item(
                "Cơ sở dữ liệu tàu biển và tai nạn hàng hải",
                "Dữ liệu về đội tàu biển Việt Nam và các vụ tai nạn hàng hải được phân tích "
                "phục vụ giảng dạy và nghiên cứu an toàn hàng hải.",
                ("an toàn hàng hải", "tàu biển", "tai nạn hàng hải"),
                "restricted",
            ),
            Item(
                "Kho tài liệu số Thư viện Trường Đại học Hàng hải Việt Nam",
                "Giáo trình, bài giảng, sách tham khảo số hoá và bài báo khoa học của giảng "
                "viên, quản lý trên DSpace và thu hoạch được qua OAI-PMH.",
                ("thư viện số", "giáo trình", "hàng hải"),
                "open",
            ),
        ),
        websites=(
            Item(
                "Cổng thông tin Trường Đại học Hàng hải Việt Nam",
                "Thông tin tuyển sinh, đào tạo, nghiên cứu khoa học và hợp tác quốc tế của "
                "Trường Đại học Hàng hải Việt Nam.",
                ("giáo dục đại học", "hàng hải"),
                "/",
            ),
            Item(
                "Tạp chí Khoa học Công nghệ Hàng hải trực tuyến",
                "Phiên bản điện tử của Tạp chí Khoa học Công nghệ Hàng hải: mục lục, tóm tắt "
                "và toàn văn các số từ năm 2010, hệ thống gửi bài trực tuyến.",
                ("tạp chí khoa học", "hàng hải"),
                "/tap-chi",
            ),
        ),
        services=(
            Item(
                "Mô phỏng buồng lái và buồng máy tàu biển",
                "Cho thuê và tổ chức huấn luyện trên hệ thống mô phỏng buồng lái, buồng máy "
                "đạt chuẩn STCW cho sĩ quan và thuyền viên.",
                ("mô phỏng", "huấn luyện thuyền viên", "STCW"),
                "onsite",
            ),
            Item(
                "Thử nghiệm vật liệu và kết cấu tàu thủy",
                "Phòng thí nghiệm thử kéo, uốn, va đập, đo độ cứng vật liệu và kiểm tra "
                "không phá huỷ mối hàn kết cấu thân tàu.",
                ("thử nghiệm vật liệu", "đóng tàu", "kiểm tra không phá huỷ"),
                "onsite",
            ),
            Item(
                "Tư vấn quy hoạch và thiết kế cảng biển",
                "Tư vấn lập quy hoạch, thiết kế cơ sở công trình cảng, luồng tàu và đánh giá "
                "năng lực khai thác cảng container.",
                ("cảng biển", "công trình thủy", "tư vấn thiết kế"),
                "restricted",
            ),
        ),
        trainings=(
            Item(
                "Khoá huấn luyện an toàn cơ bản cho thuyền viên",
                "Kỹ thuật cứu sinh cá nhân, phòng cháy chữa cháy, sơ cứu y tế và an toàn xã "
                "hội theo Công ước STCW 78 sửa đổi.",
                ("huấn luyện thuyền viên", "an toàn hàng hải", "STCW"),
                "Trung tâm Huấn luyện thuyền viên, Trường Đại học Hàng hải Việt Nam",
            ),
            Item(
                "Hội thảo quốc gia Khoa học công nghệ hàng hải và logistics",
                "Báo cáo khoa học về tự động hoá tàu biển, logistics cảng biển, năng lượng "
                "xanh trong vận tải biển.",
                ("logistics", "vận tải biển", "hội thảo"),
                "Hội trường A, Trường Đại học Hàng hải Việt Nam",
            ),
        ),
        publications=(
            Publication("Giáo trình Điều động tàu biển", B, 2018, ("điều động tàu", "hàng hải")),
            Publication(
                "Giáo trình Luật hàng hải quốc tế", B, 2020, ("luật hàng hải", "công ước quốc tế")
            ),
            Publication(
                "Nghiên cứu ứng dụng hệ thống nhận dạng tự động AIS trong giám sát luồng hàng hải Hải Phòng",
                A,
                2019,
                ("AIS", "giám sát hàng hải", "luồng Hải Phòng"),
            ),
            Publication(
                "Tối ưu hoá kế hoạch xếp dỡ container tại cảng Lạch Huyện bằng thuật toán di truyền",
                A,
                2021,
                ("cảng container", "tối ưu hoá", "Lạch Huyện"),
            ),
            Publication(
                "Đánh giá phát thải khí nhà kính từ đội tàu biển Việt Nam theo quy định IMO 2023",
                A,
                2023,
                ("phát thải khí nhà kính", "IMO", "vận tải biển"),
            ),
            Publication(
                "Thiết kế bộ điều khiển lái tự động tàu thủy sử dụng mạng nơ-ron",
                A,
                2020,
                ("điều khiển tự động", "mạng nơ-ron", "tàu thủy"),
            ),
            Publication(
                "Nghiên cứu ăn mòn kết cấu thép công trình cảng trong môi trường nước biển Hải Phòng",
                A,
                2018,
                ("ăn mòn", "công trình cảng"),
            ),
            Publication(
                "Phát triển dịch vụ logistics tại cụm cảng Hải Phòng trong bối cảnh hội nhập",
                T,
                2022,
                ("logistics", "cảng biển", "kinh tế vận tải"),
            ),
            Publication(
                "Nghiên cứu giải pháp nâng cao hiệu quả khai thác cảng cạn ICD khu vực Hải Phòng",
                T,
                2021,
                ("cảng cạn", "vận tải đa phương thức"),
            ),
            Publication(
                "Ứng dụng nhiên liệu LNG cho tàu biển Việt Nam: đánh giá kinh tế – kỹ thuật",
                A,
                2024,
                ("LNG", "nhiên liệu sạch", "tàu biển"),
            ),
            Publication(
                "Sổ tay sĩ quan boong tàu hàng rời", B, 2019, ("tàu hàng rời", "nghiệp vụ sĩ quan")
            ),
            Publication(
                "Báo cáo tổng kết đề tài: Xây dựng hệ thống mô phỏng huấn luyện điều khiển tàu trên luồng Lạch Huyện",
                R,
                2022,
                ("mô phỏng", "huấn luyện thuyền viên"),
            ),
            Publication(
                "Tự động hoá hệ thống năng lượng tàu thủy",
                B,
                2023,
                ("tự động hoá", "hệ thống điện tàu thủy"),
            ),
        ),
    ),
    "dhhp": MemberContent(
        publisher="Nhà xuất bản Đại học Hải Phòng",
        journal="Tạp chí Khoa học Đại học Hải Phòng",
        journal_issn7="1859290",
        isbn_publisher="962",
        authors=(
            "Nguyễn Thị Hồng Vân",
            "Trần Văn Hùng",
            "Phạm Thị Ngọc Lan",
            "Lê Văn Bình",
            "Đoàn Thị Thanh Tâm",
            "Hoàng Minh Tuấn",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu đề tài nghiên cứu khoa học của giảng viên và sinh viên",
                "Đề tài nghiên cứu khoa học cấp trường, cấp bộ và đề tài sinh viên nghiên cứu "
                "khoa học của Trường Đại học Hải Phòng, kèm tóm tắt và kết quả.",
                ("nghiên cứu khoa học sinh viên", "đề tài cấp trường"),
                "open",
            ),
            Item(
                "Cơ sở dữ liệu tài liệu địa chí Kiến An – Hải Phòng",
                "Tài liệu lịch sử, văn hoá, địa lý về vùng Kiến An và Hải Phòng do Trường sưu "
                "tầm, số hoá phục vụ giảng dạy lịch sử địa phương.",
                ("địa chí", "lịch sử địa phương", "Kiến An"),
                "open",
            ),
            Item(
                "Cơ sở dữ liệu khoá luận tốt nghiệp",
                "Khoá luận tốt nghiệp đại học của sinh viên các ngành sư phạm, kinh tế, kỹ "
                "thuật và ngoại ngữ từ năm 2012.",
                ("khoá luận tốt nghiệp", "giáo dục đại học"),
                "onsite",
            ),
        ),
        websites=(
            Item(
                "Cổng thông tin Trường Đại học Hải Phòng",
                "Thông tin đào tạo, tuyển sinh, khoa học công nghệ và hợp tác của Trường Đại "
                "học Hải Phòng.",
                ("giáo dục đại học", "Hải Phòng"),
                "/",
            ),
            Item(
                "Trung tâm Thông tin – Thư viện Trường Đại học Hải Phòng",
                "Tra cứu mục lục trực tuyến OPAC, đặt mượn tài liệu, tài nguyên điện tử và "
                "hướng dẫn sử dụng thư viện.",
                ("thư viện đại học", "OPAC"),
                "/thu-vien",
            ),
        ),
        services=(
            Item(
                "Kiểm tra trùng lặp luận văn, bài báo khoa học",
                "Kiểm tra mức độ trùng lặp của luận văn, khoá luận và bản thảo bài báo trước "
                "khi bảo vệ hoặc gửi đăng.",
                ("liêm chính học thuật", "kiểm tra trùng lặp"),
                "restricted",
            ),
            Item(
                "Phân tích mẫu đất, nước phục vụ nông nghiệp",
                "Phòng thí nghiệm phân tích các chỉ tiêu lý hoá của đất, nước tưới và phân bón "
                "cho hợp tác xã, doanh nghiệp nông nghiệp.",
                ("phân tích đất", "chất lượng nước", "nông nghiệp"),
                "onsite",
            ),
            Item(
                "Mượn liên thư viện giữa các trường đại học Hải Phòng",
                "Bạn đọc mượn tài liệu của thư viện các trường thành viên mạng lưới thông qua "
                "Trung tâm Thông tin – Thư viện.",
                ("mượn liên thư viện", "chia sẻ nguồn tin"),
                "open",
            ),
        ),
        trainings=(
            Item(
                "Hội thảo phương pháp nghiên cứu khoa học cho sinh viên",
                "Xác định vấn đề nghiên cứu, tổng quan tài liệu, thiết kế khảo sát và viết "
                "báo cáo khoa học cho sinh viên năm thứ hai, thứ ba.",
                ("phương pháp nghiên cứu", "nghiên cứu khoa học sinh viên"),
                "Giảng đường A5, Trường Đại học Hải Phòng",
            ),
            Item(
                "Tập huấn khai thác tài nguyên thông tin điện tử",
                "Kỹ năng tìm kiếm, đánh giá và trích dẫn tài liệu điện tử; sử dụng phần mềm "
                "quản lý tài liệu tham khảo Zotero.",
                ("kỹ năng thông tin", "trích dẫn", "Zotero"),
                "Trung tâm Thông tin – Thư viện, Trường Đại học Hải Phòng",
            ),
        ),
        publications=(
            Publication(
                "Văn hoá biển đảo Hải Phòng trong tiến trình lịch sử",
                B,
                2019,
                ("văn hoá biển", "lịch sử Hải Phòng"),
            ),
            Publication(
                "Giáo trình Toán cao cấp cho sinh viên khối kinh tế",
                B,
                2021,
                ("toán cao cấp", "giáo trình"),
            ),
            Publication(
                "Nâng cao năng lực cạnh tranh của doanh nghiệp logistics Hải Phòng",
                A,
                2022,
                ("logistics", "năng lực cạnh tranh"),
            ),
            Publication(
                "Đổi mới phương pháp dạy học môn Ngữ văn theo định hướng phát triển năng lực học sinh",
                A,
                2020,
                ("phương pháp dạy học", "giáo dục phổ thông"),
            ),
            Publication(
                "Nghiên cứu chế tạo vật liệu nano TiO2 xử lý nước thải dệt nhuộm",
                A,
                2021,
                ("vật liệu nano", "xử lý nước thải"),
            ),
            Publication(
                "Di tích lịch sử – văn hoá Kiến An: giá trị và bảo tồn",
                B,
                2018,
                ("di tích", "Kiến An", "bảo tồn"),
            ),
            Publication(
                "Ảnh hưởng của chuyển đổi số đến hoạt động kế toán tại doanh nghiệp nhỏ và vừa ở Hải Phòng",
                T,
                2023,
                ("kế toán", "chuyển đổi số"),
            ),
            Publication(
                "Tuyển tập báo cáo Hội nghị nghiên cứu khoa học sinh viên năm 2024",
                B,
                2024,
                ("nghiên cứu khoa học sinh viên", "kỷ yếu"),
            ),
            Publication(
                "Mô hình sinh kế bền vững cho cư dân ven biển huyện Tiên Lãng",
                A,
                2022,
                ("sinh kế", "ven biển", "Tiên Lãng"),
            ),
            Publication(
                "Ứng dụng học máy dự báo kết quả học tập của sinh viên",
                A,
                2024,
                ("học máy", "giáo dục đại học"),
            ),
            Publication(
                "Dạy học tiếng Anh chuyên ngành hàng hải: thực trạng và giải pháp",
                A,
                2019,
                ("tiếng Anh chuyên ngành", "hàng hải"),
            ),
            Publication(
                "Báo cáo đề tài cấp bộ: Phát triển du lịch cộng đồng tại quần đảo Cát Bà",
                R,
                2023,
                ("du lịch cộng đồng", "Cát Bà"),
            ),
            Publication(
                "Quản lý chất lượng giáo dục đại học theo tiếp cận AUN-QA",
                T,
                2020,
                ("kiểm định chất lượng", "AUN-QA"),
            ),
        ),
    ),
    "hpmu": MemberContent(
        publisher="Nhà xuất bản Y học",
        journal="Tạp chí Y học Dự phòng Hải Phòng",
        journal_issn7="1859155",
        isbn_publisher="966",
        authors=(
            "Phạm Văn Linh",
            "Nguyễn Thị Thắm",
            "Vũ Hải Vinh",
            "Phạm Minh Khuê",
            "Đinh Thị Diệu Hằng",
            "Trần Thị Quỳnh Chi",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu luận văn, luận án y dược",
                "Luận văn bác sĩ nội trú, thạc sĩ, chuyên khoa II và luận án tiến sĩ y học của "
                "Trường Đại học Y Dược Hải Phòng, kèm tóm tắt tiếng Việt và tiếng Anh.",
                ("luận án y học", "y dược"),
                "restricted",
            ),
            Item(
                "Cơ sở dữ liệu bệnh nghề nghiệp vùng biển đảo",
                "Số liệu nghiên cứu dịch tễ học bệnh nghề nghiệp của ngư dân, thuyền viên và "
                "công nhân cảng tại Hải Phòng và các tỉnh ven biển Bắc Bộ.",
                ("bệnh nghề nghiệp", "dịch tễ học", "y học biển"),
                "restricted",
            ),
            Item(
                "Thư viện điện tử y học Hải Phòng",
                "Giáo trình, bài giảng, hướng dẫn chẩn đoán và điều trị, hình ảnh giải phẫu "
                "số hoá phục vụ đào tạo bác sĩ, dược sĩ, điều dưỡng.",
                ("thư viện số", "giáo trình y khoa"),
                "open",
            ),
        ),
        websites=(
            Item(
                "Cổng thông tin Trường Đại học Y Dược Hải Phòng",
                "Thông tin đào tạo, nghiên cứu khoa học, hợp tác quốc tế và các bệnh viện "
                "thực hành của Trường.",
                ("giáo dục y khoa", "Hải Phòng"),
                "/",
            ),
            Item(
                "Tạp chí Y học Dự phòng Hải Phòng trực tuyến",
                "Toàn văn các bài báo nghiên cứu về y tế công cộng, dịch tễ học và y học dự "
                "phòng, hệ thống phản biện trực tuyến.",
                ("tạp chí y học", "y học dự phòng"),
                "/tap-chi",
            ),
        ),
        services=(
            Item(
                "Xét nghiệm sinh học phân tử phục vụ nghiên cứu",
                "Phòng thí nghiệm trung tâm cung cấp dịch vụ tách chiết ADN, PCR định lượng và "
                "giải trình tự gen cho các nhóm nghiên cứu.",
                ("sinh học phân tử", "xét nghiệm", "PCR"),
                "onsite",
            ),
            Item(
                "Tư vấn thiết kế nghiên cứu và phân tích thống kê y sinh",
                "Hỗ trợ học viên, bác sĩ xây dựng đề cương, tính cỡ mẫu và phân tích số liệu "
                "bằng SPSS, Stata, R.",
                ("thống kê y sinh", "phương pháp nghiên cứu"),
                "restricted",
            ),
            Item(
                "Hội đồng đạo đức trong nghiên cứu y sinh học",
                "Tiếp nhận và thẩm định hồ sơ nghiên cứu y sinh học có sự tham gia của con "
                "người theo quy định của Bộ Y tế.",
                ("đạo đức nghiên cứu", "y sinh học"),
                "open",
            ),
        ),
        trainings=(
            Item(
                "Lớp đào tạo liên tục Cấp cứu ban đầu trên biển",
                "Kỹ năng sơ cấp cứu, vận chuyển nạn nhân và sử dụng tủ thuốc trên tàu cho cán "
                "bộ y tế tuyến cơ sở và thuyền viên.",
                ("cấp cứu", "y học biển", "đào tạo liên tục"),
                "Trung tâm Kỹ năng y khoa, Trường Đại học Y Dược Hải Phòng",
            ),
            Item(
                "Hội nghị khoa học Y Dược học Hải Phòng mở rộng",
                "Báo cáo nghiên cứu lâm sàng, y tế công cộng, dược học và điều dưỡng của các "
                "bệnh viện và viện nghiên cứu khu vực duyên hải Bắc Bộ.",
                ("hội nghị y học", "nghiên cứu lâm sàng"),
                "Hội trường lớn, Trường Đại học Y Dược Hải Phòng",
            ),
        ),
        publications=(
            Publication(
                "Thực trạng bệnh tăng huyết áp ở người cao tuổi tại quận Lê Chân, Hải Phòng",
                A,
                2020,
                ("tăng huyết áp", "người cao tuổi"),
            ),
            Publication(
                "Đặc điểm lâm sàng và kết quả điều trị sốt xuất huyết Dengue ở trẻ em tại Bệnh viện Trẻ em Hải Phòng",
                A,
                2021,
                ("sốt xuất huyết", "nhi khoa"),
            ),
            Publication("Giáo trình Dịch tễ học", B, 2019, ("dịch tễ học", "giáo trình y khoa")),
            Publication(
                "Tình trạng dinh dưỡng của trẻ dưới 5 tuổi tại huyện đảo Bạch Long Vĩ",
                A,
                2022,
                ("dinh dưỡng", "trẻ em", "Bạch Long Vĩ"),
            ),
            Publication(
                "Kiến thức, thái độ, thực hành phòng chống COVID-19 của sinh viên y khoa",
                A,
                2021,
                ("COVID-19", "y tế công cộng"),
            ),
            Publication(
                "Nghiên cứu đặc điểm gen kháng kháng sinh của vi khuẩn Klebsiella pneumoniae phân lập tại Hải Phòng",
                A,
                2023,
                ("kháng kháng sinh", "vi sinh"),
            ),
            Publication(
                "Bệnh nghề nghiệp của thuyền viên Việt Nam: nghiên cứu cắt ngang",
                A,
                2019,
                ("bệnh nghề nghiệp", "thuyền viên"),
            ),
            Publication("Giáo trình Dược liệu học", B, 2022, ("dược liệu", "dược học")),
            Publication(
                "Đánh giá hiệu quả can thiệp giáo dục sức khoẻ phòng bệnh đái tháo đường typ 2 tại cộng đồng",
                T,
                2023,
                ("đái tháo đường", "giáo dục sức khoẻ"),
            ),
            Publication(
                "Ứng dụng phẫu thuật nội soi điều trị sỏi mật tại Bệnh viện Hữu nghị Việt Tiệp",
                A,
                2020,
                ("phẫu thuật nội soi", "sỏi mật"),
            ),
            Publication(
                "Hoạt chất sinh học từ rong biển vùng ven biển Hải Phòng",
                A,
                2024,
                ("rong biển", "hoạt chất sinh học"),
            ),
            Publication(
                "Báo cáo tổng kết đề tài: Mô hình chăm sóc sức khoẻ ngư dân đánh bắt xa bờ",
                R,
                2022,
                ("y học biển", "ngư dân"),
            ),
            Publication(
                "Ô nhiễm không khí và bệnh hô hấp ở trẻ em nội thành Hải Phòng",
                T,
                2024,
                ("ô nhiễm không khí", "bệnh hô hấp"),
            ),
        ),
    ),
    "tvhp": MemberContent(
        publisher="Thư viện Khoa học Tổng hợp Hải Phòng",
        journal="Thông tin Thư viện Hải Phòng",
        journal_issn7="1859264",
        isbn_publisher="963",
        authors=(
            "Nguyễn Thị Kim Dung",
            "Phạm Văn Sơn",
            "Trần Thị Hương",
            "Lê Thị Bích Ngọc",
            "Vũ Đình Hải",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu thư mục địa chí Hải Phòng",
                "Thư mục sách, báo, tạp chí viết về Hải Phòng: lịch sử, địa lý, kinh tế, văn "
                "hoá, nhân vật, với hơn 30 nghìn biểu ghi MARC21.",
                ("địa chí", "thư mục", "Hải Phòng"),
                "open",
            ),
            Item(
                "Bộ sưu tập số Báo Hải Phòng",
                "Số hoá toàn văn Báo Hải Phòng từ năm 1955, tra cứu theo ngày, chuyên mục và "
                "từ khoá.",
                ("báo chí", "số hoá", "tài liệu địa phương"),
                "onsite",
            ),
            Item(
                "Mục lục trực tuyến OPAC Thư viện Khoa học Tổng hợp Hải Phòng",
                "Tra cứu vốn tài liệu sách, báo, tạp chí, tài liệu nghe nhìn của Thư viện và "
                "hệ thống thư viện quận, huyện.",
                ("OPAC", "mục lục thư viện"),
                "open",
            ),
        ),
        websites=(
            Item(
                "Thư viện số Hải Phòng",
                "Cổng truy cập tài nguyên số của Thư viện: sách điện tử, tài liệu địa chí, "
                "bản đồ cổ và ảnh tư liệu Hải Phòng.",
                ("thư viện số", "tài liệu địa phương"),
                "/thu-vien-so",
            ),
            Item(
                "Trang thông tin Thư viện Khoa học Tổng hợp Hải Phòng",
                "Giới thiệu sách mới, hoạt động văn hoá đọc, lịch phục vụ và dịch vụ thư viện.",
                ("văn hoá đọc", "thư viện công cộng"),
                "/",
            ),
        ),
        services=(
            Item(
                "Phục vụ bạn đọc tại phòng đọc tổng hợp và phòng địa chí",
                "Đọc tại chỗ sách, báo, tài liệu địa chí quý hiếm; hỗ trợ tra cứu của thủ thư "
                "chuyên ngành.",
                ("phòng đọc", "địa chí"),
                "onsite",
            ),
            Item(
                "Thư viện lưu động phục vụ vùng sâu, vùng xa, hải đảo",
                "Xe thư viện lưu động luân chuyển sách tới trường học, xã đảo Cát Hải, Bạch "
                "Long Vĩ và các điểm bưu điện văn hoá xã.",
                ("thư viện lưu động", "văn hoá đọc", "hải đảo"),
                "open",
            ),
            Item(
                "Cung cấp bản sao tài liệu và số hoá theo yêu cầu",
                "Sao chụp, số hoá tài liệu trong phạm vi pháp luật về quyền tác giả cho người "
                "nghiên cứu.",
                ("số hoá", "cung cấp tài liệu"),
                "restricted",
            ),
        ),
        trainings=(
            Item(
                "Tập huấn nghiệp vụ biên mục MARC21 và khung phân loại DDC 23",
                "Biên mục mô tả, chủ đề và phân loại tài liệu cho cán bộ thư viện quận, huyện "
                "và thư viện trường học.",
                ("biên mục", "MARC21", "DDC"),
                "Hội trường Thư viện Khoa học Tổng hợp Hải Phòng",
            ),
            Item(
                "Ngày hội Văn hoá đọc Hải Phòng",
                "Trưng bày sách, giao lưu tác giả, thi kể chuyện theo sách và giới thiệu tài "
                "nguyên số cho học sinh, sinh viên.",
                ("văn hoá đọc", "sự kiện"),
                "Cung Văn hoá Thanh niên Hải Phòng",
            ),
        ),
        publications=(
            Publication(
                "Thư mục địa chí Hải Phòng, tập 3: Kinh tế – Xã hội",
                B,
                2018,
                ("thư mục", "địa chí"),
            ),
            Publication("Hải Phòng – Di sản Hán Nôm", B, 2020, ("Hán Nôm", "di sản văn hoá")),
            Publication(
                "Nhân vật lịch sử Hải Phòng qua tư liệu thư viện",
                B,
                2021,
                ("nhân vật lịch sử", "Hải Phòng"),
            ),
            Publication(
                "Phát triển văn hoá đọc trong cộng đồng tại Hải Phòng: thực trạng và giải pháp",
                A,
                2022,
                ("văn hoá đọc", "thư viện công cộng"),
            ),
            Publication(
                "Số hoá tài liệu địa chí tại Thư viện Khoa học Tổng hợp Hải Phòng",
                A,
                2019,
                ("số hoá", "địa chí"),
            ),
            Publication("Lễ hội truyền thống Hải Phòng", B, 2019, ("lễ hội", "văn hoá dân gian")),
            Publication(
                "Thư mục chuyên đề Chủ tịch Hồ Chí Minh với Hải Phòng",
                B,
                2020,
                ("thư mục chuyên đề", "Hồ Chí Minh"),
            ),
            Publication(
                "Ứng dụng phần mềm mã nguồn mở Koha trong hệ thống thư viện công cộng Hải Phòng",
                A,
                2023,
                ("Koha", "phần mềm thư viện"),
            ),
            Publication("Làng nghề truyền thống Hải Phòng", B, 2022, ("làng nghề", "văn hoá")),
            Publication(
                "Thư viện lưu động – mô hình đưa sách về cơ sở",
                A,
                2024,
                ("thư viện lưu động", "văn hoá đọc"),
            ),
            Publication(
                "Chiến thắng Bạch Đằng trong thư tịch cổ", B, 2023, ("Bạch Đằng", "lịch sử")
            ),
            Publication(
                "Báo cáo kết quả khảo sát nhu cầu đọc của thanh thiếu niên Hải Phòng năm 2024",
                R,
                2024,
                ("nhu cầu đọc", "thanh thiếu niên"),
            ),
            Publication(
                "Thư mục địa chí Hải Phòng, tập 4: Văn hoá – Giáo dục",
                B,
                2025,
                ("thư mục", "địa chí"),
            ),
        ),
    ),
    "rimf": MemberContent(
        publisher="Nhà xuất bản Nông nghiệp",
        journal="Tạp chí Nghề cá Biển Việt Nam",
        journal_issn7="1859221",
        isbn_publisher="60",
        authors=(
            "Nguyễn Khắc Bát",
            "Đoàn Văn Bộ",
            "Vũ Việt Hà",
            "Nguyễn Quang Hùng",
            "Trần Văn Cường",
            "Đào Thị Liên",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu nguồn lợi hải sản vùng biển Việt Nam",
                "Kết quả các chuyến điều tra nguồn lợi hải sản bằng lưới kéo đáy, lưới rê và "
                "thuỷ âm: thành phần loài, mật độ, trữ lượng theo vùng biển.",
                ("nguồn lợi hải sản", "trữ lượng", "điều tra biển"),
                "restricted",
            ),
            Item(
                "Cơ sở dữ liệu nghề khai thác hải sản",
                "Thống kê tàu cá, ngư cụ, sản lượng khai thác theo nghề và vùng biển, phục vụ "
                "quản lý nghề cá.",
                ("khai thác hải sản", "tàu cá", "quản lý nghề cá"),
                "restricted",
            ),
            Item(
                "Bộ sưu tập mẫu vật sinh vật biển",
                "Danh mục mẫu cá, giáp xác, thân mềm lưu giữ tại Bảo tàng mẫu vật của Viện, "
                "kèm ảnh và toạ độ thu mẫu.",
                ("mẫu vật", "đa dạng sinh học biển"),
                "onsite",
            ),
        ),
        websites=(
            Item(
                "Cổng thông tin Viện Nghiên cứu Hải sản",
                "Tin hoạt động, kết quả nghiên cứu và dự báo ngư trường phục vụ ngư dân.",
                ("nghề cá", "hải sản"),
                "/",
            ),
            Item(
                "Bản tin dự báo ngư trường khai thác hải sản",
                "Dự báo ngư trường khai thác hải sản xa bờ hằng tháng cho vùng biển Vịnh Bắc "
                "Bộ, miền Trung và Đông Nam Bộ, dựa trên dữ liệu vệ tinh và điều tra.",
                ("dự báo ngư trường", "vệ tinh", "khai thác xa bờ"),
                "/du-bao-ngu-truong",
            ),
        ),
        services=(
            Item(
                "Phân tích tuổi và sinh trưởng cá bằng đá tai",
                "Dịch vụ phân tích đá tai, vảy cá xác định tuổi, tốc độ sinh trưởng phục vụ "
                "đánh giá nguồn lợi.",
                ("sinh học nghề cá", "đá tai"),
                "onsite",
            ),
            Item(
                "Quan trắc môi trường vùng nuôi trồng thủy sản",
                "Lấy mẫu và phân tích chất lượng nước, trầm tích vùng nuôi tôm, nhuyễn thể ven "
                "biển Hải Phòng, Quảng Ninh.",
                ("quan trắc môi trường", "nuôi trồng thủy sản"),
                "open",
            ),
            Item(
                "Tư vấn đánh giá tác động của dự án tới nguồn lợi thủy sản",
                "Khảo sát và đánh giá tác động của công trình lấn biển, nạo vét luồng, cảng "
                "biển tới bãi đẻ và nguồn lợi thủy sản.",
                ("đánh giá tác động", "nguồn lợi thủy sản"),
                "restricted",
            ),
        ),
        trainings=(
            Item(
                "Tập huấn ghi nhật ký khai thác thủy sản điện tử cho ngư dân",
                "Hướng dẫn ngư dân và cán bộ cảng cá ghi, nộp nhật ký khai thác điện tử đáp "
                "ứng yêu cầu chống khai thác bất hợp pháp (IUU).",
                ("IUU", "nhật ký khai thác", "ngư dân"),
                "Cảng cá Ngọc Hải, quận Đồ Sơn, Hải Phòng",
            ),
            Item(
                "Hội thảo quản lý nghề cá dựa vào hệ sinh thái",
                "Tiếp cận hệ sinh thái trong quản lý nghề cá, đồng quản lý và khu bảo tồn biển "
                "ở Vịnh Bắc Bộ.",
                ("quản lý nghề cá", "hệ sinh thái", "khu bảo tồn biển"),
                "Hội trường Viện Nghiên cứu Hải sản",
            ),
        ),
        publications=(
            Publication(
                "Hiện trạng nguồn lợi cá nổi nhỏ vùng biển Vịnh Bắc Bộ",
                A,
                2019,
                ("cá nổi nhỏ", "Vịnh Bắc Bộ"),
            ),
            Publication(
                "Đánh giá trữ lượng cá đáy vùng biển ven bờ Hải Phòng – Quảng Ninh bằng phương pháp diện tích quét",
                A,
                2020,
                ("cá đáy", "trữ lượng"),
            ),
            Publication(
                "Atlas các loài cá kinh tế vùng biển Việt Nam", B, 2021, ("cá kinh tế", "atlas")
            ),
            Publication(
                "Bãi đẻ và bãi ương nuôi cá con ở vùng biển ven bờ Vịnh Bắc Bộ",
                A,
                2022,
                ("bãi đẻ", "cá con"),
            ),
            Publication(
                "Ứng dụng thủy âm học trong điều tra nguồn lợi cá nổi",
                A,
                2018,
                ("thủy âm", "điều tra nguồn lợi"),
            ),
            Publication(
                "Nghề lưới kéo đáy ở Việt Nam: hiện trạng và giải pháp chuyển đổi",
                A,
                2023,
                ("lưới kéo đáy", "chuyển đổi nghề"),
            ),
            Publication(
                "Báo cáo tổng kết dự án: Điều tra tổng thể nguồn lợi hải sản vùng biển Việt Nam",
                R,
                2022,
                ("nguồn lợi hải sản", "điều tra tổng thể"),
            ),
            Publication(
                "Rạn san hô quần đảo Cát Bà – Long Châu: biến động giai đoạn 2010–2020",
                A,
                2021,
                ("rạn san hô", "Long Châu", "Cát Bà"),
            ),
            Publication(
                "Kỹ thuật nuôi hàu Thái Bình Dương trên bè tại vùng biển Hải Phòng",
                B,
                2019,
                ("nuôi hàu", "nuôi biển"),
            ),
            Publication(
                "Tác động của biến đổi khí hậu tới nghề cá ven biển Bắc Bộ",
                T,
                2024,
                ("biến đổi khí hậu", "nghề cá"),
            ),
            Publication(
                "Mực ống ở Vịnh Bắc Bộ: sinh học sinh sản và mùa vụ khai thác",
                A,
                2024,
                ("mực ống", "sinh học sinh sản"),
            ),
            Publication(
                "Sổ tay nhận dạng loài thủy sản nguy cấp, quý, hiếm",
                B,
                2020,
                ("loài nguy cấp", "bảo tồn"),
            ),
            Publication(
                "Dữ liệu vệ tinh nhiệt độ mặt nước biển trong dự báo ngư trường cá ngừ",
                A,
                2025,
                ("dự báo ngư trường", "cá ngừ", "viễn thám"),
            ),
        ),
    ),
    "imer": MemberContent(
        publisher="Nhà xuất bản Khoa học Tự nhiên và Công nghệ",
        journal="Tạp chí Khoa học và Công nghệ Biển",
        journal_issn7="1859309",
        isbn_publisher="913",
        authors=(
            "Trần Đức Thạnh",
            "Đỗ Công Thung",
            "Lưu Văn Diệu",
            "Nguyễn Văn Quân",
            "Trần Đình Lân",
            "Cao Thị Thu Trang",
        ),
        databases=(
            Item(
                "Cơ sở dữ liệu tài nguyên và môi trường biển ven bờ Việt Nam",
                "Số liệu địa hình, trầm tích, chất lượng nước, sinh vật đáy và hệ sinh thái "
                "vùng biển ven bờ từ Quảng Ninh đến Quảng Bình.",
                ("tài nguyên biển", "môi trường biển", "ven bờ"),
                "restricted",
            ),
            Item(
                "Cơ sở dữ liệu đa dạng sinh học vịnh Hạ Long – Cát Bà",
                "Danh lục loài, phân bố và hiện trạng các hệ sinh thái rạn san hô, cỏ biển, "
                "rừng ngập mặn khu vực vịnh Hạ Long và quần đảo Cát Bà.",
                ("đa dạng sinh học", "vịnh Hạ Long", "Cát Bà"),
                "open",
            ),
            Item(
                "Dữ liệu quan trắc môi trường biển trạm Đồ Sơn",
                "Chuỗi số liệu quan trắc nhiệt độ, độ muối, dinh dưỡng, kim loại nặng tại trạm "
                "quan trắc môi trường biển ven bờ phía Bắc.",
                ("quan trắc môi trường", "Đồ Sơn", "kim loại nặng"),
                "restricted",
            ),
        ),
        websites=(
            Item(
                "Cổng thông tin Viện Tài nguyên và Môi trường biển",
                "Giới thiệu hướng nghiên cứu, phòng thí nghiệm, đề tài và công bố khoa học của "
                "Viện.",
                ("khoa học biển", "Hải Phòng"),
                "/",
            ),
            Item(
                "Bản đồ trực tuyến hệ sinh thái ven biển Bắc Bộ",
                "Bản đồ WebGIS phân bố rừng ngập mặn, thảm cỏ biển, rạn san hô và bãi triều "
                "vùng ven biển Bắc Bộ.",
                ("WebGIS", "hệ sinh thái ven biển", "bản đồ"),
                "/webgis",
            ),
        ),
        services=(
            Item(
                "Phân tích kim loại nặng và chất ô nhiễm hữu cơ trong môi trường biển",
                "Phòng thí nghiệm đạt chuẩn VILAS phân tích kim loại nặng, dầu, thuốc bảo vệ "
                "thực vật trong nước, trầm tích và sinh vật biển.",
                ("phân tích môi trường", "kim loại nặng", "VILAS"),
                "onsite",
            ),
            Item(
                "Khảo sát địa hình đáy biển và trầm tích",
                "Đo sâu hồi âm đa tia, lấy mẫu trầm tích và phân tích độ hạt phục vụ quy hoạch "
                "không gian biển.",
                ("địa hình đáy biển", "trầm tích"),
                "restricted",
            ),
            Item(
                "Tư vấn quy hoạch không gian biển và quản lý tổng hợp vùng bờ",
                "Hỗ trợ địa phương lập quy hoạch không gian biển, xác định hành lang bảo vệ bờ "
                "biển và phân vùng sử dụng.",
                ("quy hoạch không gian biển", "quản lý vùng bờ"),
                "restricted",
            ),
        ),
        trainings=(
            Item(
                "Khoá đào tạo quan trắc và phân tích môi trường biển",
                "Thực hành lấy mẫu, bảo quản, phân tích mẫu nước biển và trầm tích, đảm bảo và "
                "kiểm soát chất lượng số liệu quan trắc.",
                ("quan trắc môi trường", "phân tích mẫu"),
                "Phòng thí nghiệm Viện Tài nguyên và Môi trường biển",
            ),
            Item(
                "Hội thảo Khoa học biển và phát triển bền vững vùng ven biển Bắc Bộ",
                "Công bố kết quả nghiên cứu về biến đổi khí hậu, xói lở bờ biển, phục hồi rừng "
                "ngập mặn và kinh tế biển xanh.",
                ("phát triển bền vững", "kinh tế biển xanh", "hội thảo"),
                "Khách sạn Đồ Sơn, quận Đồ Sơn, Hải Phòng",
            ),
        ),
        publications=(
            Publication(
                "Tài nguyên vị thế các vịnh ven bờ biển Việt Nam",
                B,
                2019,
                ("tài nguyên vị thế", "vịnh ven bờ"),
            ),
            Publication(
                "Biến động rừng ngập mặn ven biển Hải Phòng giai đoạn 1990–2020 từ ảnh viễn thám",
                A,
                2021,
                ("rừng ngập mặn", "viễn thám"),
            ),
            Publication(
                "Xói lở và bồi tụ bờ biển Đồ Sơn: nguyên nhân và giải pháp",
                A,
                2020,
                ("xói lở bờ biển", "Đồ Sơn"),
            ),
            Publication(
                "Ô nhiễm vi nhựa trong trầm tích bãi triều cửa sông Bạch Đằng",
                A,
                2023,
                ("vi nhựa", "trầm tích", "Bạch Đằng"),
            ),
            Publication(
                "Sức tải môi trường vịnh Lan Hạ cho hoạt động nuôi trồng và du lịch",
                A,
                2022,
                ("sức tải môi trường", "vịnh Lan Hạ"),
            ),
            Publication("Di sản địa chất quần đảo Cát Bà", B, 2018, ("di sản địa chất", "Cát Bà")),
            Publication(
                "Báo cáo tổng kết đề tài cấp quốc gia: Đánh giá tổn thương hệ sinh thái ven bờ do biến đổi khí hậu",
                R,
                2023,
                ("biến đổi khí hậu", "hệ sinh thái ven bờ"),
            ),
            Publication(
                "Thảm cỏ biển vùng ven bờ Bắc Bộ: hiện trạng và đề xuất bảo tồn",
                A,
                2019,
                ("cỏ biển", "bảo tồn"),
            ),
            Publication(
                "Kim loại nặng trong nhuyễn thể hai mảnh vỏ vùng cửa sông Cấm",
                A,
                2024,
                ("kim loại nặng", "nhuyễn thể", "sông Cấm"),
            ),
            Publication(
                "Phân vùng chức năng quy hoạch không gian biển thành phố Hải Phòng",
                T,
                2022,
                ("quy hoạch không gian biển", "Hải Phòng"),
            ),
            Publication(
                "Atlas hệ sinh thái biển Việt Nam", B, 2024, ("hệ sinh thái biển", "atlas")
            ),
            Publication(
                "Mô hình hoá lan truyền dầu tràn tại vùng biển Hải Phòng",
                A,
                2025,
                ("dầu tràn", "mô hình hoá"),
            ),
            Publication(
                "Đa dạng sinh học rạn san hô khu bảo tồn biển Bạch Long Vĩ",
                A,
                2020,
                ("rạn san hô", "Bạch Long Vĩ"),
            ),
        ),
    ),
}
