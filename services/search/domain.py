"""Vietnamese search semantics shared by both engines: folding, abbreviations, collation, highlight.

No I/O and no framework here: the adapters turn these plain values into engine queries.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from shared.records import Record
from shared.text import clean_text, fold

# Abbreviations of the field (docs/operators/search.md, issue 5) and what they stand for, already
# folded. Both directions match: "CSDL" finds "cơ sở dữ liệu" and the other way round.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "khcn": ("khoa hoc cong nghe", "khoa hoc va cong nghe"),
    "csdl": ("co so du lieu",),
    "dh": ("dai hoc",),
    "dhqg": ("dai hoc quoc gia",),
    "nckh": ("nghien cuu khoa hoc",),
    "ttkhcn": ("thong tin khoa hoc cong nghe",),
    "tt": ("trung tam", "thong tin"),
    "tv": ("thu vien",),
    "cntt": ("cong nghe thong tin",),
    "ubnd": ("uy ban nhan dan",),
    "hp": ("hai phong",),
    "ts": ("tien si",),
    "ths": ("thac si",),
    "gs": ("giao su",),
    "pgs": ("pho giao su",),
    "cd": ("cao dang",),
    "vn": ("viet nam",),
    "bv": ("benh vien",),
}

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # Hai Phong's calendar: days of the visit counts
_AMPERSAND_ABBREVIATION = re.compile(r"\b(\w{1,4})\s*&\s*(\w{1,4})\b")
_WORD = re.compile(r"\w+", re.UNICODE)
MIN_TYPO_ONE = 5
MIN_TYPO_TWO = 9
MAX_QUERY_WORDS = 12
MAX_SCANNED = 4000  # highlight looks for matches in the first characters only
NEWEST_YEAR_FACTOR = 10_000_000_000  # newest_key: year above, epoch seconds below
COLLATION_CHARS = 200  # of a title that decide its place in title order


def normalise_abbreviations(folded: str) -> str:
    """``kh&cn`` and ``kh & cn`` become ``khcn`` so they meet the abbreviation table."""
    if "&" not in folded:  # nearly always: a C scan instead of the regex tried everywhere
        return folded
    return _AMPERSAND_ABBREVIATION.sub(r"\1\2", folded)


def fold_words(text: str) -> list[str]:
    """The folded words of ``text`` (tone marks dropped, đ→d, abbreviations joined).

    Piece by piece between white space, each piece's words remembered: a collection repeats
    the same few thousand syllables, so a dictionary look-up replaces folding and matching
    (no word spans white space, and folding neither makes nor removes any). An ampersand
    may join words across pieces (``kh & cn``): such a text is folded whole.
    """
    return _words_by_piece(text, _folded_words, _FOLDED_PIECE_WORDS)


PIECE_CACHE_SIZE = 200_000
V = TypeVar("V")


class PieceCache(dict[str, V]):
    """What ``make`` gives for a piece of text between white space, made once per piece: a
    collection repeats the same few thousand syllables. Read through ``__getitem__`` (C
    speed inside ``map``); emptied when full (rare: a collection's vocabulary is far
    smaller)."""

    def __init__(self, make: Callable[[str], V]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, piece: str) -> V:
        if len(self) >= PIECE_CACHE_SIZE:
            self.clear()
        made = self[piece] = self.make(piece)
        return made


def _words_by_piece(
    text: str, words_of: Callable[[str], list[str]], pieces: PieceCache[tuple[str, ...]]
) -> list[str]:
    """``words_of(text)``, piece by piece between white space, each piece's words
    remembered; a text with an ampersand, which may join words across pieces, whole."""
    if "&" in text:
        return words_of(text)
    return list(itertools.chain.from_iterable(map(pieces.__getitem__, text.split())))


def _folded_words(text: str) -> list[str]:
    return _WORD.findall(normalise_abbreviations(fold(text)))


_FOLDED_PIECE_WORDS = PieceCache(lambda piece: tuple(_folded_words(piece)))


def folded_text(text: str) -> str:
    """``" ".join(fold_words(text))``, but for the white space between words, which may
    be longer: for an engine that splits it again (a long description: 24 -> 19 us)."""
    if "&" in text:
        return " ".join(fold_words(text))
    return folded_pieces(text.split())


def folded_pieces(pieces: list[str]) -> str:
    """``folded_text`` of a text already split at white space, with no ampersand."""
    return " ".join(map(_FOLDED_PIECES.__getitem__, pieces))


_FOLDED_PIECES = PieceCache(lambda piece: " ".join(fold_words(piece)))


def exact_words(text: str) -> list[str]:
    """The lower-cased words of ``text`` with their marks kept (NFC).

    Piece by piece between white space, remembered, as ``fold_words`` (NFC and case
    folding neither join nor split pieces).
    """
    return _words_by_piece(text, _exact_words, _EXACT_PIECE_WORDS)


def _exact_words(text: str) -> list[str]:
    return _WORD.findall(normalise_abbreviations(clean_text(text).casefold()))


_EXACT_PIECE_WORDS = PieceCache(lambda piece: tuple(_exact_words(piece)))


def title_subject_words(title: str, subjects: Sequence[str]) -> list[str]:
    """The words of a title and its subjects as written (lower-cased, marks kept): what
    did-you-mean's vocabulary and its phrase support are made of, in both engines."""
    return [word for part in title_subject_parts(title, subjects) for word in part]


