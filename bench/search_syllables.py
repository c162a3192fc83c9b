"""Search latency when every query word is a common term (issue 15's workload).

Vietnamese words are built from a few thousand syllables, so in an S&T catalogue almost
every query word ("nghiên", "cứu", "công", "nghệ", "hải", "phòng") matches a large share of
the records. This corpus is made of about 80 such words only: titles of 6–12, descriptions
of 40–120, three subjects, a year in 1995–2026, one creator, the five kinds in realistic
proportions. Queries are 1–3 of those words, typed with and without tone marks; 30 % with a
kind filter, 20 % with a year range, 10 % with a member filter, 10 % sorted by newest;
facets on, 20 hits a page. Suggest: the 2–6 first letters of a vocabulary word.

For each size, the index is built (through the rebuild path: committed every 10,000), then
the real search service is started on it (``bench.search_latency.search_service``) and 8
keep-alive HTTP clients run for 15 s per endpoint. Printed: p50/p95/p99, requests/s, the
service's CPU per request, its RSS; then the issue's targets, each "met" or "not met".

    .venv/bin/python -m bench.search_syllables [--records 10000 100000 [1000000]]
        [--data-dir DIR] [--seconds 15] [--py-spy]

``--data-dir``: keep the index of each size in ``DIR/<size>/`` and reuse it next time.
``--py-spy``: record the service during the search measurement of each size (py-spy must be
installed: ``.venv/bin/pip install py-spy``) into ``profile-<size>.txt`` (collapsed stacks)
in ``DIR`` (or the temporary directory) and print its top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.search_corpus import CREATORS, MEMBERS, START
from bench.search_latency import (
    CLIENTS,
    cpu_seconds,
    load_average,
    rss_bytes,
    run_clients_for,
    search_service,
)
from services.search.adapters.tantivy_index import TantivyIndex
from shared.records import Record
from shared.text import fold

# Common syllables and words of Vietnamese S&T writing (and of Hải Phòng's): each one
# matches a large share of the corpus, which is the point.
VOCABULARY = [
    "nghiên cứu",
    "ứng dụng",
    "công nghệ",
    "thông tin",
    "khoa học",
    "hải phòng",
    "đại học",
    "hàng hải",
    "y dược",
    "thủy sản",
    "môi trường biển",
    "cảng",
    "logistics",
    "phát triển",
    "kinh tế",
    "quản lý",
    "giải pháp",
    "đánh giá",
    "hệ thống",
    "mô hình",
    "dữ liệu",
    "cơ sở",
    "giáo dục",
    "đào tạo",
    "nguồn nhân lực",
    "chất lượng",
    "sản xuất",
    "nông nghiệp",
    "công nghiệp",
    "năng lượng",
    "tái tạo",
    "điện",
    "nước",
    "biển",
    "đảo",
    "ven biển",
    "vận tải",
    "tàu",
    "đóng tàu",
    "container",
    "chuỗi cung ứng",
    "số hóa",
    "chuyển đổi số",
    "trí tuệ nhân tạo",
    "an toàn",
    "sức khỏe",
    "bệnh viện",
    "y tế",
    "dược liệu",
    "sinh học",
    "hóa học",
    "vật liệu",
    "xây dựng",
    "đô thị",
    "quy hoạch",
    "giao thông",
    "du lịch",
    "văn hóa",
    "lịch sử",
    "xã hội",
    "pháp luật",
    "chính sách",
    "tài chính",
    "ngân hàng",
    "doanh nghiệp",
    "thị trường",
    "xuất khẩu",
    "khí hậu",
    "biến đổi",
    "tài nguyên",
    "rừng ngập mặn",
    "nuôi trồng",
    "chế biến",
    "thực phẩm",
    "cộng đồng",
    "thư viện",
    "tạp chí",
    "hội thảo",
    "việt nam",
    "thành phố",
]
# A network of libraries and research centres: mostly publications.
KIND_WEIGHTS = {"publication": 70, "database": 10, "website": 8, "service": 5, "training": 7}
YEARS = (1995, 2026)
SECONDS = 15.0
WARM_UP_SECONDS = 3.0
PER_PAGE = 20

GiB = 1024**3


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(low, high)))


def make_record(n: int, rng: random.Random) -> Record:
    """The n-th record of the corpus (same seed, same record)."""
    member = rng.choice(MEMBERS)
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    title = _words(rng, 6, 12)
    extra: dict[str, object] = {}
    if kind == "training":
        begins = START + timedelta(days=rng.randrange(2000))
        extra = {"starts_at": begins, "ends_at": begins + timedelta(days=2), "location": "HP"}
    return Record(
        id=f"{member}:s{n}",
        member=member,
        local_id=f"s{n}",
        kind=kind,  # type: ignore[arg-type]
        title=title[:1].upper() + title[1:],
        description=_words(rng, 40, 120).capitalize() + ".",
        creators=[rng.choice(CREATORS)],
        subjects=[s[:1].upper() + s[1:] for s in rng.sample(VOCABULARY, 3)],
        language="vi",
        year=rng.randint(*YEARS),
        version=1,
        created_at=START,
        updated_at=START + timedelta(minutes=n),
        content_hash=f"syllables-{n}",
        **extra,  # type: ignore[arg-type]
    )


def corpus(size: int, seed: int = 15) -> Iterator[Record]:
    rng = random.Random(seed)
    for n in range(size):
        yield make_record(n, rng)


def search_path(rng: random.Random) -> str:
    """1–3 vocabulary words, half without marks; filters and sort as the issue says."""
    text = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 3)))
    params: dict[str, str | int] = {
        "q": fold(text) if rng.random() < 0.5 else text,
        "per_page": PER_PAGE,
    }
    if rng.random() < 0.3:
        params["kind"] = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    if rng.random() < 0.2:
        first = rng.randint(YEARS[0], YEARS[1] - 1)
        params["year_from"], params["year_to"] = first, rng.randint(first, YEARS[1])
    if rng.random() < 0.1:
        params["member"] = rng.choice(MEMBERS)
    if rng.random() < 0.1:
        params["sort"] = "newest"
    return "/v1/search?" + urllib.parse.urlencode(params)


def suggest_path(rng: random.Random) -> str:
    """The 2–6 first letters of a vocabulary word, with or without its marks."""
    word = rng.choice(VOCABULARY)
    word = fold(word) if rng.random() < 0.5 else word
    return "/v1/suggest?" + urllib.parse.urlencode({"q": word[: rng.randint(2, 6)]})


async def build(data_dir: Path, size: int) -> float:
    """Index the corpus through the rebuild path (committed every 10,000); records/s."""
    index = TantivyIndex(data_dir)
    await index.open()
    started = time.perf_counter()
    await index.begin_rebuild()
    batch: list[Record] = []
    for record in corpus(size):
        batch.append(record)
        if len(batch) == 500:
            await index.add_to_rebuild(batch)
            batch = []
    if batch:
        await index.add_to_rebuild(batch)
    await index.finish_rebuild()
    elapsed = time.perf_counter() - started
    assert await index.count() == size
    await index.close()
    return size / elapsed


async def indexed(data_dir: Path) -> int:
    """How many records the index in ``data_dir`` holds, as this code's schema reads it."""
    index = TantivyIndex(data_dir)
    await index.open()
    try:
        return await index.count()
    finally:
        await index.close()


