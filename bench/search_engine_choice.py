"""Embedded engine choice: tantivy vs SQLite FTS5 on the same 100,000 records, same queries.

Both get pre-folded text (FTS5's ``remove_diacritics`` does not fold ``đ``); each query is
what ``/v1/search`` needs: every word (the last as a prefix), top 20 by relevance, the total
and the facet counts (kind, member, year, language) of the whole result set. One thread;
figures are per query, each query distinct (no cache helps).

    .venv/bin/python -m bench.search_engine_choice [--records 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.search_corpus import QUERIES, corpus
from bench.search_latency import typed_query
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.domain import fold_words, searchable_text
from services.search.ports import SearchQuery


def build_fts(path: Path, size: int) -> tuple[sqlite3.Connection, float]:
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT, kind TEXT, member TEXT,
                          year INT, language TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='unicode61');
        """
    )
    started = time.perf_counter()
    rows, texts = [], []
    for n, record in enumerate(corpus(size), 1):
        rows.append((n, record.id, record.kind.value, record.member, record.year, record.language))
        texts.append(
            (n, " ".join(fold_words(record.title)), " ".join(fold_words(searchable_text(record))))
        )
        if len(rows) == 500:
            db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?)", rows)
            db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", texts)
            db.commit()
            rows, texts = [], []
    db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?)", rows)
    db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", texts)
    db.commit()
    return db, size / (time.perf_counter() - started)


def fts_query(db: sqlite3.Connection, q: str) -> None:
    words = fold_words(q)
    match = " AND ".join([f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*'])
    db.execute(
        "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 3.0, 1.0) LIMIT 20", (match,)
    ).fetchall()
    db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (match,)).fetchone()
    for facet in ("kind", "member", "year", "language"):
        db.execute(
            f"SELECT {facet}, count(*) FROM docs WHERE rowid IN "
            f"(SELECT rowid FROM fts WHERE fts MATCH ?) GROUP BY {facet}",
            (match,),
        ).fetchall()


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50={q[49]:6.1f} ms  p95={q[94]:6.1f} ms  max={max(values):6.1f} ms"


async def main_async(size: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="stinet-engines-"))
    index = TantivyIndex(work / "tantivy")
    await index.open()
    started = time.perf_counter()
    batch = []
    for record in corpus(size):
        batch.append(record)
        if len(batch) == 500:
            await index.upsert(batch)
            batch = []
    await index.upsert(batch)
    print(f"tantivy  indexing {size / (time.perf_counter() - started):8,.0f} records/s")
    db, rate = build_fts(work / "fts.sqlite", size)
    print(f"FTS5     indexing {rate:8,.0f} records/s")
    timings: dict[str, list[float]] = {"tantivy": [], "FTS5": []}
    # Every query once: distinct queries, so no cache helps either engine.
    rng = random.Random(11)
    queries = list(dict.fromkeys([*QUERIES, *(typed_query(rng) for _ in range(400))]))[:200]
    for q in queries:
        if not fold_words(q):
            continue
        t = time.perf_counter()
        await index.search(SearchQuery(q=q))
        timings["tantivy"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        fts_query(db, q)
        timings["FTS5"].append((time.perf_counter() - t) * 1000)
    for name, values in timings.items():
        print(f"{name:8s} search+facets  {percentiles(values)}  ({len(values)} queries)")
    await index.close()
    db.close()
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    asyncio.run(main_async(parser.parse_args().records))


if __name__ == "__main__":
    main()
