"""The one validation of a record (docs/thanh-vien/nhap-du-lieu.md): ingest runs it before its 202,
the catalogue runs it again on what ingest accepted; nothing the 202 accepts is refused later.

Two steps, no I/O, no framework:

* :func:`check_record` — the contract (``RecordIn``): a record is **rejected** only for what
  makes it unusable (no title, unknown kind, bad local_id, wrong types). Errors are
  field-level, Vietnamese then English.
* :func:`assess` — never rejects: the canonical form of every value, and the **soft
  problems** (stable codes, ``loc``, Vietnamese-then-English ``msg``). An identifier whose
  checksum fails is kept exactly as given in ``invalid_identifiers`` (never a duplicate key);
  a URL that does not parse likewise; missing recommended fields, a year in the future and a
  title in capitals are reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from shared.events import FieldError
from shared.records import Kind, Problem, RecordIn
from shared.text import clean_text

# Naive training times are local times of Hai Phong (UTC+7, no daylight saving).
VIETNAM_TZ = timezone(timedelta(hours=7))

_ISO_639_1_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
    "cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
    "ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks "
    "ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl "
    "nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve "
    "vi vo wa wo xh yi yo za zh zu "
)
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())

# ISO 639-2 (bibliographic and terminology forms) of the languages met in the network.
ISO_639_2_TO_1 = {
    "vie": "vi", "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "rus": "ru",
    "zho": "zh", "chi": "zh", "jpn": "ja", "kor": "ko", "spa": "es", "ita": "it", "por": "pt",
    "tha": "th", "lao": "lo", "khm": "km", "ind": "id", "msa": "ms", "may": "ms", "nld": "nl",
    "dut": "nl", "pol": "pl", "ces": "cs", "cze": "cs", "hun": "hu", "swe": "sv", "nor": "no",
    "dan": "da", "fin": "fi", "ara": "ar", "hin": "hi", "tur": "tr", "ukr": "uk", "bul": "bg",
    "ron": "ro", "rum": "ro", "ell": "el", "gre": "el", "heb": "he", "lat": "la", "mya": "my",
    "bur": "my", "tgl": "tl", "ben": "bn", "urd": "ur", "fas": "fa", "per": "fa", "hrv": "hr",
    "srp": "sr", "slk": "sk", "slo": "sk", "slv": "sl", "est": "et", "lav": "lv", "lit": "lt",
    "cat": "ca", "eus": "eu", "baq": "eu", "glg": "gl", "isl": "is", "ice": "is", "gle": "ga",
    "cym": "cy", "wel": "cy", "sqi": "sq", "alb": "sq", "mkd": "mk", "mac": "mk", "bos": "bs",
    "hye": "hy", "arm": "hy", "kat": "ka", "geo": "ka", "mon": "mn", "nep": "ne", "sin": "si",
    "tam": "ta", "tel": "te", "kan": "kn", "mal": "ml", "mar": "mr", "guj": "gu", "pan": "pa",
    "swa": "sw", "amh": "am", "som": "so", "yor": "yo", "zul": "zu", "afr": "af", "epo": "eo",
}  # fmt: skip

_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ISBN_NOISE = re.compile(r"^isbn(?:-1[03])?:?\s*|[\s-]", re.IGNORECASE)
_ISSN_NOISE = re.compile(r"^e?issn:?\s*|[\s-]", re.IGNORECASE)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_WHITE_SPACE = re.compile(r"\s")  # what str.isspace() calls white space


class InvalidValue(ValueError):
    """A value that cannot be brought to canonical form; the message says why."""


def language(code: str) -> str:
    """ISO 639-1 from ``vi``, ``VI``, ``vi-VN``, ``vie`` …; raises for unknown codes."""
    primary = code.strip().split("-")[0].split("_")[0].lower()
    if len(primary) == 3:
        primary = ISO_639_2_TO_1.get(primary, primary)
    if primary not in ISO_639_1:
        raise InvalidValue(
            f"mã ngôn ngữ không hợp lệ / unknown language code {code!r}"
            " (use ISO 639-1, e.g. 'vi', 'en')"
        )
    return primary


def isbn(value: str) -> str:
    """ISBN-13 digits without hyphens; ISBN-10 is converted; checksums verified."""
    digits = _ISBN_NOISE.sub("", value).upper()
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        if total % 11:
            raise InvalidValue(
                f"ISBN-10 sai số kiểm tra / ISBN-10 checksum does not match: {value!r}"
            )
        return _isbn13_from_stem("978" + digits[:9])
    if re.fullmatch(r"97[89]\d{10}", digits):
        if _isbn13_from_stem(digits[:12]) != digits:
            raise InvalidValue(
                f"ISBN-13 sai số kiểm tra / ISBN-13 checksum does not match: {value!r}"
            )
        return digits
    raise InvalidValue(f"không phải ISBN / not an ISBN-10 or ISBN-13: {value!r}")


def _isbn13_from_stem(stem: str) -> str:
    total = sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(stem))
    return stem + str((10 - total % 10) % 10)


def issn(value: str) -> str:
    """``NNNN-NNNC`` with the check digit verified."""
    chars = _ISSN_NOISE.sub("", value).upper()
    if not re.fullmatch(r"\d{7}[\dX]", chars):
        raise InvalidValue(f"không phải ISSN / not an ISSN: {value!r}")
    total = sum((8 - i) * int(c) for i, c in enumerate(chars[:7]))
    check = (11 - total % 11) % 11
    if chars[7] != ("X" if check == 10 else str(check)):
        raise InvalidValue(f"ISSN sai số kiểm tra / ISSN check digit does not match: {value!r}")
    return f"{chars[:4]}-{chars[4:]}"


def doi(value: str) -> str:
    """Lower-case DOI without resolver prefix (``10.1000/xyz``)."""
    bare = _DOI_PREFIXES.sub("", value.strip()).lower()
    if not _DOI.match(bare):
        raise InvalidValue(f"không phải DOI / not a DOI (10.<registrant>/<suffix>): {value!r}")
    return bare


def url(value: str) -> str:
    """An absolute http(s) URL with a valid host; scheme and host lower-cased."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidValue(f"URL không hợp lệ / not a valid URL: {value!r}") from exc
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not _valid_host(host):
        raise InvalidValue(f"URL không hợp lệ / not a valid http(s) URL: {value!r}")
    if _WHITE_SPACE.search(value.strip()):
        raise InvalidValue(f"URL có khoảng trắng / URL contains white space: {value!r}")
    netloc = host if port is None else f"{host}:{port}"
    if parts.username:
        raise InvalidValue(
            f"URL không được chứa mật khẩu / URL must not carry credentials: {value!r}"
        )
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def _valid_host(host: str) -> bool:
    try:
        ascii_host = (host if host.isascii() else host.encode("idna").decode("ascii")).lower()
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return (
        bool(host)
        and all(_HOST_LABEL.match(label) for label in labels)
        and (len(labels) > 1 or ascii_host == "localhost")
    )