def title_subject_parts(title: str, subjects: Sequence[str]) -> list[list[str]]:
    """The words as written of the title, and of each subject, apart (no phrase spans two)."""
    return [exact_words(part) for part in (title, *subjects)]


def typo_budget(word: str) -> int:
    """Edits a word may have: 0 below 5 letters, 1 from 5, 2 from 9."""
    if len(word) >= MIN_TYPO_TWO:
        return 2
    if len(word) >= MIN_TYPO_ONE:
        return 1
    return 0


def has_marks(text: str) -> bool:
    """True when the user typed tone marks or đ (then exact forms rank first)."""
    return clean_text(text).casefold() != fold(text)


@dataclass(frozen=True)
class ParsedQuery:
    """A query string split into folded words, exact words and abbreviation expansions."""

    words: tuple[str, ...]
    exact: tuple[str, ...]
    last_is_prefix: bool
    marked: bool
    expansions: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def empty(self) -> bool:
        return not self.words


def parse_query(q: str) -> ParsedQuery:
    """Split what the user typed; the last word is a prefix unless followed by a space."""
    words = tuple(fold_words(q))[:MAX_QUERY_WORDS]
    exact = tuple(exact_words(q))[:MAX_QUERY_WORDS]
    expansions = tuple((w, SYNONYMS[w]) for w in words if w in SYNONYMS)
    return ParsedQuery(
        words=words,
        exact=exact if len(exact) == len(words) else (),
        last_is_prefix=bool(q) and not q[-1].isspace(),
        marked=has_marks(q),
        expansions=expansions,
    )


def synonym_text(folded_text: str) -> str:
    """Index-time expansion: the other side of every abbreviation found in ``folded_text``.

    Only the abbreviations that one of the text's words can start (``_TRIGGERS``) are
    looked at, most texts need none, and a phrase is searched for only then.
    """
    return synonym_words(_WORD.findall(normalise_abbreviations(folded_text)))


def synonym_words(words: Sequence[str]) -> str:
    """``synonym_text`` of words already folded (``fold_words``): no second tokenising."""
    candidates = {a for word in set(words).intersection(_TRIGGERS) for a in _TRIGGERS[word]}
    if not candidates:
        return ""
    padded = f" {' '.join(words)} "
    extra: list[str] = []
    for abbreviation, phrases in SYNONYMS.items():
        if abbreviation not in candidates:
            continue
        if f" {abbreviation} " in padded:
            extra.extend(phrases)
        elif any(f" {phrase} " in padded for phrase in phrases):
            extra.append(abbreviation)
    return " ".join(extra)


