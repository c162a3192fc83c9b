"""What the embedded engine asks of tantivy: queries, filters, ordering, facets, cache keys.

Every function here builds a query or reads one answer from a searcher; none writes, and
none keeps anything between requests (the engine's caches are in ``tantivy_index``).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tantivy
from tantivy import Occur, Query

from services.search.adapters.tantivy_schema import (
    SAMPLE_BUCKETS,
    SCHEMA,
    SHORT_PREFIX,
    word_pairs,
)
from services.search.domain import (
    ParsedQuery,
    fold_words,
    instant_key,
    typo_budget,
)
from services.search.ports import FACET_LIMITS, Facets, SearchQuery, SortOrder
from shared.records import Kind, RecordStatus

COMPLETE_WORD_LETTERS = 5


def _term(field: str, value: Any, boost: float) -> Query:
    return Query.boost_query(Query.term_query(SCHEMA, field, value), boost)


Clauses = list[tuple[Occur, Query]]


def is_known(searcher: tantivy.Searcher | None, word: str) -> bool:
    """Is ``word`` a term of the index? Typo expansion is for words that are not."""
    if searcher is None:
        return False
    return searcher.doc_freq("match_f", word) > 0


def known_words(searcher: tantivy.Searcher | None, parsed: ParsedQuery) -> dict[str, bool]:
    """Which query words the index contains as typed (looked up once per request)."""
    return {word: is_known(searcher, word) for word in parsed.words}


def _still_typing(word: str, known: bool, last: int) -> bool:
    """Should the last word match as a prefix? Not a lone letter after other words, and not
    a long word the index knows: a Vietnamese syllable of 5+ letters is complete."""
    if len(word) < 2 and last > 0:
        return False
    return not (known and len(word) >= COMPLETE_WORD_LETTERS)


def _word_query(word: str, *, prefix: bool, known: bool = False) -> Query:
    """Which documents one folded word matches: the word (anywhere: ``match_f``), or, as the
    word being typed, any word it starts; with typos for a word the index does not hold.

    Typos are tolerated only for a word the index does not contain as typed: a word that
    exists is what the user meant, and expanding it to every neighbour costs time and
    precision. Where the word is ranks through ``_boosts`` (title first).
    """
    if prefix and len(word) <= SHORT_PREFIX:
        # Every word that starts with it, the word itself included: one posting list.
        options = [Query.term_query(SCHEMA, "prefix_f", word)]
    else:
        options = [Query.term_query(SCHEMA, "match_f", word)]
    if prefix and len(word) > SHORT_PREFIX:
        options.append(Query.fuzzy_term_query(SCHEMA, "match_f", word, 0, True, True))
    budget = 0 if known else typo_budget(word)
    if budget:
        fuzzy = Query.fuzzy_term_query(SCHEMA, "match_f", word, budget, True, prefix)
        options.append(Query.boost_query(fuzzy, 0.5))
    if len(options) == 1:
        return options[0]
    return Query.boolean_query([(Occur.Should, q) for q in options])


def phrase_words(words: Sequence[str]) -> list[str | tuple[int, str]]:
    """Words of a phrase query as tantivy takes them (a word, or an offset and a word)."""
    return list(words)


def _boosts(parsed: ParsedQuery) -> list[Query]:
    """Every ranking boost: they order results, never filter them."""
    # A word in the title counts more than one in a description; a word typed whole more
    # than the longer words it starts (a short prefix matches through ``prefix_f``, tf-less).
    boosts = [_term("title_f", word, 2.0) for word in parsed.words]
    last = parsed.words[-1] if parsed.words and parsed.last_is_prefix else ""
    if 0 < len(last) <= SHORT_PREFIX:
        boosts.append(_term("match_f", last, 1.0))
    if len(parsed.words) >= 2:
        # A person's name is a phrase too ("Nguyễn Thị Thu Hằng"); creators are short, so
        # this is cheap, unlike proximity over whole descriptions.
        boosts.append(
            Query.boost_query(
                Query.phrase_query(SCHEMA, "names_f", phrase_words(parsed.words)), 8.0
            )
        )
    return [*boosts, *_title_phrase_boosts(parsed)]


def _title_phrase_boosts(parsed: ParsedQuery) -> list[Query]:
    """The words as a phrase in the title, and the tone marks as typed (title, subjects)."""
    boosts: list[Query] = []
    if len(parsed.words) >= 2:
        boosts.append(Query.boost_query(_phrase("title_f", "title_pairs", parsed.words), 8.0))
    if parsed.marked and parsed.exact:
        for word in parsed.exact:
            boosts.append(_term("exact", word, 2.0))
        if len(parsed.exact) >= 2:
            boosts.append(Query.boost_query(_phrase("exact", "exact_pairs", parsed.exact), 4.0))
    return boosts


def _phrase(field: str, pairs_field: str, words: Sequence[str]) -> Query:
    """``words`` next to each other in ``field``; two of them, as one term of the pairs."""
    if len(words) == 2:
        return Query.term_query(SCHEMA, pairs_field, word_pairs(words)[0])
    return Query.phrase_query(SCHEMA, field, phrase_words(words))


def text_clauses(
    parsed: ParsedQuery, *, require_all: bool = True, known: Mapping[str, bool] | None = None
) -> Clauses:
    """Every word must match (or any, as a fallback), with the ranking boosts as options."""
    core = match_query(parsed, require_all=require_all, known=known)
    return [(Occur.Must, core), *[(Occur.Should, b) for b in _boosts(parsed)]]


def match_query(
    parsed: ParsedQuery, *, require_all: bool = True, known: Mapping[str, bool] | None = None
) -> Query:
    """Which documents match (no ranking boosts): what facets and totals count."""
    known = known or {}
    words = [
        _word_query(w, prefix=prefix, known=known.get(w, False))
        for w, prefix in _typed(parsed, known)
    ]
    occur = Occur.Must if require_all else Occur.Should
    return Query.boolean_query([(occur, q) for q in words])


def _typed(parsed: ParsedQuery, known: Mapping[str, bool]) -> list[tuple[str, bool]]:
    """Each word, and whether it matches as a prefix (the word being typed)."""
    last = len(parsed.words) - 1
    return [
        (w, i == last and parsed.last_is_prefix and _still_typing(w, known.get(w, False), last))
        for i, w in enumerate(parsed.words)
    ]


# Added to the scores of the first tier, so that scores never rise down the list.
TITLE_TIER_SCORE = 10_000.0


def ranked_page(
    searcher: tantivy.Searcher,
    parsed: ParsedQuery,
    filters: Clauses,
    *,
    require_all: bool,
    known: Mapping[str, bool],
    offset: int,
    limit: int,
) -> list[tuple[Any, tantivy.DocAddress]]:
    """A page of matches by relevance, in two tiers: first the records whose title holds
    every word typed whole, then the rest; each ranked by its words and boosts.

    Like Meilisearch's attribute rule, and far cheaper: when every syllable is common the
    title tier is a small share of the matches and nearly always fills the first pages, so
    the whole match set is not ranked (in-process, 1M records: 62 -> 19 ms a query).
    """
    full = text_clauses(parsed, require_all=require_all, known=known)
    tier = _title_tier(parsed, known) if require_all else None
    if tier is None:
        return searcher.search(combine(full, filters), limit=limit, offset=offset, count=False).hits
    by_title = _title_tier_query(parsed, tier, known, filters)
    first = searcher.search(by_title, limit=offset + limit, count=False).hits
    page = [(TITLE_TIER_SCORE + float(score), address) for score, address in first[offset:]]
    if len(first) == offset + limit:
        return page
    # The title tier ended on this page (it holds exactly ``len(first)`` records).
    rest = combine([*full, (Occur.MustNot, tier)], filters)
    wanted, skip = limit - len(page), max(0, offset - len(first))
    return page + searcher.search(rest, limit=wanted, offset=skip, count=False).hits


def _title_tier(parsed: ParsedQuery, known: Mapping[str, bool]) -> Query | None:
    """Every word typed whole that the index holds, in the title (None: no such word)."""
    whole = [w for w, prefix in _typed(parsed, known) if known.get(w, False) and not prefix]
    if not whole:
        return None
    return Query.boolean_query(
        [(Occur.Must, Query.term_query(SCHEMA, "title_f", w)) for w in whole]
    )


def _title_tier_query(
    parsed: ParsedQuery, tier: Query, known: Mapping[str, bool], filters: Clauses
) -> Query:
    """The title tier: every word as the match asks (scored in every field, so a record
    about the subject beyond its title ranks first among equal titles), the title words,
    the phrase and the marks; not the per-word title boosts (every one of these has them).

    Several optional clauses beside the required ones are scored as a union, which scores
    every document of every boost in each window of 4,096 that the tier reaches: the
    boosts' whole posting lists. Added one at a time, each boost is looked up at the tier's
    documents only (its skip list): cheaper from three words on, when the tier is a few
    percent of the records (1M records: 9.1 -> 6.5 ms a three-word page, the same hits and
    scores), not for one or two words, whose tier holds 10-30 % of them.
    """
    core = match_query(parsed, known=known)
    boosts = _title_phrase_boosts(parsed)
    if len(parsed.words) < BOOSTS_ONE_AT_A_TIME_FROM:
        optional = [(Occur.Should, boost) for boost in boosts]
        return combine([(Occur.Must, tier), (Occur.Must, core)], filters, optional)
    query = combine([(Occur.Must, tier), (Occur.Must, core)], filters)
    for boost in boosts:
        query = Query.boolean_query([(Occur.Must, query), (Occur.Should, boost)])
    return query


BOOSTS_ONE_AT_A_TIME_FROM = 3  # query words (``_title_tier_query``)


def suggest_query(parsed: ParsedQuery) -> Query:
    """As-you-type in titles: the words in order, the last one as a prefix; no typos.

    Titles only, and a phrase: cheap enough to answer every keystroke.
    """
    words = list(parsed.words)
    if not parsed.last_is_prefix:
        return (
            Query.phrase_query(SCHEMA, "title_f", phrase_words(words))
            if len(words) > 1
            else Query.term_query(SCHEMA, "title_f", words[0])
        )
    if len(words) == 1:
        return Query.fuzzy_term_query(SCHEMA, "title_f", words[0], 0, True, True)
    return Query.phrase_prefix_query(SCHEMA, "title_f", phrase_words(words))


def filter_clauses(query: SearchQuery) -> Clauses:
    """Filters as exact term sets and a range: user values are data, never query syntax.

    "Active only" is "not withdrawn" (the two statuses): excluding the few withdrawn records
    costs less than intersecting every match with the posting list of all active ones.
    """
    clauses: Clauses = []
    if not query.include_withdrawn:
        withdrawn = Query.term_query(SCHEMA, "status", RecordStatus.WITHDRAWN.value)
        clauses.append((Occur.MustNot, withdrawn))
    for field, values in (
        ("kind", [k.value for k in query.kind]),
        ("member", query.member),
        ("subject", query.subject),
        ("language", [v.lower() for v in query.language]),
    ):
        if values:
            clauses.append((Occur.Must, _unscored(Query.term_set_query(SCHEMA, field, values))))
    if query.year_from is not None or query.year_to is not None:
        year = Query.range_query(
            SCHEMA, "year", tantivy.FieldType.Integer, query.year_from, query.year_to
        )
        clauses.append((Occur.Must, _unscored(year)))
    if query.created_since is not None or query.created_before is not None:
        created = Query.range_query(
            SCHEMA,
            "created",
            tantivy.FieldType.Integer,
            instant_key(query.created_since) if query.created_since else None,
            instant_key(query.created_before) if query.created_before else None,
            include_upper=query.created_before is None,
        )
        clauses.append((Occur.Must, _unscored(created)))
    return clauses


def _unscored(query: Query) -> Query:
    """A filter: it selects, it never changes a score."""
    return Query.const_score_query(query, 0.0)


def combine(*parts: Clauses) -> Query:
    """One flat boolean query of text and filter clauses (all documents when there are none)."""
    clauses = [clause for part in parts for clause in part]
    if not any(occur is Occur.Must for occur, _ in clauses):
        clauses.insert(0, (Occur.Must, Query.all_query()))  # exclusions alone match nothing
    if len(clauses) == 1:
        return clauses[0][1]
    return Query.boolean_query(clauses)


def live_query() -> Query:
    """Every live (not withdrawn) record."""
    return combine([], filter_clauses(SearchQuery()))


def request_key(query: SearchQuery) -> tuple[Any, ...]:
    """Everything that decides an answer: the text as typed, filters, sort and page."""
    return (query.q, *_filter_key(query), query.sort, query.page, query.per_page)


def match_key(parsed: ParsedQuery, query: SearchQuery) -> tuple[Any, ...]:
    """What decides the match set (not sort, page or marks): the facet cache key."""
    return (parsed.words, parsed.last_is_prefix, *_filter_key(query))


def _filter_key(query: SearchQuery) -> tuple[Any, ...]:
    return (
        tuple(sorted(query.kind)),
        tuple(sorted(query.member)),
        tuple(sorted(query.subject)),
        tuple(sorted(query.language)),
        query.year_from,
        query.year_to,
        query.include_withdrawn,
        query.created_since,
        query.created_before,
    )


def field_order(query: SearchQuery, parsed: ParsedQuery) -> dict[str, Any]:
    """The field results are ordered by, if not relevance (nothing typed: newest first)."""
    if query.sort is SortOrder.NEWEST or (query.sort is SortOrder.RELEVANCE and parsed.empty):
        return {"order_by_field": "newest", "order": tantivy.Order.Desc}
    if query.sort is SortOrder.TITLE:
        return {"order_by_field": "sort_title", "order": tantivy.Order.Asc}
    if query.sort is SortOrder.CREATED:
        return {"order_by_field": "created", "order": tantivy.Order.Desc}
    return {}


def facets_of(searcher: tantivy.Searcher, query: Query, *, cheap_match: bool) -> Facets:
    """Counts of the whole match set (one terms aggregation per facet).

    Subjects (several per record) are a multi-valued column that an aggregation reads record
    by record (about 40 ns a record: 4 ms for 100,000 matches). When the match set is cheap
    to find again (nothing typed, or one word), they are counted from their posting lists
    against it instead: 0.2 ms whatever the number of matches, plus one more match pass.
    """
    columns = dict(FACET_LIMITS)
    if cheap_match:
        del columns["subject"]
    aggs = {name: {"terms": {"field": name, "size": size}} for name, size in columns.items()}
    result = searcher.aggregate(query, aggs)
    values: dict[str, dict[str, int]] = {}
    for name in columns:
        buckets = result.get(name, {}).get("buckets", [])
        values[name] = {str(b["key"]): int(b["doc_count"]) for b in buckets}
    if cheap_match:
        subjects = searcher.terms_with_prefix(
            "subject", "", filter_query=query, limit=FACET_LIMITS["subject"]
        )
        values["subject"] = {term: count for term, count in subjects if count > 0}
    return Facets.from_counts(values)


# Facets and totals of a large match set are estimated from a sample of the records, as
# Lucene's RandomSamplingFacetsCollector does: counting every match is most of a query's
# cost when every syllable is common (1M records, in-process: 32 -> 5 ms a query). The
# sample is the records of ``sample`` bucket 0 of ``SAMPLE_BUCKETS`` (by id: ``sample_bucket``),
# the same for every query, so that an estimate does not change between pages.
ESTIMATE_FROM = 20_000  # (estimated) matches: fewer are counted exactly
RARE_IN_SAMPLE = 8  # a kind seen fewer times than this in the sample is counted exactly


@dataclass(frozen=True)
class MatchCounts:
    """The facets (and so the total) of a query's match set."""

    require_all: bool  # every word matched (False: any word, the fallback)
    facets: Facets
    estimated: bool = False  # counts scaled up from the sample, rounded


