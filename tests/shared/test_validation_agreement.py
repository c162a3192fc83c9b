"""Property: what ingest accepts before its 202, the catalogue never rejects for its content,
and both find the same soft problems (docs/thanh-vien/nhap-du-lieu.md, one validation in
``shared/``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from services.catalogue.domain import Context, decide
from services.ingest.domain import Batcher
from shared.events import Outcome, RecordsSubmitted, SubmittedItem
from shared.records import Source

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
_ITEMS: TypeAdapter[list[SubmittedItem]] = TypeAdapter(list[SubmittedItem])

isbnish = st.one_of(
    st.sampled_from(["978-0-306-40615-7", "0306406152", "978-0-306-40615-8", "0-8044-2957-X"]),
    st.text(max_size=20),
)
issnish = st.one_of(st.sampled_from(["0317-8471", "0317-8472", "2434-561x"]), st.text(max_size=12))
doiish = st.one_of(st.sampled_from(["10.1000/abc", "doi:10.5555/X", "nope"]), st.text(max_size=20))
urlish = st.one_of(
    st.sampled_from(
        ["https://vimaru.edu.vn/a", "HTTP://Example.COM/x", "ftp://x", "http://", "not a url",
         "javascript:alert(1)", "http://user:pw@example.com/", ""]
    ),
    st.text(max_size=30),
)  # fmt: skip
textish = st.one_of(st.text(max_size=40), st.sampled_from(["", "   ", "TIÊU ĐỀ VIẾT HOA DÀI"]))
identifiers = st.dictionaries(
    st.sampled_from(["isbn", "issn", "doi", "url", "handle", "Bad Key"]),
    st.one_of(isbnish, issnish, doiish, urlish),
    max_size=4,
)
optional = {
    "description": st.one_of(st.none(), textish),
    "creators": st.lists(textish, max_size=3),
    "subjects": st.lists(textish, max_size=3),
    "publisher": st.one_of(st.none(), textish),
    "language": st.one_of(
        st.none(), st.sampled_from(["vi", "VIE", "en-US", "xyz", "", "tiếng việt"]), st.text()
    ),
    "year": st.one_of(st.none(), st.integers(1000, 2100), st.sampled_from(["2020", "abc"])),
    "date": st.one_of(st.none(), st.dates().map(str)),
    "url": st.one_of(st.none(), urlish),
    "identifiers": identifiers,
    "invalid_identifiers": st.dictionaries(
        st.sampled_from(["isbn", "issn"]), st.lists(isbnish, max_size=2), max_size=2
    ),
    "access": st.sampled_from(["open", "restricted", "onsite"]),
}
training = {
    "starts_at": st.sampled_from(["2026-03-01T08:00:00", "2026-03-01T08:00:00+07:00"]),
    "location": textish,
}
kinds = st.sampled_from(["publication", "database", "website", "service"])
records = st.one_of(
    st.fixed_dictionaries(
        {"local_id": st.sampled_from(["r1", "VMU-001"]), "kind": kinds, "title": textish},
        optional=optional,
    ),
    st.fixed_dictionaries(
        {"local_id": st.text(max_size=10), "kind": st.just("training"), "title": textish},
        optional={**optional, **training},
    ),
)


def over_the_wire(item: SubmittedItem) -> list[SubmittedItem]:
    """The item as the catalogue receives it: through ingest's outbox and the broker."""
    outbox = _ITEMS.validate_json(_ITEMS.dump_json([item], exclude_none=True))
    event = RecordsSubmitted(
        submission_id="s", member="vmu", batch_no=0, batch_count=1, items=outbox
    )
    return RecordsSubmitted.model_validate_json(event.model_dump_json()).items


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(raw=records)
def test_the_catalogue_never_rejects_what_ingest_accepted(raw: dict[str, Any]) -> None:
    batcher = Batcher()
    batcher.add(0, raw)
    assume(batcher.accepted == 1)
    [item] = batcher.flush() or []
    said = batcher.warned[0].warnings if batcher.warned else []
    ctx = Context(
        member="vmu",
        source=Source.API,
        submission_id="s",
        submitted_at=NOW,
        batch_no=0,
        now=NOW,
    )
    [received] = over_the_wire(item)
    decision = decide(received, None, ctx)
    assert decision.outcome.outcome is Outcome.CREATED, decision.outcome.errors
    assert decision.outcome.warnings == said
    assert decision.state is not None and decision.state.record.problems == said