def _triggers() -> dict[str, set[str]]:
    """Each word that is an abbreviation or starts one of its phrases: those abbreviations."""
    triggers: dict[str, set[str]] = {}
    for abbreviation, phrases in SYNONYMS.items():
        for word in (abbreviation, *(phrase.split()[0] for phrase in phrases)):
            triggers.setdefault(word, set()).add(abbreviation)
    return triggers


_TRIGGERS = _triggers()


# Vietnamese alphabetical order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y,
# letters first, tones (none, grave, hook, tilde, acute, dot) only to break ties.
_ALPHABET = "aăâbcdđeêghijklmnoôơpqrstuưvwxyz"
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}


def collation_key(title: str) -> str:
    """A string whose byte order is the Vietnamese dictionary order of ``title``.

    Each character's letter and tone are independent of its neighbours, so two translate
    tables give them (one C pass each) instead of normalising character by character; and
    each piece between white space is keyed once, remembered (a title: 8 -> 3.7 us).
    """
    pieces = title.split()
    primary = _PRIMARY_SPACE.join(map(_PRIMARY_PIECES.__getitem__, pieces))
    secondary = _SECONDARY_SPACE.join(map(_SECONDARY_PIECES.__getitem__, pieces))
    return primary[:COLLATION_CHARS] + "\x01" + secondary[:COLLATION_CHARS]


def _piece_collation(half: _CollationTable) -> Callable[[str], str]:
    # NFC and case folding keep to the piece, and each character gives one of each half: the
    # keys of the pieces joined are the key of the text (``clean_text``, then ``casefold``).
    return lambda piece: clean_text(piece).casefold().translate(half)


def reference_collation(char: str) -> tuple[str, str]:
    """The definition: one (casefolded) character's letter position and tone digit.

    One byte (ASCII) for a space, a digit or a letter of the alphabet, in that order; any
    other letter after them, by code point. tantivy indexes the key as a term and as a fast
    column: at two bytes a letter it was about 40 % of a document's indexing time.
    """
    parts = unicodedata.normalize("NFD", char)
    base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
    tone = next((_TONES[c] for c in parts if c in _TONES), "0")
    position = _ALPHABET.find(base)
    if position >= 0:
        return chr(_FIRST_LETTER + position), tone
    if base.isalnum():
        # ``digit``, not ``int``: superscripts and subscripts ("m²", "CO₂") are digits too.
        number = chr(0x30 + unicodedata.digit(base)) if base.isdigit() else chr(0x200 + ord(base))
        return number, tone
    return " ", tone


_FIRST_LETTER = 0x41  # "A": after the digits; the 32 letters end at 0x60, below 0x80


class _CollationTable(dict[int, str]):
    """One half (letter or tone) of ``reference_collation`` per character, filled as met."""

    def __init__(self, half: int) -> None:
        super().__init__()
        self.half = half

    def __missing__(self, code: int) -> str:
        value = reference_collation(chr(code))[self.half]
        if code < _COLLATION_TABLE_BELOW:
            self[code] = value
        return value


_COLLATION_TABLE_BELOW = 0x3000  # Latin, Vietnamese, punctuation: bounds the tables
_PRIMARY = _CollationTable(0)
_SECONDARY = _CollationTable(1)
_PRIMARY_SPACE, _SECONDARY_SPACE = " ".translate(_PRIMARY), " ".translate(_SECONDARY)
_PRIMARY_PIECES = PieceCache(_piece_collation(_PRIMARY))
_SECONDARY_PIECES = PieceCache(_piece_collation(_SECONDARY))


def newest_key(record: Record) -> int:
    """Sort key for "newest": the year, then the last update."""
    return (record.year or 0) * NEWEST_YEAR_FACTOR + int(record.updated_at.timestamp())


