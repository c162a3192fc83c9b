"""Hand-written catalogue content of the demo members (Vietnamese S&T resources), read from
``data/<member code>.json`` (one file a member) when the demo is first imported.

``records.py`` turns these parts into records: one record per database, website, service
and publication, and each training course held in two sessions.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, TypeAdapter
from pydantic.dataclasses import dataclass

DATA_DIR = Path(__file__).resolve().parent / "data"
STRICT = ConfigDict(extra="forbid")  # a misspelt key in a data file fails, not vanishes

Form = Literal["article", "book", "report", "thesis"]


@dataclass(frozen=True, config=STRICT)
class Item:
    """One described resource: title, description and subjects (plus kind-specific extras)."""

    title: str
    description: str
    subjects: tuple[str, ...]
    extra: str = ""  # website: path; service/database: access; training: location


@dataclass(frozen=True, config=STRICT)
class Publication:
    title: str
    form: Form
    year: int
    subjects: tuple[str, ...]


@dataclass(frozen=True, config=STRICT)
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


MEMBER_CONTENT = TypeAdapter(MemberContent)


def load_content(directory: Path = DATA_DIR) -> dict[str, MemberContent]:
    """Member code → its content: every ``<code>.json`` of ``directory``, validated."""
    return {
        path.stem: MEMBER_CONTENT.validate_json(path.read_bytes())
        for path in sorted(directory.glob("*.json"))
    }


CONTENT: dict[str, MemberContent] = load_content()
