"""Harvest rate: records/s our harvester takes from a local OAI-PMH endpoint of 50,000 records.

The endpoint is its own process (``--serve``): DSpace-shaped oai_dc pages of 100 records,
generated on the fly, with resumption tokens. The harvester is built as ingest builds it
(``build_harvest``) over a SecantusDB (sources, runs, lease); its ``submit`` counts the items
and drops them, so the figure is the harvester's own cost: HTTP, hardened XML parsing, oai_dc
mapping, ``RecordIn`` validation, batching, and the per-page run bookkeeping in Mongo.
The peak RSS is printed to show that memory does not grow with the harvest.

    .venv/bin/python -m bench.oai_harvest [--records 50000] [--page 100]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx2

from devstack.processes import free_port, http_ok, port_answers, secantus_process
from services.ingest.adapters.harvest_store import MongoHarvestStore
from services.ingest.bootstrap import build_harvest
from services.ingest.entrypoints import harvest as harvest_routes
from services.ingest.harvest.config import HarvestSettings
from shared.audit import MongoAuditLog, install_audit
from shared.auth import Authenticator, MongoRevokedKeys, SessionSigner, install_authenticator
from shared.config import Settings
from shared.http import install_error_handlers, install_ports
from shared.mongo import make_mongo_client, service_database

OAI = "http://www.openarchives.org/OAI/2.0/"
DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"


def _record(n: int) -> str:
    title = escape(f"Nghiên cứu phát triển kinh tế biển Hải Phòng, tập {n}")
    return (
        f"<record><header><identifier>oai:bench.example.vn:123456789/{n}</identifier>"
        f"<datestamp>2024-01-01T00:00:00Z</datestamp><setSpec>col_1</setSpec></header>"
        f'<metadata><oai_dc:dc xmlns:oai_dc="{DC}" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{title}</dc:title><dc:creator>Nguyễn Văn An</dc:creator>"
        f"<dc:creator>Trần Thị Bình</dc:creator><dc:subject>Kinh tế biển</dc:subject>"
        f"<dc:subject>Cảng biển</dc:subject><dc:description>Tóm tắt đề tài số {n}: "
        f"đánh giá hiện trạng và đề xuất giải pháp.</dc:description>"
        f"<dc:date>2024-01-01T00:00:00Z</dc:date><dc:date>{2000 + n % 25}</dc:date>"
        f"<dc:type>Article</dc:type><dc:identifier>http://bench.example.vn/handle/1/{n}"
        f"</dc:identifier><dc:language>vi</dc:language><dc:publisher>NXB Hàng hải"
        f"</dc:publisher></oai_dc:dc></metadata></record>"
    )


def serve(port: int, total: int, page: int) -> None:
    """The endpoint process: Identify, ListMetadataFormats, ListRecords with tokens."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def envelope(inner: str) -> Response:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI}">'
            f"<responseDate>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}</responseDate>"
            f"<request>http://bench.example.vn/oai</request>{inner}</OAI-PMH>"
        )
        return Response(body.encode(), media_type="text/xml")

    async def oai(request: Request) -> Response:
        verb = request.query_params.get("verb")
        if verb == "Identify":
            return envelope(
                "<Identify><repositoryName>bench</repositoryName><baseURL>x</baseURL>"
                "<protocolVersion>2.0</protocolVersion><adminEmail>a@b.vn</adminEmail>"
                "<earliestDatestamp>2024-01-01T00:00:00Z</earliestDatestamp>"
                "<deletedRecord>persistent</deletedRecord>"
                "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>"
            )
        if verb == "ListMetadataFormats":
            return envelope(
                "<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
                f"<schema>x</schema><metadataNamespace>{DC}</metadataNamespace></metadataFormat>"
                "</ListMetadataFormats>"
            )
        start = int(request.query_params.get("resumptionToken") or 0)
        end = min(start + page, total)
        records = "".join(_record(n) for n in range(start, end))
        token = str(end) if end < total else ""
        return envelope(
            f"<ListRecords>{records}<resumptionToken cursor='{start}'>{token}"
            "</resumptionToken></ListRecords>"
        )

    app = Starlette(routes=[Route("/oai", oai)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class CountingSubmit:
    def __init__(self) -> None:
        self.items = 0
        self.calls = 0

    async def __call__(self, *, member: str, items: list[Any], source: Any, **_: Any) -> str:
        self.items += len(items)
        self.calls += 1
        return f"s{self.calls}"


async def harvest(base_url: str, mongo_url: str) -> tuple[int, float, dict[str, Any]]:
    settings = Settings(
        mongo_url=mongo_url,
        stinet_db=f"bench_oai_{uuid.uuid4().hex[:8]}",
        stinet_admin_key="bench",
        harvest_allow_private_networks=True,
    )
    client = make_mongo_client(settings)
    db = service_database(client, settings)
    submit = CountingSubmit()
    component = build_harvest(
        settings=settings,
        store=MongoHarvestStore(db),
        submit=submit,
        harvest_settings=HarvestSettings(run_timeout_seconds=3600),
    )
    from fastapi import FastAPI

    app = FastAPI()
    install_error_handlers(app)
    authenticator = Authenticator(
        root_key="bench",
        signer=SessionSigner(secrets.token_bytes(32)),
        revoked=MongoRevokedKeys(db, "ingest"),
    )
    install_authenticator(app, authenticator)
    install_audit(app, MongoAuditLog(db, "ingest"), "ingest")  # as ingest's bootstrap
    app.include_router(harvest_routes.router)
    install_ports(app, component.routes)
    admin = {"Authorization": "Bearer bench"}
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://i", timeout=3600) as api:
        created = await api.post(
            "/v1/harvest-sources",
            json={"member": "bench", "base_url": base_url, "schedule": "manual"},
            headers=admin,
        )
        source_id = created.json()["id"]
        started = time.perf_counter()
        ran = await api.post(f"/v1/harvest-sources/{source_id}/run?wait=true", headers=admin)
        elapsed = time.perf_counter() - started
    await component.stop()
    await client.drop_database(settings.stinet_db)
    await client.close()
    return submit.items, elapsed, ran.json()["source"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.records, args.page)
        return
    port, mongo_port = free_port(), free_port()
    endpoint = subprocess.Popen(
        [sys.executable, "-m", "bench.oai_harvest", "--serve", str(port),
         "--records", str(args.records), "--page", str(args.page)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    log = Path(tempfile.mkdtemp()) / "secantus.log"
    mongo = secantus_process(port=mongo_port, storage=":memory:", log_path=log).start()
    try:
        mongo.wait_until(lambda: port_answers(mongo_port), timeout=60)
        deadline = time.monotonic() + 30
        while not http_ok(f"http://127.0.0.1:{port}/oai?verb=Identify"):
            if time.monotonic() > deadline:
                raise SystemExit("the endpoint did not start")
            time.sleep(0.1)
        items, elapsed, source = asyncio.run(
            harvest(f"http://127.0.0.1:{port}/oai", f"mongodb://127.0.0.1:{mongo_port}/")
        )
    finally:
        endpoint.terminate()
        endpoint.wait(10)
        mongo.stop()
    counts = source["last_run"]["counts"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"state={source['state']} error={source['last_error']} counts={counts}")
    print(f"harvested {items} records in {elapsed:.1f} s ({args.page} per page)")
    print(
        f"harvest rate: {items / elapsed:,.0f} records/s; "
        f"peak RSS of the harvester {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
