"""Provider throughput: records/s of a full ``ListRecords`` pass over the union catalogue.

Fills ``catalogue_records`` of a SecantusDB (in memory) with N records in the catalogue's
document shape, serves the provider router with uvicorn in its own process over real HTTP,
and follows the resumption tokens from the first page to the last (oai_dc, the default page
of 100). Also times ``ListIdentifiers`` and a ``set=member:<code>`` pass.

    .venv/bin/python -m bench.oai_provider [--records 20000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
from lxml import etree
from pymongo import MongoClient

from devstack.processes import free_port, http_ok, port_answers, secantus_process

O = "{http://www.openarchives.org/OAI/2.0/}"  # noqa: E741
MEMBERS = ("hpu", "vimaru", "hpmu", "ioc-hp", "lib-hp")


def fill(mongo_url: str, db_name: str, total: int) -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    kinds = ("database", "publication", "website", "service", "training")
    with MongoClient(mongo_url) as client:
        records = client[db_name]["catalogue_records"]
        batch = []
        for n in range(total):
            member = MEMBERS[n % len(MEMBERS)]
            when = t0 + timedelta(seconds=n // 3)
            batch.append(
                {
                    "_id": f"{member}:R{n:07d}",
                    "member": member,
                    "local_id": f"R{n:07d}",
                    "kind": kinds[n % 5],
                    "title": f"Nghiên cứu phát triển kinh tế biển Hải Phòng, tập {n}",
                    "description": f"Tóm tắt đề tài số {n}: hiện trạng và giải pháp.",
                    "creators": ["Nguyễn Văn An", "Trần Thị Bình"],
                    "subjects": ["Kinh tế biển", "Cảng biển"],
                    "publisher": "NXB Hàng hải",
                    "language": "vi",
                    "year": 2000 + n % 25,
                    "url": f"https://{member}.example.vn/r/{n}",
                    "identifiers": {},
                    "status": "withdrawn" if n % 50 == 0 else "active",
                    "version": 1,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            if len(batch) == 1000:
                records.insert_many(batch)
                batch = []
        if batch:
            records.insert_many(batch)


def serve(port: int, mongo_url: str, db_name: str) -> None:
    """The provider process: the router over the filled collection."""
    import uvicorn
    from fastapi import FastAPI

    from services.catalogue.adapters.oai_store import MongoOaiRecords
    from services.catalogue.bootstrap import oai_provider
    from services.catalogue.entrypoints import oai
    from services.catalogue.entrypoints.dependencies import OaiPorts
    from shared.config import Settings
    from shared.http import install_ports
    from shared.mongo import make_mongo_client, service_database

    settings = Settings(mongo_url=mongo_url, stinet_db=db_name)
    db = service_database(make_mongo_client(settings), settings)  # connects on first use

    app = FastAPI()
    app.include_router(oai.router)
    install_ports(app, OaiPorts(provider=oai_provider(settings, MongoOaiRecords(db))))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def list_all(base: str, verb: str, **params: str) -> tuple[int, int, float]:
    """(items, pages, seconds) of one full list request."""
    count = pages = 0
    started = time.perf_counter()
    with httpx2.Client(timeout=120) as http:
        query = {"verb": verb, "metadataPrefix": "oai_dc", **params}
        while True:
            root = etree.fromstring(http.get(base, params=query).content)
            body = root.find(f"{O}{verb}")
            if body is None:
                raise SystemExit(etree.tostring(root)[:500])
            pages += 1
            count += len(body) - (1 if body.find(f"{O}resumptionToken") is not None else 0)
            token = body.findtext(f"{O}resumptionToken")
            if not token:
                return count, pages, time.perf_counter() - started
            query = {"verb": verb, "resumptionToken": token}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return
    mongo_port, port = free_port(), free_port()
    log = Path(tempfile.mkdtemp()) / "secantus.log"
    mongo = secantus_process(port=mongo_port, storage=":memory:", log_path=log).start()
    provider = None
    try:
        mongo.wait_until(lambda: port_answers(mongo_port), timeout=60)
        mongo_url, db_name = f"mongodb://127.0.0.1:{mongo_port}/", f"bench_{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        fill(mongo_url, db_name, args.records)
        print(f"filled {args.records} records in {time.perf_counter() - started:.1f} s")
        provider = subprocess.Popen(
            [sys.executable, "-m", "bench.oai_provider", "--serve", str(port), mongo_url, db_name],
            env={**os.environ, "OAI_PAGE_SIZE": "100"},
        )
        deadline = time.monotonic() + 30
        base = f"http://127.0.0.1:{port}/oai"
        while not http_ok(f"{base}?verb=Identify"):
            if time.monotonic() > deadline:
                raise SystemExit("the provider did not start")
            time.sleep(0.1)
        for verb, params in (
            ("ListRecords", {}),
            ("ListIdentifiers", {}),
            ("ListRecords", {"set": "member:hpu"}),
        ):
            items, pages, seconds = list_all(base, verb, **params)
            print(
                f"{verb} {params or ''}: {items} items, {pages} pages in {seconds:.1f} s → "
                f"{items / seconds:,.0f} records/s, {seconds / pages * 1000:.0f} ms/page"
            )
    finally:
        if provider is not None:
            provider.terminate()
            provider.wait(10)
        mongo.stop()


if __name__ == "__main__":
    main()