# ---------------------------------------------------------------- the contract (hard errors)

# Vietnamese first, then pydantic's English: a librarian reads the first half.
_VI_MESSAGES: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc",
    "string_too_short": "Không được để trống",
    "too_short": "Không được để trống",
    "string_too_long": "Quá dài",
    "too_long": "Quá nhiều giá trị",
    "enum": "Giá trị không hợp lệ",
    "literal_error": "Giá trị không hợp lệ",
    "int_parsing": "Phải là số nguyên",
    "int_from_float": "Phải là số nguyên",
    "int_type": "Phải là số nguyên",
    "greater_than_equal": "Giá trị quá nhỏ",
    "less_than_equal": "Giá trị quá lớn",
    "string_pattern_mismatch": "Sai định dạng",
    "string_type": "Phải là chuỗi ký tự",
    "list_type": "Phải là danh sách",
    "dict_type": "Phải là đối tượng",
    "extra_forbidden": "Trường không được hỗ trợ",
    "date_parsing": "Ngày phải có dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "Ngày phải có dạng YYYY-MM-DD",
    "datetime_parsing": "Thời gian phải có dạng 2026-03-15T08:00:00+07:00",
    "datetime_from_date_parsing": "Thời gian phải có dạng 2026-03-15T08:00:00+07:00",
    "value_error": "Dữ liệu không hợp lệ",
}
_FIELD_HINTS: dict[str, str] = {
    "kind": "chọn: database, publication, website, service, training",
    "access": "chọn: open, restricted, onsite",
    "year": "năm từ 1000 đến 2100",
    "local_id": "1–128 ký tự in được",
}


