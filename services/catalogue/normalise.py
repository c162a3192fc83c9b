"""Normalisation of incoming records: one canonical form per value, invalid values reported.

No I/O, no framework. ``normalise(record)`` returns the canonical record and the list of
field errors; a record with errors is rejected by the catalogue (nothing is stored silently).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from shared.events import FieldError
from shared.records import RecordIn
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


@dataclass(frozen=True)
class Normalised:
    record: RecordIn | None
    errors: list[FieldError]


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


_IDENTIFIER_RULES = {"isbn": isbn, "issn": issn, "doi": doi, "url": url}


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM_TZ)
    return value.astimezone(UTC)


def normalise(record: RecordIn) -> Normalised:
    """The canonical form of ``record`` and every invalid value found (``loc``/``msg``).

    Free text is already NFC with white space collapsed: ``RecordIn`` validates it so (the
    record came through that contract); what is left is codes, identifiers, URLs and dates.
    """
    errors: list[FieldError] = []
    data: dict[str, Any] = dict(record)

    def check(loc: list[str | int], fn: Any, value: Any) -> Any:
        try:
            return fn(value)
        except InvalidValue as exc:
            errors.append(FieldError(loc=loc, msg=str(exc)))
            return value

    for name in ("creators", "subjects"):
        data[name] = _unique(data[name])
    data["language"] = check(["language"], language, data["language"])
    if data["url"] is not None:
        data["url"] = check(["url"], url, data["url"])
    identifiers: dict[str, str] = {}
    for key, value in sorted(data["identifiers"].items()):
        rule = _IDENTIFIER_RULES.get(key, clean_text)
        identifiers[key] = check(["identifiers", key], rule, clean_text(value))
    data["identifiers"] = identifiers
    _check_dates(data, errors)
    if errors:
        return Normalised(record=None, errors=errors)
    # Every value is valid and canonical by now: no second validation pass.
    normalised = RecordIn.model_construct(record.model_fields_set, **data)
    return Normalised(record=normalised, errors=[])


def _check_dates(data: dict[str, Any], errors: list[FieldError]) -> None:
    if data["date"] is not None:
        if data["year"] is None:
            data["year"] = data["date"].year
        elif data["year"] != data["date"].year:
            date = data["date"].isoformat()
            msg = f"năm không khớp ngày / year {data['year']} does not match date {date}"
            errors.append(FieldError(loc=["year"], msg=msg))
    for name in ("starts_at", "ends_at"):
        if data[name] is not None:
            data[name] = _as_utc(data[name])


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    return [v for v in values if not (v in seen or seen.add(v))]
