"""Sitemap generation at 1M records: time, peak memory of the serving process, and that it
streams (issue 17).

Indexing 1M full records through ``to_document`` runs at ~2,800 records/s (the
``search_latency`` figure): 6 minutes, over this bench's 3-minute budget. So the rows are
synthetic: documents with the fields the sitemap reads (id, status, ``newest``) written by
the adapter's own tantivy writer into a ``TantivyIndex`` directory of the real schema, the
store ``/sitemaps/{n}.xml`` reads through ``TantivyIndex.live_entries`` in production. 1 %
of them are withdrawn and must not be listed.

The sitemap routes then run in a separate uvicorn process (its RSS sampled every 20 ms, and
its kernel high-water mark read at the end); this process fetches ``/sitemap.xml`` and every
page over HTTP, streaming, parsing each page incrementally with lxml and checking that every
live record is listed exactly once.

    .venv/bin/python -m bench.sitemap [--records 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import orjson
import tantivy
from lxml import etree

from devstack.processes import free_port
from services.search.adapters.tantivy_index import TantivyIndex
from services.search.domain import NEWEST_YEAR_FACTOR
from services.search.sitemap import NAMESPACE
from shared.records import RecordStatus

URL_TAG = f"{{{NAMESPACE}}}url"
LOC_TAG = f"{{{NAMESPACE}}}loc"
FIRST_UPDATE = 1_577_836_800  # 2020-01-01 UTC


def synthetic_id(i: int) -> str:
    """Ids like members give them, one in ten with Vietnamese letters (percent-encoded)."""
    local = f"sách-{i:07d}" if i % 10 == 0 else f"tai-lieu/{i:07d}"
    return f"m{i % 40:02d}:{local}"


def build_index(data_dir: Path, records: int) -> int:
    """Write ``records`` synthetic documents; returns how many are live."""
    index = TantivyIndex(data_dir)
    asyncio.run(index.open())
    engine = index.engine
    live = 0
    for i in range(records):
        withdrawn = i % 100 == 0
        live += not withdrawn
        doc = tantivy.Document()
        record_id = synthetic_id(i)
        doc.add_text("id", record_id)
        doc.add_bytes("doc", orjson.dumps({"id": record_id}))
        doc.add_integer("version", 1)
        doc.add_text("kind", "publication")
        doc.add_text("member", record_id.split(":", 1)[0])
        doc.add_text("status", (RecordStatus.WITHDRAWN if withdrawn else RecordStatus.ACTIVE).value)
        year = 1990 + i % 37
        updated = FIRST_UPDATE + (i * 7919) % 200_000_000  # 2020 to 2026
        doc.add_integer("newest", year * NEWEST_YEAR_FACTOR + updated)
        engine.writer.add_document(doc)
    engine.commit()
    asyncio.run(index.close())
    return live


def serve(data_dir: Path, port: int) -> None:
    """The sitemap routes over the index in ``data_dir`` (run in the child process)."""
    import uvicorn
    from fastapi import FastAPI

    from services.search.entrypoints import discovery
    from services.search.entrypoints.dependencies import SitemapPorts
    from shared.config import Settings
    from shared.http import install_error_handlers, install_ports

    index = TantivyIndex(data_dir)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await index.open()
        yield
        await index.close()

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    settings = Settings(stinet_data_dir=data_dir, meili_url=None)
    app.include_router(discovery.sitemap_router)
    install_ports(app, SitemapPorts(settings=settings, live=index))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


class PageReport:
    def __init__(self) -> None:
        self.urls = 0
        self.bytes = 0
        self.chunks = 0
        self.first_url = 0.0
        self.seconds = 0.0


def fetch_page(client: httpx2.Client, url: str, seen: set[int]) -> PageReport:
    """Stream one page, parse it as it arrives, count its URLs and remember them."""
    report = PageReport()
    parser = etree.XMLPullParser(events=("end",), tag=URL_TAG)
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            report.chunks += 1
            report.bytes += len(chunk)
            parser.feed(chunk)
            for _, element in parser.read_events():
                if not report.urls:
                    report.first_url = time.perf_counter() - started
                seen.add(hash(element.findtext(LOC_TAG)))
                report.urls += 1
                element.clear()
    parser.close()
    report.seconds = time.perf_counter() - started
    return report


def wait_until_up(client: httpx2.Client, base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the sitemap server exited")
        try:
            client.get(f"{base}/robots.txt").raise_for_status()
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise TimeoutError("the sitemap server did not answer")


def _span(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    return f"{min(values) * scale:.{digits}f}–{max(values) * scale:.{digits}f}"


def measure(data_dir: Path, live: int, records: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "bench.sitemap", "--serve", str(data_dir), "--port", str(port)]
    process = subprocess.Popen(command)
    try:
        with httpx2.Client(timeout=120) as client:
            wait_until_up(client, base, process)
            before = _status_kb(process.pid, "VmRSS")
            anon_before = _status_kb(process.pid, "RssAnon")
            peak, anon_peak = before, anon_before
            done = threading.Event()

            def sample() -> None:
                nonlocal peak, anon_peak
                while not done.is_set():
                    peak = max(peak, _status_kb(process.pid, "VmRSS"))
                    anon_peak = max(anon_peak, _status_kb(process.pid, "RssAnon"))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            index = etree.fromstring(client.get(f"{base}/sitemap.xml").content)
            pages = [e.text for e in index.iter(LOC_TAG)]
            seen: set[int] = set()
            reports = [fetch_page(client, page or "", seen) for page in pages]
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
            hwm = _status_kb(process.pid, "VmHWM")
    finally:
        process.terminate()
        process.wait(timeout=30)
    listed = sum(r.urls for r in reports)
    total_bytes = sum(r.bytes for r in reports)
    assert listed == live == len(seen), (listed, live, len(seen))
    assert all(r.urls <= 50_000 for r in reports)
    print(
        f"sitemap of {live:,} live records: index + {len(pages)} pages in {elapsed:.1f} s "
        f"({live / elapsed:,.0f} URLs/s), {total_bytes / 2**20:.0f} MB of XML"
    )
    first = _span([r.first_url for r in reports], 1000)
    whole = _span([r.seconds for r in reports], digits=2)
    chunks = _span([float(r.chunks) for r in reports])
    print(f"  per page: first URL parsed after {first} ms, whole page {whole} s, {chunks} chunks")
    print(
        f"  server RSS before {before / 1024:.0f} MB, peak sampled {peak / 1024:.0f} MB, "
        f"VmHWM {hwm / 1024:.0f} MB; of it anonymous (heap, not the index's mapped files) "
        f"{anon_before / 1024:.0f} → peak {anon_peak / 1024:.0f} MB "
        f"(the largest page is {max(r.bytes for r in reports) / 2**20:.1f} MB of XML)"
    )
    print(f"  every live record listed once, the {records - live:,} withdrawn ones left out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="bench-sitemap-"))
    try:
        started = time.perf_counter()
        live = build_index(data_dir, args.records)
        print(
            f"wrote {args.records:,} synthetic documents ({live:,} live) into the tantivy index "
            f"in {time.perf_counter() - started:.1f} s"
        )
        measure(data_dir, live, args.records)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
