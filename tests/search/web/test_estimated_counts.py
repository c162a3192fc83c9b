"""A page of results whose counts are estimates says so: "khoảng" (about) before the total,
"≈" before each facet count. The engine here estimates from a single match in its sample."""

from __future__ import annotations

import re

import pytest

from services.search.adapters.tantivy_schema import sample_bucket
from tests.search.web.conftest import Portal
from tests.search.web.corpus import WEB_CORPUS

SAMPLED = next(r for r in WEB_CORPUS if sample_bucket(r.id) == 0)  # a record in the sample


@pytest.fixture(scope="module")
def estimate_from() -> int:
    return 1


def heading(html: str) -> str:
    found = re.search(r'<h2 id="results-h"[^>]*>(.*?)</h2>', html, re.S)
    assert found, "no results heading"
    return found.group(1).strip()


async def test_estimated_counts_read_as_estimates(portal: Portal) -> None:
    page = (await portal.client.get("/", params={"q": SAMPLED.title})).text
    assert heading(page).startswith("khoảng ")
    counts = re.findall(r'<span class="count">([^<]*)</span>', page)
    assert counts and all(c.startswith("≈") for c in counts)
    english = (await portal.client.get("/", params={"q": SAMPLED.title, "lang": "en"})).text
    assert heading(english).startswith("about ")


async def test_counted_results_read_as_counts(portal: Portal) -> None:
    unsampled = next(r for r in WEB_CORPUS if sample_bucket(r.id) != 0)
    page = (await portal.client.get("/", params={"q": f'"{unsampled.title}"'})).text
    assert not heading(page).startswith("khoảng")
    assert "≈" not in page