def instant_key(moment: datetime) -> int:
    """An instant as integer milliseconds since the epoch (a naive one is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def created_key(record: Record) -> int:
    """Sort and filter key for "added to the network": ``created_at`` in milliseconds."""
    return instant_key(record.created_at)


def searchable_text(record: Record) -> str:
    """Everything but the title that a query may match, as one string."""
    parts = [
        *record.subjects,
        *record.creators,
        record.publisher or "",
        record.description or "",
        record.location or "",
        *record.identifiers.values(),
    ]
    return " \n ".join(p for p in parts if p)


@lru_cache(maxsize=65536)
def fold_token(token: str) -> str:
    """``fold`` of one word, cached: a collection repeats the same words endlessly."""
    return fold(token)


@lru_cache(maxsize=65536)
def word_matches(token: str, query_word: str, *, prefix: bool) -> bool:
    """Does a folded document token match a folded query word (exact, prefix or typo)?"""
    if token == query_word or (prefix and token.startswith(query_word)):
        return True
    budget = typo_budget(query_word)
    return (
        budget > 0
        and abs(len(token) - len(query_word)) <= budget
        and (_edit_distance(token, query_word, budget) <= budget)
    )


def _edit_distance(a: str, b: str, limit: int) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


_TOKEN = re.compile(r"\w+", re.UNICODE)


def _escape(text: str) -> str:
    """HTML-escape ``& < > "`` (``str.replace`` runs at C speed, a translate table looks
    every character up)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _typo_spans(text: str, folded: str, typo_words: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of words that match a query word only with typos."""
    absent = [
        w for w in typo_words if typo_budget(w) and not re.search(rf"(?<!\w){re.escape(w)}", folded)
    ]
    if not absent:
        return []
    spans = []
    for match in _TOKEN.finditer(text, 0, MAX_SCANNED):
        token = fold_token(match.group())
        if any(word_matches(token, w, prefix=False) for w in absent):
            spans.append(match.span())
    return spans


_FOLD_TABLE_SIZE = 0x3100  # Latin, Vietnamese, punctuation; beyond: left as it is


def _fold_table() -> list[str]:
    """One entry per code point (a list: ``str.translate`` then never raises a KeyError per
    character it leaves alone, which halves its cost)."""
    table = [chr(code) for code in range(_FOLD_TABLE_SIZE)]
    for code in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        folded = fold(chr(code))
        if len(folded) == 1:
            table[code] = folded
    return table


_FOLD_TABLE = _fold_table()


def fold_aligned(text: str) -> str:
    """``fold`` for highlighting: one character for one (C speed), so positions line up.

    Characters outside Latin/Vietnamese stay as they are (lower-cased); the caller checks
    the length and compares word by word when it does not line up.
    """
    return text.translate(_FOLD_TABLE).lower()


def _is_word_char(char: str) -> bool:
    """``re``'s ``\\w`` for one character."""
    return char.isalnum() or char == "_"


def _word_spans(folded: str, words: tuple[str, ...], last_is_prefix: bool) -> list[tuple[int, int]]:
    """Whole words of ``folded`` equal to a query word (the last one also as a prefix).

    ``str.find`` per query word (C speed) instead of a regex tried at every position.
    """
    spans: list[tuple[int, int]] = []
    size = len(folded)
    last = words[-1]
    for word in set(words):
        prefix = last_is_prefix and word == last
        start = folded.find(word)
        while start >= 0:
            end = start + len(word)
            if start == 0 or not _is_word_char(folded[start - 1]):
                if end < size and _is_word_char(folded[end]):
                    if prefix:
                        while end < size and _is_word_char(folded[end]):
                            end += 1
                        spans.append((start, end))
                else:
                    spans.append((start, end))
            start = folded.find(word, end)
    return spans


def match_spans(
    text: str, query: ParsedQuery, typo_words: frozenset[str] | None = None
) -> list[tuple[int, int]]:
    """Where the query's words (folded: marks, case and đ ignored) occur in ``text``.

    ``typo_words`` are the words the engine matched with typos (default: every word).
    """
    if not query.words:
        return []
    folded = fold_aligned(text)
    if len(folded) != len(text):  # a character folded to several: compare word by word
        return _token_spans(text, query)
    spans = _word_spans(folded[:MAX_SCANNED], query.words, query.last_is_prefix)
    typo_words = frozenset(query.words) if typo_words is None else typo_words
    return sorted(set(spans + _typo_spans(text, folded, typo_words)))


def _token_spans(text: str, query: ParsedQuery) -> list[tuple[int, int]]:
    spans = []
    last = len(query.words) - 1
    for match in _TOKEN.finditer(text, 0, MAX_SCANNED):
        token = fold_token(match.group())
        for index, word in enumerate(query.words):
            if word_matches(token, word, prefix=index == last and query.last_is_prefix):
                spans.append(match.span())
                break
    return spans


def highlight(
    text: str,
    query: ParsedQuery,
    *,
    max_chars: int = 240,
    typo_words: frozenset[str] | None = None,
) -> str:
    """``text`` HTML-escaped with the matched words in ``<mark>``, cut around the first match."""
    if not text:
        return ""
    spans = None
    if typo_words is not None and not typo_words:
        spans = _spans_near_start(text, query, max_chars)
    if spans is None:
        spans = match_spans(text, query, typo_words)
    return _render(text, spans, max_chars)


def _spans_near_start(
    text: str, query: ParsedQuery, max_chars: int
) -> list[tuple[int, int]] | None:
    """``match_spans`` of a long text as far as ``_render`` uses them, from its head alone
    (None: the head cannot tell). No typo words: only whole words and a last prefix.

    The window shown is ``max_chars`` from just before the first match, and a match is told
    by its own letters and the one after it: when the head's first match starts early
    enough that the window ends inside the head, the head's matches are the text's (the
    hits of 3,000 workload queries at 100k: 58 % of them; highlights 1.21 -> 1.12 ms a
    query).
    """
    head_size = max_chars + _HEAD_MARGIN
    if not query.words or len(text) <= head_size:
        return None
    head = text[:head_size]
    folded = fold_aligned(head)
    if len(folded) != len(head):
        return None
    spans = sorted(set(_word_spans(folded, query.words, query.last_is_prefix)))
    if not spans or spans[0][0] + max_chars >= head_size - 1:
        return None
    return spans


_HEAD_MARGIN = 120  # letters past the window: the first match must start within them


def _render(text: str, spans: list[tuple[int, int]], max_chars: int) -> str:
    """``text`` escaped, cut to ``max_chars`` around the first span, spans in ``<mark>``."""
    start = 0
    if spans and len(text) > max_chars:
        start = max(0, spans[0][0] - 60)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + max_chars)
    pieces: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if s < cursor or e > end:
            continue
        pieces.append(_escape(text[cursor:s]))
        pieces.append("<mark>" + _escape(text[s:e]) + "</mark>")
        cursor = e
    pieces.append(_escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces)


def highlights(
    query: ParsedQuery,
    title: str,
    description: str | None,
    subjects: list[str],
    typo_words: frozenset[str] | None = None,
) -> dict[str, str]:
    """Highlighted title, description and subjects of one hit (HTML, ``<mark>``)."""
    result = {"title": highlight(title, query, max_chars=1000, typo_words=typo_words)}
    if description:
        result["description"] = highlight(description, query, typo_words=typo_words)
    if subjects:
        result["subjects"] = highlight("; ".join(subjects), query, typo_words=typo_words)
    return result


def completes(candidate: str, words: tuple[str, ...], last_is_prefix: bool) -> bool:
    """Does a title or subject contain every typed word (the last one as a prefix)?"""
    tokens = fold_words(candidate)
    last = len(words) - 1
    for index, word in enumerate(words):
        prefix = index == last and last_is_prefix
        if not any(t == word or (prefix and t.startswith(word)) for t in tokens):
            return False
    return True


def updated_from_newest(key: int) -> datetime:
    """The last change (to the second, UTC) that ``newest_key`` holds below its year."""
    return datetime.fromtimestamp(key % NEWEST_YEAR_FACTOR, tz=UTC)
