"""Did you mean on Meilisearch: what building the lexicon from the index's documents costs
(per 1,000 documents) and how much memory it holds at 100,000 documents (issue 17).

No Meilisearch server can run here (docs/operators/search.md §1): the adapter is driven against the
fake Meilisearch of the tests (``tests/search/meili/fake_server.py``), served by a separate
process holding synthetic live documents (Vietnamese-like titles and subjects drawn from
~4,000 syllables with a Zipf skew, one in twenty with a rare word). The wall time therefore
includes the fake's answers (Python, a filter scan per page), not Meilisearch's; the
adapter's own CPU (tally and ``Lexicon.build``) is measured apart on the same documents.

    .venv/bin/python -m bench.meili_lexicon [--records 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import time
import tracemalloc
import unicodedata
from collections.abc import Iterator
from typing import Any

from services.search.adapters.meili import LEXICON_BATCH, MeiliIndex, document_key
from services.search.spelling import VocabularyTally

UID = "bench-records"
ONSETS = [
    "",
    "b",
    "c",
    "ch",
    "d",
    "đ",
    "g",
    "gi",
    "h",
    "k",
    "kh",
    "l",
    "m",
    "n",
    "ng",
    "nh",
    "ph",
    "qu",
    "r",
    "s",
    "t",
    "th",
    "tr",
    "v",
    "x",
]
RHYMES = [
    "a",
    "an",
    "ang",
    "anh",
    "ao",
    "at",
    "ay",
    "e",
    "en",
    "em",
    "i",
    "inh",
    "o",
    "oi",
    "om",
    "on",
    "ong",
    "ô",
    "ôi",
    "ôm",
    "ông",
    "ơ",
    "ơi",
    "u",
    "uc",
    "ung",
    "ư",
    "ưa",
    "ương",
]
TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]


def syllables() -> list[str]:
    words = []
    for onset in ONSETS:
        for rhyme in RHYMES:
            for tone in TONES:
                words.append(unicodedata.normalize("NFC", onset + rhyme[0] + tone + rhyme[1:]))
    return words


def documents(count: int) -> Iterator[dict[str, Any]]:
    """Synthetic live documents with the fields the lexicon reads (seeded: reproducible)."""
    rng = random.Random(17)
    words = syllables()
    weights = [1 / (rank + 1) for rank in range(len(words))]
    for i in range(count):
        title = rng.choices(words, weights, k=rng.randint(6, 14))
        if i % 20 == 0:
            title.append(f"tên{i}")
        subjects = [" ".join(rng.choices(words, weights, k=rng.randint(2, 3))) for _ in range(2)]
        yield {
            "key": document_key(f"m{i % 40:02d}:{i}"),
            "id": f"m{i % 40:02d}:{i}",
            "status": "active",
            "title": " ".join(title).capitalize(),
            "subjects": subjects,
        }


async def serve(count: int) -> None:
    """The fake server, seeded with ``count`` documents; prints its URL, serves until killed."""
    from tests.search.meili.fake_server import FakeIndex, serve_fake_meili

    async with serve_fake_meili() as (url, fake):
        index = FakeIndex(primary_key="key")
        index.docs = {doc["key"]: doc for doc in documents(count)}
        fake.indexes[UID] = index
        print(url, flush=True)
        await asyncio.Event().wait()


async def build(url: str, *, traced: bool) -> tuple[float, int, int, int]:
    """One lexicon build through the adapter: seconds, fetches, words, traced peak bytes."""
    index = MeiliIndex(url=url, api_key=None, uid=UID)
    await index.open()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    tally = await index._tally_live_words()
    lexicon = await asyncio.to_thread(tally.lexicon)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    tracemalloc.stop()
    await index.close()
    fetches = -(-tally.records // LEXICON_BATCH) if tally.records else 1
    return elapsed, fetches, len(lexicon), peak


def local_cost(count: int) -> tuple[float, float, int]:
    """The adapter's own CPU on the same documents: tally seconds, build seconds, words."""
    docs = list(documents(count))
    started = time.perf_counter()
    tally = VocabularyTally()
    for doc in docs:
        tally.add(doc["title"], doc["subjects"])
    tallied = time.perf_counter()
    tally.lexicon()
    return tallied - started, time.perf_counter() - tallied, len(tally.counts)


def worst_case() -> None:
    """The bound: a tally full of distinct alphabetic words, and the lexicon built from it."""
    rng = random.Random(5)
    letters = "abcdeghiklmnopqrstuvxyăâđêôơư"
    tracemalloc.start()
    tally = VocabularyTally()
    while len(tally.counts) < tally.limit:
        tally.add(
            " ".join("".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(50)), []
        )
    tallied = tracemalloc.get_traced_memory()[0]
    lexicon = tally.lexicon()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del lexicon
    started = time.perf_counter()  # timed untraced
    lexicon = tally.lexicon()
    elapsed = time.perf_counter() - started
    print(
        f"worst case, {len(tally.counts):,} distinct words (the bound): "
        f"tally {tallied / 2**20:.0f} MiB, with the lexicon {held / 2**20:.0f} MiB "
        f"(peak {peak / 2**20:.0f} MiB), "
        f"Lexicon.build {elapsed:.1f} s, {len(lexicon):,} words"
    )


def run(count: int) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.meili_lexicon", "--serve", str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        elapsed, fetches, words, _ = asyncio.run(build(url, traced=False))
        _, _, _, peak = asyncio.run(build(url, traced=True))
    finally:
        server.terminate()
        server.wait(10)
    tally_s, build_s, distinct = local_cost(count)
    per_k = 1000 / count
    print(
        f"{count:>7,} documents: build {elapsed:.2f} s over {fetches} fetches of "
        f"{LEXICON_BATCH} (fake server included) = {elapsed * per_k * 1000:.1f} ms per 1,000; "
        f"adapter CPU {1000 * (tally_s + build_s) * per_k:.1f} ms per 1,000 "
        f"(tally {tally_s:.2f} s, Lexicon.build {build_s:.2f} s); "
        f"{distinct:,} distinct words, {words:,} in the lexicon; "
        f"traced peak {peak / 2**20:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return
    print("Did-you-mean lexicon on Meilisearch, driven against the FAKE Meilisearch server")
    print("(tests/search/meili/fake_server.py, a separate process): not a real server's cost.")
    for count in sorted({10_000, args.records}):
        run(count)
    worst_case()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process's peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