def match_facets(
    searcher: tantivy.Searcher,
    parsed: ParsedQuery,
    filters: Clauses,
    known: Mapping[str, bool],
    *,
    kinds: Sequence[str] = (),
    estimate_from: int = ESTIMATE_FROM,
) -> MatchCounts:
    """Facets of every word's matches, or of any word's when nothing has them all;
    estimated from the sample when there are ``estimate_from`` matches or more (never with
    nothing typed: the catalogue's own size is counted, and cached, exactly). ``kinds``:
    those the filters allow (empty: all)."""
    matching: Clauses = []
    if not parsed.empty:
        matching = [(Occur.Must, match_query(parsed, known=known))]
        estimate = _estimated_facets(searcher, matching, filters, kinds, estimate_from)
        if estimate is not None:
            return MatchCounts(True, estimate, estimated=True)
    cheap = len(parsed.words) <= 1
    facets = facets_of(searcher, combine(matching, filters), cheap_match=cheap)
    if not facets.kind and len(parsed.words) > 1:
        matching = [(Occur.Must, match_query(parsed, require_all=False, known=known))]
        any_word = facets_of(searcher, combine(matching, filters), cheap_match=False)
        return MatchCounts(False, any_word)
    return MatchCounts(True, facets)


def _estimated_facets(
    searcher: tantivy.Searcher,
    matching: Clauses,
    filters: Clauses,
    kinds: Sequence[str],
    estimate_from: int,
) -> Facets | None:
    """The sample's facets scaled up, or None when they show fewer than ``estimate_from``
    matches. A kind rare in the sample is counted exactly, so that it never drops out of
    the facet (the few training events among 600,000 matches stay findable)."""
    sample = [(Occur.Must, _unscored(Query.term_query(SCHEMA, "sample", 0)))]
    seen = facets_of(searcher, combine(matching, sample, filters), cheap_match=False)
    if sum(seen.kind.values()) * SAMPLE_BUCKETS < estimate_from:
        return None
    counts = {
        name: {value: about(count * SAMPLE_BUCKETS) for value, count in values.items()}
        for name, values in seen.model_dump().items()
    }
    for kind in kinds or [k.value for k in Kind]:
        if seen.kind.get(kind, 0) < RARE_IN_SAMPLE:
            of_kind = [(Occur.Must, _unscored(Query.term_query(SCHEMA, "kind", kind)))]
            counts["kind"][kind] = count_matches(searcher, combine(matching, of_kind, filters))
    counts["kind"] = {kind: n for kind, n in counts["kind"].items() if n}
    return Facets.from_counts(counts)


