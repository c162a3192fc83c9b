"""Import formats: each parser streams a file into raw records (index, spreadsheet row, dict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ParsedRow:
    """One record as read from a file: ``index`` counts records from 0; ``row`` is the line."""

    index: int
    raw: Any
    row: int | None = None
    error: str | None = None  # the record could not even be read (e.g. a broken MARC record)


@dataclass
class ImportNotes:
    """What the parser learnt about the file, reported back to the member."""

    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field -> the file's column header

    def column_of(self, loc: list[str | int]) -> str | None:
        """The file's column for an error location (``["identifiers", "isbn"]`` → "ISBN")."""
        for part in reversed(loc):
            if isinstance(part, str) and part in self.headers:
                return self.headers[part]
        return None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"format": self.format}
        if self.encoding:
            body["encoding"] = self.encoding
        if self.delimiter:
            body["delimiter"] = self.delimiter
        if self.ignored_columns:
            body["ignored_columns"] = self.ignored_columns
        return body
