"""The Meilisearch adapter's sitemap listing: one documents fetch per batch, live only,
oldest first (no server here: DESIGN §5; the contract suite runs it when MEILI_URL is set)."""

from __future__ import annotations

from services.search.adapters.meili import live_page_params


def test_a_listing_batch_fetches_ids_of_live_documents_oldest_first() -> None:
    params = live_page_params(offset=50_000, limit=1000)
    assert params == {
        "offset": 50_000,
        "limit": 1000,
        "fields": ["id", "newest"],
        "filter": ['status = "active"'],
        "sort": "newest:asc",
    }
