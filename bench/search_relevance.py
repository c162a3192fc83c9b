"""Relevance: the share of ``bench/relevance_queries.json`` whose target is in the top 3.

The targets are indexed among distractors from ``bench.search_corpus`` (20,000 by default),
with the embedded engine, and every query runs as the public API runs it.

    .venv/bin/python -m bench.search_relevance [--distractors 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.search_corpus import corpus
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.ports import SearchQuery
from shared.records import Record

QUERIES = Path(__file__).with_name("relevance_queries.json")
TOP = 3


def target_record(spec: dict[str, object]) -> Record:
    member, local_id = str(spec["id"]).split(":", 1)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fields = {k: v for k, v in spec.items() if k != "id"}
    return Record.model_validate(
        {
            **fields,
            "id": spec["id"],
            "member": member,
            "local_id": local_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "content_hash": f"target-{local_id}",
        }
    )


async def run(distractors: int) -> float:
    spec = json.loads(QUERIES.read_text())
    work = Path(tempfile.mkdtemp(prefix="stinet-relevance-"))
    index = TantivyIndex(work)
    await index.open()
    batch: list[Record] = [target_record(t) for t in spec["targets"]]
    for record in corpus(distractors):
        batch.append(record)
        if len(batch) >= 500:
            await index.upsert(batch)
            batch = []
    await index.upsert(batch)
    hits = 0
    for item in spec["queries"]:
        result = await index.search(SearchQuery(q=item["q"], per_page=10))
        ranked = [h.id for h in result.hits]
        position = ranked.index(item["target"]) + 1 if item["target"] in ranked else None
        ok = position is not None and position <= TOP
        hits += ok
        where = f"#{position}" if position else "absent"
        mark = "ok " if ok else "MISS"
        print(f"{mark} {where:>7}  [{item['kind']}] {item['q']!r} → {item['target']}")
    await index.close()
    shutil.rmtree(work, ignore_errors=True)
    rate = hits / len(spec["queries"])
    print(
        f"\nrelevance: {hits}/{len(spec['queries'])} queries have their target in the top {TOP}"
        f" = {rate:.0%} (over {distractors:,} distractors + {len(spec['targets'])} targets)"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--distractors", type=int, default=20_000)
    args = parser.parse_args()
    asyncio.run(run(args.distractors))


if __name__ == "__main__":
    main()
