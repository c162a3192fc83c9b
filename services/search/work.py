"""What kind of work a record describes, as citation formats and schema.org see it.

One classification for the record page (JSON-LD, Highwire tags) and the citation exports
(BibTeX, RIS, CSL-JSON), so a record is a thesis in all of them or in none. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.records import Kind, Record
from shared.text import fold

# Folded words that say a publication is a thesis, and which degree.
_THESIS_WORDS = ("luan van", "luan an", "khoa luan", "thesis", "dissertation")
_MASTERS_WORDS = ("thac si", "master")
_DOCTORAL_WORDS = ("tien si", "phd", "ph.d", "doctor")


class WorkType(StrEnum):
    BOOK = "book"
    THESIS = "thesis"  # doctoral or unknown degree
    MASTERS_THESIS = "masters_thesis"
    ARTICLE = "article"
    DATASET = "dataset"
    WEBSITE = "website"
    SERVICE = "service"
    EVENT = "event"


_BY_KIND = {
    Kind.DATABASE: WorkType.DATASET,
    Kind.WEBSITE: WorkType.WEBSITE,
    Kind.SERVICE: WorkType.SERVICE,
    Kind.TRAINING: WorkType.EVENT,
}


def work_type(record: Record) -> WorkType:
    """A publication is a book (ISBN), a thesis (its words say so) or an article."""
    if record.kind is not Kind.PUBLICATION:
        return _BY_KIND[record.kind]
    if identifier(record, "isbn"):
        return WorkType.BOOK
    said = fold(" ".join([record.title, *record.subjects, record.description or ""]))
    if any(word in said for word in _THESIS_WORDS):
        if any(word in said for word in _MASTERS_WORDS) and not any(
            word in said for word in _DOCTORAL_WORDS
        ):
            return WorkType.MASTERS_THESIS
        return WorkType.THESIS
    return WorkType.ARTICLE


def identifier(record: Record, name: str) -> str | None:
    """A valid identifier of the record (invalid ones are kept apart and never cited)."""
    value = record.identifiers.get(name)
    return value.strip() if value and value.strip() else None


def doi(record: Record) -> str | None:
    """The DOI without its resolver prefix (``10.1234/abc``)."""
    value = identifier(record, "doi")
    if value is None:
        return None
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            return value[len(prefix) :]
    return value


@dataclass(frozen=True)
class Issued:
    """When a work appeared: a full date when the record has one, else its year."""

    year: int
    month: int | None = None
    day: int | None = None

    def parts(self) -> list[int]:
        return [p for p in (self.year, self.month, self.day) if p is not None]

    def iso(self) -> str:
        """``2024`` or ``2024-05-17`` (schema.org, CSL)."""
        return "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(self.parts()))

    def slashed(self) -> str:
        """``2024`` or ``2024/05/17`` (Highwire ``citation_publication_date``, RIS ``DA``)."""
        return "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(self.parts()))


def issued(record: Record) -> Issued | None:
    if record.date is not None:
        return Issued(record.date.year, record.date.month, record.date.day)
    if record.year is not None:
        return Issued(record.year)
    return None


def is_pdf(url: str | None) -> bool:
    """Does the link point at a PDF file (Highwire's ``citation_pdf_url``)?"""
    if not url:
        return False
    return url.lower().split("?", 1)[0].split("#", 1)[0].endswith(".pdf")


def web_url(url: str | None) -> str | None:
    """The record's own link when it is a web address (never ``javascript:`` and the like)."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


@dataclass(frozen=True)
class Citable:
    """A record with what a citation adds to it: its page on the portal and its member."""

    record: Record
    landing_url: str
    member_name: str
