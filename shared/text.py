"""Vietnamese-aware text normalisation shared by every service (docs/operators/search.md)."""

from __future__ import annotations

import unicodedata

# đ/Đ and the look-alike Ð (Icelandic eth, often typed instead of Đ) have no decomposition.
_D_LIKE = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})
_TABLE_BELOW = 0x3000  # Latin, Vietnamese and the combining blocks; bounds the tables


def nfc(text: str) -> str:
    """Compose ``text`` (Vietnamese arrives both composed and decomposed)."""
    return unicodedata.normalize("NFC", text)


def clean_text(text: str) -> str:
    """NFC with runs of white space collapsed and ends trimmed.

    ``str.split`` splits on exactly what ``\\s`` matches (``str.isspace``), three times faster
    than a regex substitution; most text arrives composed, and checking is cheaper. Most
    text is clean already, and that is checked in C without making a string of each word:
    every white space but the ASCII space is unprintable (``str.isprintable``), so printable
    text with no double or end space has nothing to collapse (a description: 13 -> 4.5 us,
    paid by every service that reads a record).
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower-case, tone marks and diacritics removed, đ folded to d.

    ``fold("Đại học Hàng hải") == "dai hoc hang hai"``. ASCII only needs lower-casing; other
    text goes through one table of every character's folded form (one C pass instead of
    NFD, a mark table and NFC), unless it holds a character whose fold depends on its
    neighbours (see ``_FoldTable``): then through the definition.
    """
    if text.isascii():
        return text.lower()
    try:
        return text.translate(_FOLDED)
    except _NeedsContext:
        return reference_fold(text)


def reference_fold(text: str) -> str:
    """The definition of ``fold``: NFD, nonspacing marks dropped, NFC, case folded."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_LIKE))
    stripped = decomposed.translate(_NONSPACING_MARKS)
    return unicodedata.normalize("NFC", stripped).casefold().translate(_D_LIKE)


class _NonspacingMarks(dict[int, int | None]):
    """A ``str.translate`` table dropping nonspacing marks (category Mn), filled as met:
    one C-level look-up per character instead of a Python call."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        if code < _TABLE_BELOW:
            self[code] = kept
        return kept


_NONSPACING_MARKS = _NonspacingMarks()


class _NeedsContext(Exception):
    """A character whose fold ``_FOLDED`` cannot give alone (not a ``LookupError``: that
    would make ``str.translate`` keep the character instead of stopping)."""


def _composing_seconds() -> frozenset[str]:
    """Characters that NFC may compose with the character before them and that are not
    dropped as nonspacing marks: the later parts of canonical decompositions below
    ``_TABLE_BELOW``, and the Hangul jamo (composed by rule, not by table)."""
    seconds = {chr(code) for code in range(0x1100, 0x1200)}
    for code in range(_TABLE_BELOW):
        decomposition = unicodedata.decomposition(chr(code))
        if decomposition and not decomposition.startswith("<"):
            seconds.update(chr(int(part, 16)) for part in decomposition.split()[1:])
    return frozenset(c for c in seconds if unicodedata.category(c) != "Mn")


class _FoldTable(dict[int, str]):
    """Every character's folded form, filled as met, for a character whose fold is the same
    alone as beside any other: what is left of it after dropping the marks neither composes
    with its neighbours (NFC) nor is reordered among them. Any other raises."""

    def __missing__(self, code: int) -> str:
        if code >= _TABLE_BELOW:
            raise _NeedsContext(code)
        char = chr(code)
        left = unicodedata.normalize("NFD", char.translate(_D_LIKE)).translate(_NONSPACING_MARKS)
        if any(c in _SECONDS or unicodedata.combining(c) for c in left):
            raise _NeedsContext(code)
        self[code] = folded = reference_fold(char)
        return folded


_SECONDS = _composing_seconds()
_FOLDED = _FoldTable()
