"""The words of the public pages, Vietnamese first, with their English switch."""

from __future__ import annotations

from dataclasses import dataclass

_STRINGS: dict[str, tuple[str, str]] = {
    "site_title": ("Tra cứu chỉ dẫn chung", "Common directory search"),
    "network": (
        "Mạng lưới thông tin khoa học và công nghệ Hải Phòng",
        "Hai Phong science & technology information network",
    ),
    "skip": ("Bỏ qua, đến kết quả", "Skip to results"),
    "search_label": ("Tìm tài nguyên KH&CN", "Search S&T resources"),
    "search_placeholder": (
        "Ví dụ: đại học hàng hải, cơ sở dữ liệu thủy sản…",
        "e.g. dai hoc hang hai, fisheries database…",
    ),
    "search_button": ("Tìm", "Search"),
    "sort_label": ("Sắp xếp", "Sort"),
    "sort_relevance": ("Phù hợp nhất", "Relevance"),
    "sort_newest": ("Mới nhất", "Newest"),
    "sort_title": ("Theo tên (A–Z)", "Title (A–Z)"),
    "sort_created": ("Mới thêm vào", "Recently added"),
    "filters": ("Lọc kết quả", "Filter results"),
    "clear_filters": ("Bỏ mọi bộ lọc", "Clear all filters"),
    "facet_kind": ("Loại tài nguyên", "Resource type"),
    "facet_member": ("Thành viên", "Member"),
    "facet_year": ("Năm", "Year"),
    "facet_language": ("Ngôn ngữ", "Language"),
    "facet_subject": ("Chủ đề", "Subject"),
    "results": ("Kết quả", "Results"),
    "results_count": ("{total} kết quả", "{total} results"),
    "results_for": ("{total} kết quả cho “{q}”", "{total} results for “{q}”"),
    # A large match set's total and facet counts are estimated from a sample.
    "about": ("khoảng {n}", "about {n}"),
    "no_results": (
        "Không tìm thấy kết quả. Hãy thử từ khác hoặc bỏ bớt bộ lọc.",
        "No results. Try other words or fewer filters.",
    ),
    "did_you_mean": ("Có phải bạn muốn tìm:", "Did you mean:"),
    "pagination": ("Phân trang", "Pagination"),
    "previous": ("Trang trước", "Previous page"),
    "next": ("Trang sau", "Next page"),
    "page_of": ("Trang {page}/{pages}", "Page {page} of {pages}"),
    "visits": ("Thống kê truy cập", "Visits"),
    "online": ("Đang truy cập", "Online now"),
    "today": ("Hôm nay", "Today"),
    "total": ("Tổng lượt truy cập", "Total visits"),
    "switch_lang": ("English", "Tiếng Việt"),
    "switch_lang_title": ("Switch to English", "Chuyển sang tiếng Việt"),
    "record_heading": ("Thông tin tài nguyên", "Resource details"),
    "back_to_search": ("← Quay lại tìm kiếm", "← Back to search"),
    "field_kind": ("Loại", "Type"),
    "field_member": ("Đơn vị cung cấp", "Provided by"),
    "field_creators": ("Tác giả", "Creators"),
    "field_subjects": ("Chủ đề", "Subjects"),
    "field_publisher": ("Nhà xuất bản", "Publisher"),
    "field_year": ("Năm", "Year"),
    "field_language": ("Ngôn ngữ", "Language"),
    "field_url": ("Địa chỉ truy cập", "Link"),
    "field_access": ("Chế độ truy cập", "Access"),
    "field_contact": ("Liên hệ", "Contact"),
    "field_identifiers": ("Định danh", "Identifiers"),
    "field_when": ("Thời gian", "When"),
    "field_location": ("Địa điểm", "Location"),
    "field_updated": ("Cập nhật", "Updated"),
    "holdings": ("Cũng có tại", "Also held by"),
    "no_holdings": ("Chỉ có tại đơn vị này.", "Held by this member only."),
    "withdrawn": ("Tài nguyên này đã được thu hồi.", "This resource has been withdrawn."),
    "field_withdrawn_at": ("Ngày thu hồi", "Withdrawn on"),
    "cite": ("Trích dẫn", "Cite"),
    "not_found": ("Không tìm thấy tài nguyên", "Resource not found"),
    "not_found_text": (
        "Tài nguyên này không có hoặc đã bị xoá khỏi chỉ mục.",
        "This resource does not exist or was removed from the index.",
    ),
    "bad_query": ("Yêu cầu tìm kiếm không hợp lệ", "Invalid search request"),
    "opensearch": ("Tìm kiếm trong trình duyệt (OpenSearch)", "Browser search (OpenSearch)"),
    "embed_help": ("Nhúng ô tìm kiếm vào website của bạn", "Embed this search on your website"),
    "open_portal": ("Xem tất cả trên cổng tra cứu", "See everything on the portal"),
    "filtered_member": ("Tìm trong tài nguyên của {member}", "Searching {member}'s resources"),
    "remove_filter": ("bỏ lọc", "remove filter"),
    "kind_database": ("Cơ sở dữ liệu", "Database"),
    "kind_publication": ("Ấn phẩm", "Publication"),
    "kind_website": ("Website / cổng thông tin", "Website / portal"),
    "kind_service": ("Dịch vụ thông tin", "Information service"),
    "kind_training": ("Đào tạo, tập huấn", "Training event"),
    "access_open": ("Mở", "Open"),
    "access_restricted": ("Hạn chế", "Restricted"),
    "access_onsite": ("Tại chỗ", "On site"),
    "lang_vi": ("Tiếng Việt", "Vietnamese"),
    "lang_en": ("Tiếng Anh", "English"),
    "lang_fr": ("Tiếng Pháp", "French"),
    "lang_ru": ("Tiếng Nga", "Russian"),
    "lang_zh": ("Tiếng Trung", "Chinese"),
    "lang_ja": ("Tiếng Nhật", "Japanese"),
    "lang_ko": ("Tiếng Hàn", "Korean"),
    "lang_de": ("Tiếng Đức", "German"),
    # Following a search (issue 17): the Atom feed and the e-mail subscription.
    "follow_search": ("Theo dõi tìm kiếm này", "Follow this search"),
    "follow_search_hint": (
        "nhận thư khi có tài nguyên mới phù hợp, không cần tài khoản",
        "get an e-mail when new matching resources arrive, no account needed",
    ),
    "feed_link": ("Nguồn tin Atom", "Atom feed"),
    "feed_title": ("Theo dõi tìm kiếm {q}", "Following the search {q}"),
    "feed_everything": ("mọi tài nguyên", "all resources"),
    "feed_subtitle": (
        "Các tài nguyên mới nhất phù hợp với tìm kiếm này",
        "The newest resources matching this search",
    ),
}


@dataclass(frozen=True)
class Translator:
    """Looks words up in one language; unknown keys come back as themselves."""

    english: bool
    chosen: str | None = None  # the ``?lang=`` the visitor picked, carried on every link

    @property
    def lang(self) -> str:
        return "en" if self.english else "vi"

    def __call__(self, key: str, **values: object) -> str:
        pair = _STRINGS.get(key)
        text = key if pair is None else pair[1 if self.english else 0]
        return text.format(**values) if values else text

    def kind(self, value: str) -> str:
        return self(f"kind_{value}") if f"kind_{value}" in _STRINGS else value

    def language(self, code: str) -> str:
        key = f"lang_{code.lower()}"
        return self(key) if key in _STRINGS else code


def strings_for_widget(english: bool) -> dict[str, str]:
    """The few words the widget shows, in one language."""
    keys = (
        "search_label",
        "search_placeholder",
        "search_button",
        "results_count",
        "about",
        "no_results",
        "open_portal",
        "kind_database",
        "kind_publication",
        "kind_website",
        "kind_service",
        "kind_training",
    )
    t = Translator(english)
    return {key: t(key) for key in keys}
