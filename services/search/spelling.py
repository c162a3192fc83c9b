"""Did you mean (issue 17): tone marks put back, typos corrected, from the index's own words.

No I/O and no model: the index hands over its vocabulary (the words of live titles and
subjects as written, with how many records hold each) and, for a few candidate readings,
how many records hold their words in that order. Everything else is here.

* ``nuoi tom`` (no marks) that finds few records → the marked reading the titles support
  best: ``nuôi tôm`` (held as a phrase) over ``nuôi tóm`` (two words that exist apart).
* ``nuoi tomm`` → ``nuôi tôm``: a word no field of the index holds is replaced by a word
  one edit away (a letter added, dropped, changed, or two swapped), the most used first.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field

from services.search.domain import exact_words, fold_words, has_marks, title_subject_words

LEXICON_REFRESH_SECONDS = 60.0  # did-you-mean's words may lag the index by this much
# Distinct words a tally keeps, so a huge index cannot exhaust memory: a ``Lexicon`` of
# 200,000 words measured 249 MiB (its deletion index), of 50,000 about a quarter of that.
MAX_VOCABULARY = 50_000
FEW_RESULTS = 10  # below this many results an unmarked query is offered its marked reading
FORMS_PER_WORD = 3
MAX_READINGS = 6
MAX_WORDS = 6
MIN_TYPO_LETTERS = 4  # shorter words have too many neighbours to guess from


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit_apart(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one letter added, dropped, changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i, j = [*diff, 0, 0][:2]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass
class Lexicon:
    """The index's words: folded word → its written forms, most used first; and a
    deletion index (symmetric delete) to find words one edit away."""

    forms: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _deleted: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, terms: Iterable[tuple[str, int]]) -> Lexicon:
        """From ``(word as written, records holding it)`` pairs (lower-cased, marks kept)."""
        lexicon = cls()
        for term, count in terms:
            folded = fold_words(term)
            if len(folded) != 1 or not folded[0].isalpha():
                continue  # numbers and joined tokens are never offered
            key = folded[0]
            lexicon.forms.setdefault(key, []).append((term, count))
            lexicon.counts[key] = lexicon.counts.get(key, 0) + count
        for key, forms in lexicon.forms.items():
            forms.sort(key=lambda f: (-f[1], f[0]))
            if len(key) >= MIN_TYPO_LETTERS - 1:
                for deleted in _deletions(key):
                    lexicon._deleted.setdefault(deleted, []).append(key)
        return lexicon

    def __len__(self) -> int:
        return len(self.forms)

    def corrections(self, word: str) -> list[str]:
        """Folded words of the lexicon one edit from ``word``, most used first."""
        near = set(self._deleted.get(word, ()))
        for deleted in _deletions(word):
            if deleted in self.forms:
                near.add(deleted)
            near.update(self._deleted.get(deleted, ()))
        found = [w for w in near if one_edit_apart(word, w)]
        return sorted(found, key=lambda w: (-self.counts[w], w))


@dataclass
class VocabularyTally:
    """Words of live titles and subjects (as written: lower-cased, marks kept) → how many
    records hold each, for an engine that cannot list its terms (Meilisearch).

    Only words of letters are kept (``Lexicon.build`` offers no other). Bounded: once
    ``limit`` distinct words are kept, a new word is not admitted (the
    words already kept go on being counted) and ``truncated`` says so.
    """

    limit: int = MAX_VOCABULARY
    counts: dict[str, int] = field(default_factory=dict)
    records: int = 0
    truncated: bool = False

    def add(self, title: str, subjects: Sequence[str]) -> None:
        """Count one record's words (each once per record)."""
        self.records += 1
        counts = self.counts
        for word in set(title_subject_words(title, subjects)):
            if not word.isalpha():
                continue  # numbers and codes: never offered, so never given room
            if word in counts:
                counts[word] += 1
            elif len(counts) < self.limit:
                counts[word] = 1
            else:
                self.truncated = True

    def lexicon(self) -> Lexicon:
        return Lexicon.build(self.counts.items())


def holds_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """Does ``words`` hold ``phrase`` as consecutive words, exactly as written?"""
    size = len(phrase)
    if not size:
        return False
    first = phrase[0]
    return any(
        words[i] == first and tuple(words[i : i + size]) == tuple(phrase)
        for i in range(len(words) - size + 1)
    )


def holds_reading(title: str, subjects: Sequence[str], reading: Sequence[str]) -> bool:
    """Does a record's title, or one of its subjects, hold ``reading`` as written?"""
    return any(holds_phrase(exact_words(text), reading) for text in (title, *subjects))


@dataclass(frozen=True)
class Choices:
    """Per query word, the written words it may stand for (with their weight)."""

    options: tuple[tuple[tuple[str, int], ...], ...]
    typed: tuple[str, ...]
    corrected: bool  # a word was replaced (a typo or wrong marks), not only marked


def choices(q: str, lexicon: Lexicon, known: Set[str]) -> Choices | None:
    """What each word of ``q`` may stand for; None when ``q`` cannot be read word by word.

    ``known``: folded words of ``q`` some field of the index holds (a description, a name),
    so they are never "corrected" into a title's word.
    """
    typed, folded = exact_words(q), fold_words(q)
    if not typed or len(typed) != len(folded) or len(typed) > MAX_WORDS:
        return None
    options: list[tuple[tuple[str, int], ...]] = []
    corrected = False
    for written, word in zip(typed, folded, strict=True):
        forms = lexicon.forms.get(word)
        if forms and written != word:  # typed with marks: kept if the index has them
            if any(f == written for f, _ in forms):
                options.append(((written, 1),))
                continue
            corrected = True
        if forms:
            options.append(tuple(forms[:FORMS_PER_WORD]))
        elif word in known or len(word) < MIN_TYPO_LETTERS or not word.isalpha():
            options.append(((written, 1),))
        elif near := lexicon.corrections(word):
            corrected = True
            forms = [f for w in near[:FORMS_PER_WORD] for f in lexicon.forms[w][:FORMS_PER_WORD]]
            options.append(tuple(forms[: 2 * FORMS_PER_WORD]))
        else:
            options.append(((written, 1),))
    return Choices(tuple(options), tuple(typed), corrected)


def readings(
    found: Choices, q: str, total: int, *, few: int = FEW_RESULTS
) -> list[tuple[str, ...]]:
    """Candidate readings of the query, the likeliest first (by how used each word is);
    none when nothing needs offering: no typo, and marks typed or enough results."""
    if not found.corrected and (has_marks(q) or total >= few):
        return []
    scored = [
        (sum(math.log1p(count) for _, count in combo), tuple(word for word, _ in combo))
        for combo in itertools.product(*found.options)
    ]
    scored.sort(key=lambda s: -s[0])
    out = [words for _, words in scored if words != found.typed]
    return list(dict.fromkeys(out))[:MAX_READINGS]


def best(candidates: Sequence[tuple[str, ...]], support: Sequence[int]) -> str | None:
    """The reading most records hold as written (in that order); the likeliest on a tie or
    when none holds it whole."""
    if not candidates:
        return None
    top = max(range(len(candidates)), key=lambda i: (support[i], -i))
    return " ".join(candidates[top])
