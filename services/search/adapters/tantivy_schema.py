"""What the embedded engine stores of a record: the tantivy schema and ``to_document``.

Text is folded before tantivy sees it (``*_f`` fields: ``match_f`` is everything a query
word may match, ``title_f`` and ``names_f`` rank); ``exact`` keeps title and subjects as
written; ``prefix_f`` holds the short prefixes of every word (``short_prefixes``); the
keyword fields are facets and filters, the integer ones sort keys; ``doc`` is the record.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence
from typing import Any

import tantivy

from services.search.domain import (
    PieceCache,
    collation_key,
    created_key,
    fold_words,
    folded_pieces,
    folded_text,
    newest_key,
    searchable_text,
    synonym_words,
    title_subject_parts,
)
from shared.records import Record

SHORT_PREFIX = 4
SAMPLE_BUCKETS = 16


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    builder.add_bytes_field("doc", stored=True)
    builder.add_integer_field("version", stored=True, fast=True)
    # What a query word must match: title, the other text and the abbreviations' other
    # sides, folded, in one field, so a word is one posting list rather than a union of three
    # (the match is most of a query's cost when every syllable is common). No positions: no
    # phrase is asked of it (phrases boost through ``title_f``, ``names_f``, ``exact``).
    builder.add_text_field("match_f", tokenizer_name="default", index_option="freq")
    for name in ("title_f", "exact", "names_f"):
        builder.add_text_field(name, tokenizer_name="default")
    # Each two neighbouring words of the title (folded), and of the title and each subject as
    # written: a two-word phrase boost is then one term, not positions checked in every
    # title holding both words (1M records: 23 -> 8.5 ms a page of a two-syllable word).
    for name in ("title_pairs", "exact_pairs"):  # "a+b c+d": one value, split at spaces
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    # Short prefixes of every word, as terms: "h", "ha", "hai" for "hai". A short prefix
    # typed as you type then costs one term lookup instead of a union over every word that
    # starts with it (Meilisearch keeps prefix postings for the same reason).
    builder.add_text_field("prefix_f", tokenizer_name="default", index_option="basic")
    for name in ("kind", "member", "language", "status", "subject", "sort_title"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("newest", fast=True)
    builder.add_integer_field("created", fast=True)  # created_at in ms: feeds and digests
    builder.add_integer_field("sample", indexed=True)  # sample_bucket: estimated facets
    return builder.build()


SCHEMA = _schema()


def to_document(record: Record) -> tantivy.Document:
    """One record as a tantivy document (folded text, facets, sort keys, the stored record)."""
    title_words = fold_words(record.title)
    title_f = " ".join(title_words)
    body_f, body_prefixes = _folded_with_prefixes(searchable_text(record))
    synonyms = synonym_words([*title_words, *fold_words(" ".join(record.subjects))])
    everything = f"{title_f} \n {body_f} \n {synonyms}"
    doc = tantivy.Document()
    doc.add_text("id", record.id)
    # The serializer's bytes as they are: model_dump_json would decode them, and we encode.
    doc.add_bytes("doc", _RECORD_JSON.to_json(record, exclude_none=True))
    doc.add_integer("version", record.version)
    doc.add_text("match_f", everything)
    doc.add_text("title_f", title_f)
    doc.add_text("names_f", " ".join(fold_words(" ; ".join(record.creators))))
    doc.add_text("prefix_f", f"{short_prefixes(f'{title_f} {synonyms}')} {body_prefixes}")
    as_written = title_subject_parts(record.title, record.subjects)
    doc.add_text("exact", " ".join(itertools.chain.from_iterable(as_written)))
    doc.add_text("title_pairs", " ".join(word_pairs(title_words)))
    doc.add_text(
        "exact_pairs", " ".join(itertools.chain.from_iterable(map(word_pairs, as_written)))
    )
    doc.add_text("kind", record.kind.value)
    doc.add_text("member", record.member)
    doc.add_text("language", record.language.lower())
    doc.add_text("status", record.status.value)
    for subject in dict.fromkeys(record.subjects):
        doc.add_text("subject", subject)
    doc.add_text("sort_title", collation_key(record.title))
    if record.year is not None:
        doc.add_integer("year", record.year)
    doc.add_integer("newest", newest_key(record))
    doc.add_integer("created", created_key(record))
    doc.add_integer("sample", sample_bucket(record.id))
    return doc


_RECORD_JSON = Record.__pydantic_serializer__


def sample_bucket(record_id: str) -> int:
    """Which of ``SAMPLE_BUCKETS`` a record falls in, by its id alone: bucket 0 is the
    sample that large match sets' facets are estimated from (``tantivy_query``)."""
    return zlib.crc32(record_id.encode()) % SAMPLE_BUCKETS


def word_pairs(words: Sequence[str]) -> list[str]:
    """Each two neighbouring words, as one term: ``["a", "b", "c"]`` -> ``["a+b", "b+c"]``
    (``+`` is in no word; one value of pairs is indexed per field, ~8 % cheaper than one
    value per pair)."""
    return [f"{first}+{second}" for first, second in itertools.pairwise(words)]


def short_prefixes(folded: str) -> str:
    """Every prefix of up to ``SHORT_PREFIX`` letters of every distinct word (unordered; two
    words may give the same prefix, and tantivy indexes a term once a document).

    Each word's prefixes are remembered as one string (a collection repeats the same
    syllables): joining them costs less than a set union that drops the repeats
    (in-process, issue 15's corpus: 31 -> 19 us a record, for 4 us more in tantivy's
    thread).
    """
    return " ".join(map(_WORD_PREFIXES.__getitem__, set(folded.split())))


def _folded_with_prefixes(text: str) -> tuple[str, str]:
    """``folded_text`` of ``text`` and its ``short_prefixes``, from one split: each distinct
    piece gives the prefixes of its folded words, remembered, so the folded text is not
    split again to find them (a long description: 51 -> 27 us, with the union before)."""
    if "&" in text:  # words may join across pieces: folded whole
        folded = folded_text(text)
        return folded, short_prefixes(folded)
    pieces = text.split()
    prefixes = " ".join(map(_PIECE_PREFIXES.__getitem__, set(pieces)))
    return folded_pieces(pieces), prefixes


def _word_prefixes(word: str) -> str:
    # A slice past the word's end is the word itself, already met as a shorter prefix.
    return " ".join(dict.fromkeys(word[:n] for n in _PREFIX_LENGTHS))


_PREFIX_LENGTHS = range(1, SHORT_PREFIX + 1)
# A dict emptied when full (``PieceCache``), not an ``Lru``: it is read once for every word
# indexed, and a lock and a reordering a read would more than double the cost of
# ``short_prefixes`` (28 -> 67 us a record, 16% of ``to_document``).
_WORD_PREFIXES = PieceCache(_word_prefixes)
_PIECE_PREFIXES = PieceCache(lambda piece: short_prefixes(" ".join(fold_words(piece))))


def stored_field(doc: tantivy.Document, name: str) -> Any:
    """A stored field of an indexed document (each has them all: absent means corrupt)."""
    value = doc.get_first(name)
    if value is None:
        raise KeyError(f"indexed document without {name!r}")
    return value