def http_get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        body: bytes = response.read()
        return body


@dataclass
class Measured:
    name: str
    latencies: list[float]
    seconds: float
    cpu: float

    def quantile(self, percent: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[percent - 1]

    def line(self) -> str:
        n = len(self.latencies)
        return (
            f"{self.name:12s} n={n:6d}  p50={self.quantile(50):6.1f} ms  "
            f"p95={self.quantile(95):6.1f} ms  p99={self.quantile(99):6.1f} ms  "
            f"{n / self.seconds:5.0f} req/s  service CPU={self.cpu * 1000 / n:5.2f} ms/request"
        )


def measure(
    pid: int, port: int, name: str, make_path: Callable[[], str], seconds: float
) -> Measured:
    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    latencies = run_clients_for(port, make_path, seconds)
    return Measured(name, latencies, time.perf_counter() - started, cpu_seconds(pid) - cpu_before)


def start_profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        raise SystemExit("--py-spy: install it first (.venv/bin/pip install py-spy)")
    argv = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate"]
    argv += ["200", "--nonblocking", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def print_profile(path: Path, top: int = 15) -> None:
    """Where the samples are: our functions (inclusive) and the lines they were on (self).

    Samples are wall time of threads not idle, so a native call that released the GIL and
    waits to take it back counts on its line: that wait is part of the latency.
    """
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = stack.split(";")
        own[frames[-1]] += samples
        for frame in {f for f in frames if "services/" in f or "shared/" in f}:
            inclusive[frame.split(" (")[0]] += samples
    print(f"profile: {path} ({total} samples)")
    for title, counts in (("inclusive, our code", inclusive), ("self, by line", own)):
        print(f"  {title}:")
        for frame, samples in counts.most_common(top):
            print(f"  {samples * 100 / total:5.1f} %  {frame}")


def run_size(
    size: int, data_dir: Path, work: Path, seconds: float, profile: Path | None
) -> dict[str, float]:
    if asyncio.run(indexed(data_dir)) == size:
        print(f"\n{size:,} records: reusing the index in {data_dir}")
    else:  # none yet, or one of another size or schema (this code opened it empty)
        print(f"\n{size:,} records: indexing into {data_dir} …")
        print(f"indexing     {asyncio.run(build(data_dir, size)):,.0f} records/s (rebuild path)")
    with search_service(data_dir, work) as (port, process):
        assert process.process is not None
        served = json.loads(http_get(port, "/v1/search?per_page=1"))["total"]
        if served != size:  # measuring an empty index would print every target "met"
            raise SystemExit(f"the service serves {served:,} records, not {size:,}")
        pid = process.process.pid
        rng = random.Random(size)
        run_clients_for(port, lambda: search_path(rng), WARM_UP_SECONDS)
        run_clients_for(port, lambda: suggest_path(rng), WARM_UP_SECONDS)
        out = profile / f"profile-{size}.txt" if profile else None
        spy = start_profile(pid, seconds, out) if out else None
        search = measure(pid, port, "/v1/search", lambda: search_path(rng), seconds)
        if spy is not None:
            spy.wait(30)
        suggest = measure(pid, port, "/v1/suggest", lambda: suggest_path(rng), seconds)
        rss, peak = rss_bytes(pid)
    print(search.line())
    print(suggest.line())
    print(
        f"search RSS   {rss / 2**20:,.0f} MiB (peak {peak / 2**20:,.0f} MiB)  load={load_average()}"
    )
    if out is not None:
        print_profile(out)
    return {
        "search_p95": search.quantile(95),
        "search_p99": search.quantile(99),
        "suggest_p95": suggest.quantile(95),
        "rss": float(peak),
    }


def targets(figures: dict[int, dict[str, float]]) -> None:
    """The issue's targets for the sizes measured, each met or not."""
    checks = [
        (100_000, "search_p95", 30.0, "/v1/search p95 <= 30 ms at 100k", 1.0),
        (100_000, "search_p99", 60.0, "/v1/search p99 <= 60 ms at 100k", 1.0),
        (1_000_000, "search_p95", 100.0, "/v1/search p95 <= 100 ms at 1M", 1.0),
        (1_000_000, "rss", 2.0, "search RSS <= 2 GiB at 1M", GiB),
    ]
    print("\ntargets (issue 15):")
    for size, key, limit, label, unit in checks:
        if size not in figures:
            print(f"  {label:40s} not measured (add --records {size})")
            continue
        value = figures[size][key] / unit
        verdict = "met" if value <= limit else "not met"
        print(f"  {label:40s} {value:7.2f}  {verdict}")
    for size, found in sorted(figures.items()):
        verdict = "met" if found["suggest_p95"] <= 10.0 else "not met"
        label = f"/v1/suggest p95 <= 10 ms at {size:,}"
        print(f"  {label:40s} {found['suggest_p95']:7.2f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--data-dir", type=Path, help="keep (and reuse) each size's index here")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per measurement")
    parser.add_argument("--py-spy", action="store_true", help="profile the search measurement")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stinet-syllables-"))
    root = args.data_dir or work / "data"
    print(
        f"{CLIENTS} clients, {args.seconds:.0f} s per measurement, vocabulary of {len(VOCABULARY)}"
    )
    figures: dict[int, dict[str, float]] = {}
    try:
        for size in args.records:
            profile = (args.data_dir or Path(tempfile.gettempdir())) if args.py_spy else None
            figures[size] = run_size(size, root / str(size), work, args.seconds, profile)
        targets(figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