def about(count: int) -> int:
    """An estimate rounded to its first three digits (37,216 -> 37,200): no false precision."""
    places = len(str(count)) - 3
    return count if places <= 0 else round(count, -places)


def count_matches(searcher: tantivy.Searcher, query: Query) -> int:
    """How many documents ``query`` matches (scores aside)."""
    found = searcher.search(_unscored(query), limit=1, count=True)
    return int(found.count or 0)  # type: ignore[attr-defined]  # not in tantivy's stub


class SubjectCompletions:
    """Subjects (most used first) with a small inverted index of their folded words."""

    def __init__(self, subjects: list[str]) -> None:
        self.subjects = subjects
        self.postings: dict[str, set[int]] = {}
        for position, subject in enumerate(subjects):
            for token in fold_words(subject):
                self.postings.setdefault(token, set()).add(position)
        self.tokens = sorted(self.postings)

    def _with(self, word: str, prefix: bool) -> set[int]:
        if not prefix:
            return self.postings.get(word, set())
        start = bisect.bisect_left(self.tokens, word)
        found: set[int] = set()
        for token in itertools.islice(self.tokens, start, None):
            if not token.startswith(word):
                break
            found |= self.postings[token]
        return found

    def complete(self, parsed: ParsedQuery, limit: int) -> list[str]:
        """Subjects holding every typed word (the last one as a prefix), most used first."""
        last = len(parsed.words) - 1
        matches: set[int] | None = None
        for index, word in enumerate(parsed.words):
            found = self._with(word, index == last and parsed.last_is_prefix)
            matches = found if matches is None else matches & found
            if not matches:
                return []
        return [self.subjects[i] for i in sorted(matches or ())[:limit]]
