"""The analytics write path's cost per search (issue 17): ``/v1/search`` p95 with and without
it, in the same run, on the same index.

One server process (uvicorn) serves two copies of the search API over one tantivy index:
``/with/v1/search`` counts every search (``MongoSearchAnalytics``: buffered, flushed every
2 s to SecantusDB) and ``/without/v1/search`` counts nothing. Every query is asked of both
once first (the engine's answer cache then serves both alike); then 8 keep-alive clients
alternate rounds between the two, so the machine's load falls on both the same.

    .venv/bin/python -m bench.analytics_cost [--records 20000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bench.search_latency import build_index, run_clients, search_paths
from devstack.processes import free_port, http_ok, port_answers, secantus_process

ROUNDS = 8


def serve(data_dir: Path, port: int, mongo_url: str) -> None:
    """The server side: two API copies, with and without analytics, on one index."""
    import uvicorn
    from fastapi import FastAPI

    from services.search.adapters.analytics import MongoSearchAnalytics
    from services.search.adapters.mongo import MongoMemberDirectory
    from services.search.adapters.tantivy_index import TantivyIndex
    from services.search.entrypoints import http
    from services.search.entrypoints.dependencies import ApiPorts
    from services.search.handlers import Rebuilds
    from services.search.ports import RecordPage
    from shared.config import Settings
    from shared.http import install_error_handlers, install_ports
    from shared.mongo import make_mongo_client, service_database

    settings = Settings(mongo_url=mongo_url, stinet_db="bench_analytics")
    index = TantivyIndex(data_dir)
    mongo = make_mongo_client(settings)
    db = service_database(mongo, settings)
    analytics = MongoSearchAnalytics(db)

    class NoSource:
        async def page(self, *, after: str | None, limit: int) -> RecordPage:
            raise RuntimeError("not in this bench")

    class NoVisits:  # the API's one use of the visit counter, left out as before
        def record_search(self) -> None:
            pass

    def api(counting: bool) -> FastAPI:
        sub = FastAPI()
        install_error_handlers(sub)
        sub.include_router(http.router)
        install_ports(
            sub,
            ApiPorts(
                settings=settings,
                index=index,
                members=MongoMemberDirectory(db),
                rebuilds=Rebuilds(index=index, source=NoSource()),
                visits=NoVisits(),  # type: ignore[arg-type]
                analytics=analytics if counting else None,
            ),
        )
        return sub

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await index.open()
        await analytics.start()
        yield
        await analytics.stop()
        await index.close()
        await mongo.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/with", api(True))
    app.mount("/without", api(False))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def line(name: str, latencies: list[float]) -> str:
    ms = latencies  # run_clients measures in milliseconds
    return (
        f"{name:<18} n={len(ms):>5}  p50 {statistics.median(ms):6.2f}  "
        f"p95 {percentile(ms, 0.95):6.2f}  p99 {percentile(ms, 0.99):6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000, help="per variant")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stinet-analytics-bench-"))
    data_dir = work / "data"
    print(f"Indexing {args.records:,} records into {data_dir} …")
    asyncio.run(build_index(data_dir, args.records))
    mongo_port, port = free_port(), free_port()
    mongo = secantus_process(port=mongo_port, storage=":memory:", log_path=work / "secantus.log")
    server: subprocess.Popen[bytes] | None = None
    try:
        mongo.start().wait_until(lambda: port_answers(mongo_port), timeout=60)
        argv = [sys.executable, "-m", "bench.analytics_cost", "--serve", str(data_dir)]
        argv += [str(port), f"mongodb://127.0.0.1:{mongo_port}/"]
        server = subprocess.Popen(argv, env=os.environ.copy())
        deadline = time.monotonic() + 60
        while not http_ok(f"http://127.0.0.1:{port}/healthz"):
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the bench server did not start")
            time.sleep(0.2)
        rng = random.Random(17)
        paths = search_paths(rng, args.requests)
        run_clients(port, ["/with" + p for p in paths] + ["/without" + p for p in paths])
        measured: dict[str, list[float]] = {"with analytics": [], "without": []}
        size = -(-len(paths) // ROUNDS)
        for start in range(0, len(paths), size):
            chunk = paths[start : start + size]
            order = [("with analytics", "/with"), ("without", "/without")]
            if (start // size) % 2:
                order.reverse()
            for name, prefix in order:
                measured[name] += run_clients(port, [prefix + p for p in chunk])
        for name, latencies in measured.items():
            print(line(name, latencies))
        with_p95 = percentile(measured["with analytics"], 0.95)
        without_p95 = percentile(measured["without"], 0.95)
        print(f"p95 cost of the analytics write path: {with_p95 - without_p95:+.2f} ms")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        mongo.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        main()