def field_message(err: Mapping[str, Any]) -> str:
    """A pydantic error's message, Vietnamese first where we know the type, then English."""
    english = str(err.get("msg", ""))
    vietnamese = _VI_MESSAGES.get(str(err.get("type", "")))
    if vietnamese is None:
        return english
    loc = err.get("loc", ())
    hint = _FIELD_HINTS.get(str(loc[0])) if loc else None
    if hint and err.get("type") not in ("missing", "extra_forbidden"):
        vietnamese = f"{vietnamese} ({hint})"
    return f"{vietnamese} / {english}"


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as ``loc``/``msg`` pairs, Vietnamese first."""
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        out.append(FieldError(loc=loc, msg=field_message(err)))
    return out


def check_record(body: Mapping[str, Any]) -> RecordIn | list[FieldError]:
    """The record if it is usable, else every hard error (field-level)."""
    try:
        return RecordIn.model_validate(body)
    except ValidationError as exc:
        return field_errors(exc)


# ---------------------------------------------------------------- soft problems


class ProblemCode(StrEnum):
    """Stable codes of soft problems (docs/thanh-vien/chat-luong.md); never renamed, only
    added to."""

    INVALID_ISBN = "invalid_isbn"
    INVALID_ISSN = "invalid_issn"
    INVALID_DOI = "invalid_doi"
    INVALID_URL = "invalid_url"
    INVALID_IDENTIFIER = "invalid_identifier"
    INVALID_LANGUAGE = "invalid_language"
    MISSING_DESCRIPTION = "missing_description"
    MISSING_YEAR = "missing_year"
    MISSING_SUBJECTS = "missing_subjects"
    MISSING_LANGUAGE = "missing_language"
    FUTURE_YEAR = "future_year"
    YEAR_MISMATCH = "year_mismatch"
    TITLE_ALL_CAPS = "title_all_caps"
    BROKEN_LINK = "broken_link"
    DUPLICATE_CANDIDATE = "duplicate_candidate"


# A short name of each problem for lists (mails, the console), Vietnamese then English.
PROBLEM_LABELS: dict[str, tuple[str, str]] = {
    ProblemCode.INVALID_ISBN: ("ISBN không hợp lệ", "invalid ISBN"),
    ProblemCode.INVALID_ISSN: ("ISSN không hợp lệ", "invalid ISSN"),
    ProblemCode.INVALID_DOI: ("DOI không đúng dạng", "malformed DOI"),
    ProblemCode.INVALID_URL: ("đường dẫn không hợp lệ", "invalid URL"),
    ProblemCode.INVALID_IDENTIFIER: ("mã chuẩn không hợp lệ", "invalid identifier"),
    ProblemCode.INVALID_LANGUAGE: ("mã ngôn ngữ không hợp lệ", "invalid language code"),
    ProblemCode.MISSING_DESCRIPTION: ("thiếu mô tả", "no description"),
    ProblemCode.MISSING_YEAR: ("thiếu năm hoặc ngày", "no year or date"),
    ProblemCode.MISSING_SUBJECTS: ("thiếu chủ đề", "no subjects"),
    ProblemCode.MISSING_LANGUAGE: ("thiếu ngôn ngữ", "no language"),
    ProblemCode.FUTURE_YEAR: ("năm ở tương lai", "year in the future"),
    ProblemCode.YEAR_MISMATCH: ("năm khác năm của ngày", "year differs from the date"),
    ProblemCode.TITLE_ALL_CAPS: ("nhan đề viết hoa toàn bộ", "title in capitals"),
    ProblemCode.BROKEN_LINK: ("liên kết hỏng", "broken link"),
    ProblemCode.DUPLICATE_CANDIDATE: ("có thể trùng biểu ghi khác", "possible duplicate"),
}


def problem_label(code: str) -> tuple[str, str]:
    """The short Vietnamese and English names of a problem code (the code itself if new)."""
    return PROBLEM_LABELS.get(code, (code, code))


_CODE_OF_IDENTIFIER = {
    "isbn": ProblemCode.INVALID_ISBN,
    "issn": ProblemCode.INVALID_ISSN,
    "doi": ProblemCode.INVALID_DOI,
    "url": ProblemCode.INVALID_URL,
}
_MISSING: dict[ProblemCode, tuple[str, str]] = {
    ProblemCode.MISSING_DESCRIPTION: ("Thiếu mô tả", "no description"),
    ProblemCode.MISSING_YEAR: ("Thiếu năm hoặc ngày", "no year or date"),
    ProblemCode.MISSING_SUBJECTS: ("Thiếu chủ đề", "no subjects"),
    ProblemCode.MISSING_LANGUAGE: (
        "Thiếu ngôn ngữ, tạm coi là tiếng Việt (vi)",
        "no language given, taken as Vietnamese (vi)",
    ),
}
_LOC_OF_MISSING = {
    ProblemCode.MISSING_DESCRIPTION: "description",
    ProblemCode.MISSING_YEAR: "year",
    ProblemCode.MISSING_SUBJECTS: "subjects",
    ProblemCode.MISSING_LANGUAGE: "language",
}
# A title is "in capitals" when it has this many letters and none of them is lower-case
# (short acronyms such as "CSDL" or "UNESCO" are normal titles).
CAPITALS_MIN_LETTERS = 8


@dataclass(frozen=True)
class Assessed:
    """The canonical record and its soft problems (never a rejection)."""

    record: RecordIn
    problems: list[Problem] = field(default_factory=list)


def _problem(code: ProblemCode, loc: list[str | int], msg: str) -> Problem:
    return Problem(code=code.value, loc=loc, msg=msg)


def assess(record: RecordIn, *, today: date | None = None) -> Assessed:
    """The canonical form of ``record`` and every soft problem found in it.

    Deterministic for one ``record`` and day: ingest and the catalogue find the same
    problems. Free text is already NFC with white space collapsed (``RecordIn`` did it).
    """
    today = today or datetime.now(UTC).date()
    problems: list[Problem] = []
    data: dict[str, Any] = record.__dict__.copy()  # the fields; dict(record) costs ~60 µs
    marked = record.invalid_identifiers or {}
    invalid = {key: list(values) for key, values in marked.items()}
    for name in ("creators", "subjects"):
        data[name] = _unique(data[name])
    data["language"] = _language(record, problems)
    data["url"] = _url(record.url, ["url"], invalid, problems)
    data["identifiers"] = _identifiers(record.identifiers, invalid, problems)
    problems.extend(_marked_invalid(marked))
    data["invalid_identifiers"] = invalid or None
    _dates(data, record.kind, today, problems)
    problems.extend(_missing(data, record))
    if _in_capitals(record.title):
        msg = "Nhan đề viết hoa toàn bộ / title is in capitals"
        problems.append(_problem(ProblemCode.TITLE_ALL_CAPS, ["title"], msg))
    # Every value is canonical by now: no second validation pass.
    fields_set = record.model_fields_set | ({"invalid_identifiers"} if invalid else set())
    return Assessed(RecordIn.model_construct(fields_set, **data), problems)


def _language(record: RecordIn, problems: list[Problem]) -> str:
    if not record.language:
        return "vi"
    try:
        return language(record.language)
    except InvalidValue as exc:
        problems.append(_problem(ProblemCode.INVALID_LANGUAGE, ["language"], str(exc)))
        return clean_text(record.language)


def _url(
    value: str | None,
    loc: list[str | int],
    invalid: dict[str, list[str]],
    problems: list[Problem],
) -> str | None:
    if not value:
        return None
    try:
        return url(value)
    except InvalidValue as exc:
        _keep_invalid(invalid, "url", value)
        problems.append(_problem(ProblemCode.INVALID_URL, loc, str(exc)))
        return None


_IDENTIFIER_RULES: dict[str, Callable[[str], str]] = {"isbn": isbn, "issn": issn, "doi": doi}


def _identifiers(
    given: dict[str, str], invalid: dict[str, list[str]], problems: list[Problem]
) -> dict[str, str]:
    valid: dict[str, str] = {}
    for key, value in sorted(given.items()):
        loc: list[str | int] = ["identifiers", key]
        if key == "url":
            if (canonical := _url(value, loc, invalid, problems)) is not None:
                valid[key] = canonical
            continue
        rule = _IDENTIFIER_RULES.get(key)
        try:
            valid[key] = rule(clean_text(value)) if rule else clean_text(value)
        except InvalidValue as exc:
            _keep_invalid(invalid, key, value)
            problems.append(_problem(_CODE_OF_IDENTIFIER[key], loc, str(exc)))
    return valid


def _keep_invalid(invalid: dict[str, list[str]], key: str, value: str) -> None:
    kept = invalid.setdefault(key, [])
    if value not in kept:
        kept.append(value)


def _marked_invalid(marked: dict[str, list[str]]) -> list[Problem]:
    """Identifiers the member (or its MARC 020$z/022$z) gave as invalid."""
    return [
        _problem(
            _CODE_OF_IDENTIFIER.get(key, ProblemCode.INVALID_IDENTIFIER),
            ["invalid_identifiers", key, i],
            f"{key.upper()} được ghi là không hợp lệ hoặc đã huỷ (vd. MARC 020$z) / "
            f"{key.upper()} marked invalid or cancelled (e.g. MARC 020$z): {value!r}",
        )
        for key, values in sorted(marked.items())
        for i, value in enumerate(values)
    ]


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM_TZ)
    return value.astimezone(UTC)


def _dates(data: dict[str, Any], kind: Kind, today: date, problems: list[Problem]) -> None:
    given: date | None = data["date"]
    if given is not None:
        if data["year"] is None:
            data["year"] = given.year
        elif data["year"] != given.year:
            msg = (
                f"Năm không khớp ngày / year {data['year']} does not match date {given.isoformat()}"
            )
            problems.append(_problem(ProblemCode.YEAR_MISMATCH, ["year"], msg))
    for name in ("starts_at", "ends_at"):
        if data[name] is not None:
            data[name] = _as_utc(data[name])
    # Training events are announced ahead: a future year is their normal state.
    if kind is not Kind.TRAINING and data["year"] is not None and data["year"] > today.year:
        msg = f"Năm xuất bản ở tương lai / year {data['year']} is in the future"
        problems.append(_problem(ProblemCode.FUTURE_YEAR, ["year"], msg))


def _missing(data: dict[str, Any], record: RecordIn) -> list[Problem]:
    absent = {
        ProblemCode.MISSING_DESCRIPTION: not data["description"],
        ProblemCode.MISSING_YEAR: data["year"] is None and data["starts_at"] is None,
        ProblemCode.MISSING_SUBJECTS: not data["subjects"],
        ProblemCode.MISSING_LANGUAGE: not record.language,
    }
    return [
        _problem(code, [_LOC_OF_MISSING[code]], " / ".join(_MISSING[code]))
        for code, missing in absent.items()
        if missing
    ]


def _in_capitals(title: str) -> bool:
    letters = [c for c in title if c.isalpha()]
    return len(letters) >= CAPITALS_MIN_LETTERS and not any(c.islower() for c in letters)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))  # first occurrences, in order
