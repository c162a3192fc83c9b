"""Search latency over HTTP: 100,000 records, 8 concurrent clients, the embedded engine.

Builds the corpus (``bench.search_corpus``), indexes it through ``TantivyIndex.upsert`` in
batches of 500 (the consumer's path) and prints the indexing throughput; then starts the
real search service (``python -m services.search``, with SecantusDB and RabbitMQ) on that
index and measures ``/v1/search`` and ``/v1/suggest`` p50/p95/p99 with 8 keep-alive clients.

    .venv/bin/python -m bench.search_latency [--records 100000] [--requests 2000] [--gzip]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from bench.search_corpus import (
    MEMBERS,
    PHRASES,
    PLACES,
    QUERIES,
    SUBJECTS,
    SUGGEST_PREFIXES,
    corpus,
)
from devstack.processes import (
    ManagedProcess,
    free_port,
    http_ok,
    port_answers,
    secantus_process,
    service_process,
)
from services.search.adapters.tantivy_index import TantivyIndex
from shared.config import Settings
from shared.records import Record
from shared.text import fold
from shared.topology import delete_topology

CLIENTS = 8
BATCH = 500


async def build_index(data_dir: Path, size: int, records: Iterable[Record] | None = None) -> float:
    """Index ``size`` records (``corpus`` unless given) in batches of 500; records per second."""
    index = TantivyIndex(data_dir)
    await index.open()
    started = time.perf_counter()
    batch = []
    for record in corpus(size) if records is None else records:
        batch.append(record)
        if len(batch) == BATCH:
            await index.upsert(batch)
            batch = []
    if batch:
        await index.upsert(batch)
    elapsed = time.perf_counter() - started
    assert await index.count() == size
    await index.close()
    return size / elapsed


def typed_query(rng: random.Random) -> str:
    """What people type: part of a topic, often without marks, sometimes with a place."""
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(QUERIES)
    words = rng.choice(PHRASES + SUBJECTS).split()
    start = rng.randrange(len(words))
    text = " ".join(words[start : start + rng.randint(1, 3)])
    if rng.random() < 0.2:
        text += " " + rng.choice(PLACES).split()[-1]
    return fold(text) if rng.random() < 0.6 else text


def typed_prefix(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(SUGGEST_PREFIXES)
    text = fold(rng.choice(PHRASES + SUBJECTS))
    return text[: rng.randint(2, min(len(text), 14))]


def search_paths(rng: random.Random, n: int) -> list[str]:
    """A realistic mix: plain queries, some filtered, sorted or paged, a few facet-only."""
    paths = []
    for _ in range(n):
        params: dict[str, str | int] = {"q": typed_query(rng)}
        roll = rng.random()
        if roll < 0.2:
            params["kind"] = rng.choice(["publication", "database", "website"])
        elif roll < 0.35:
            params["member"] = rng.choice(MEMBERS)
        elif roll < 0.45:
            params["year_from"], params["year_to"] = 2000, 2020
        elif roll < 0.5:
            params["q"] = ""
        if rng.random() < 0.1:
            params["sort"] = rng.choice(["newest", "title"])
        if rng.random() < 0.15:
            params["page"] = rng.randint(2, 5)
        paths.append("/v1/search?" + urllib.parse.urlencode(params))
    return paths


def suggest_paths(rng: random.Random, n: int) -> list[str]:
    return ["/v1/suggest?" + urllib.parse.urlencode({"q": typed_prefix(rng)}) for _ in range(n)]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response (``Content-Length`` or chunked body): status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = head.lower()
    marker = headers.find(b"\r\ncontent-length:")
    if marker >= 0:
        end = headers.index(b"\r\n", marker + 2)
        return status, await reader.readexactly(int(headers[marker + 17 : end]))
    body = bytearray()
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return status, bytes(body)


async def _clients(port: int, next_path: Callable[[], str | None], headers: str) -> list[float]:
    latencies: list[float] = []

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (path := next_path()) is not None:
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench{headers}\r\n\r\n".encode())
            status, body = await _read_response(reader)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{path}: {status} {body[:200]!r}")
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies


def run_clients(port: int, paths: list[str], *, gzip: bool = False) -> list[float]:
    """``CLIENTS`` keep-alive HTTP/1.1 connections (closed loop) share the list of requests.

    A lean client (raw asyncio streams, one thread) so that the two cores the client shares
    with the service go to the service; its own CPU time is reported beside the service's.
    """
    headers = "\r\nAccept-Encoding: gzip" if gzip else ""
    queue = list(reversed(paths))
    return asyncio.run(_clients(port, lambda: queue.pop() if queue else None, headers))


def run_clients_for(port: int, make_path: Callable[[], str], seconds: float) -> list[float]:
    """Like ``run_clients``, for ``seconds``: each client sends ``make_path()`` until then."""
    deadline = time.perf_counter() + seconds
    return asyncio.run(
        _clients(port, lambda: make_path() if time.perf_counter() < deadline else None, "")
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> tuple[int, int]:
    """Resident memory of a process now and at its peak (``VmRSS``, ``VmHWM``), in bytes."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[name].split()[0]) * 1024 for name in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def report(name: str, latencies: list[float], wall: float, cpu: float, client_cpu: float) -> None:
    q = statistics.quantiles(latencies, n=100)
    n = len(latencies)
    print(
        f"{name:12s} n={n:5d}  p50={q[49]:6.1f} ms  p95={q[94]:6.1f} ms  "
        f"p99={q[98]:6.1f} ms  throughput={n / wall:5.0f} req/s  "
        f"service CPU={cpu * 1000 / n:5.2f} ms/request  "
        f"client CPU={client_cpu * 1000 / n:4.2f} ms/request  load={load_average()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--data-dir", type=Path, help="reuse the index built by an earlier run in this directory"
    )
    parser.add_argument(
        "--gzip", action="store_true", help="send Accept-Encoding: gzip (compressed answers)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stinet-search-bench-"))
    data_dir = args.data_dir or work / "data"
    if args.data_dir and (data_dir / "search" / "records" / "CURRENT").exists():
        print(f"Reusing the index in {data_dir}")
    else:
        print(f"Indexing {args.records:,} records (batches of {BATCH}) into {data_dir} …")
        rate = asyncio.run(build_index(data_dir, args.records))
        print(f"indexing     {rate:,.0f} records/s (batches of {BATCH}, each committed)")

    try:
        with search_service(data_dir, work) as (search_port, search):
            rng = random.Random(7)
            run_clients(search_port, search_paths(rng, 200) + suggest_paths(rng, 200))  # warm-up
            for name, paths in (
                ("/v1/search", search_paths(rng, args.requests)),
                ("/v1/suggest", suggest_paths(rng, args.requests)),
            ):
                assert search.process is not None
                cpu_before, started = cpu_seconds(search.process.pid), time.perf_counter()
                client_before = time.process_time()
                latencies = run_clients(search_port, paths, gzip=args.gzip)
                client_cpu = time.process_time() - client_before
                cpu = cpu_seconds(search.process.pid) - cpu_before
                report(name, latencies, time.perf_counter() - started, cpu, client_cpu)
            sample = http.client.HTTPConnection("127.0.0.1", search_port)
            sample.request("GET", "/v1/search?q=hai+phong&per_page=1")
            body = json.loads(sample.getresponse().read())
            print(f"sample: 'hai phong' → total={body['total']}, took_ms={body['took_ms']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)  # logs and, unless --data-dir, the index


@contextlib.contextmanager
def search_service(data_dir: Path, work: Path) -> Iterator[tuple[int, ManagedProcess]]:
    """The real search service (with SecantusDB, in a RabbitMQ namespace of its own) on the
    index in ``data_dir``: its port and process, stopped and cleaned up on exit."""
    mongo_port, search_port = free_port(), free_port()
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "MONGO_URL": f"mongodb://127.0.0.1:{mongo_port}/",
        "STINET_NAMESPACE": namespace,
        "STINET_DB": namespace.replace("-", "_"),
        "STINET_DATA_DIR": str(data_dir),
        "SEARCH_PORT": str(search_port),
        "STINET_ADMIN_KEY": uuid.uuid4().hex,
        "STINET_LOG_LEVEL": "WARNING",
    }
    env.pop("MEILI_URL", None)
    settings = Settings(stinet_namespace=namespace)
    mongo = secantus_process(port=mongo_port, storage=":memory:", log_path=work / "secantus.log")
    search = service_process("search", env, work / "search.log")
    try:
        mongo.start().wait_until(lambda: port_answers(mongo_port), timeout=60)
        search.start().wait_until(lambda: http_ok(f"http://127.0.0.1:{search_port}/readyz"), 90)
        yield search_port, search
    finally:
        search.stop()
        mongo.stop()
        asyncio.run(delete_topology(settings))


if __name__ == "__main__":
    main()
