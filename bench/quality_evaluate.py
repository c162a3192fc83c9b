"""Quality evaluation of N records: assessing them (shared.validation, what ingest and the
catalogue run per record) and reading the quality inbox and the network overview back from
the store (what ``GET /v1/members/{code}/quality`` and ``GET /v1/quality`` do, from the
process's in-memory quality index), and what a fresh process pays to fill that index.

Starts a SecantusDB on a free port (on-disk storage in a temporary directory, as the embedded
default runs), stores N records of 10 members through the catalogue's Mongo adapter (a third
with problems), then times each step. Memory is the process's peak RSS.

    .venv/bin/python -m bench.quality_evaluate [--records 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from devstack.processes import free_port, port_answers, secantus_process
from services.catalogue import handlers
from services.catalogue.adapters.embedded_store import EmbeddedRecordStore
from services.catalogue.adapters.linkcheck_store import MongoLinkStore
from services.catalogue.adapters.mongo import MongoMemberStore
from services.catalogue.domain import Context, decide
from shared.config import Settings
from shared.events import Member, SubmittedItem
from shared.mongo import make_mongo_client
from shared.records import RecordIn, Source
from shared.validation import assess

MEMBERS = [f"tv{i:02d}" for i in range(10)]
NOW = datetime(2026, 12, 2, tzinfo=UTC)


def make_record(n: int) -> RecordIn:
    fields: dict[str, object] = {"local_id": f"r{n:07d}", "kind": "publication"}
    if n % 3:
        fields.update(
            title=f"Nghiên cứu kinh tế biển Hải Phòng số {n}",
            description="Tổng quan về cảng biển và logistics.",
            year=2000 + n % 25,
            subjects=["kinh tế biển", "cảng Hải Phòng"],
            language="vi",
            identifiers={"isbn": "978-0-306-40615-7"},
        )
    else:  # a third with problems: capitals, bad ISBN, nothing recommended
        fields.update(title=f"BÁO CÁO TỔNG KẾT NĂM {n}", identifiers={"isbn": "978-0-306-40615-8"})
    return RecordIn.model_validate(fields)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(total: int, workdir: Path) -> None:
    records = [make_record(n) for n in range(total)]
    started = time.perf_counter()
    problems = sum(len(assess(r, today=NOW.date()).problems) for r in records)
    took = time.perf_counter() - started
    print(
        f"assess: {total} records in {took:.2f} s ({total / took:,.0f} records/s), "
        f"{problems} problems"
    )
    port = free_port()
    mongo = secantus_process(
        port=port, storage=workdir / "secantus", log_path=workdir / "secantus.log"
    ).start()
    try:
        mongo.wait_until(lambda: port_answers(port), timeout=60)
        settings = Settings(
            mongo_url=f"mongodb://127.0.0.1:{port}/", stinet_db=f"bench_{uuid.uuid4().hex[:8]}"
        )
        client = make_mongo_client(settings)
        db = client[settings.stinet_db]
        store, members, links = EmbeddedRecordStore(db), MongoMemberStore(db), MongoLinkStore(db)
        for code in MEMBERS:
            await members.save(Member(code=code, name=f"Thư viện {code}"), announce="created")
        await store.load()
        await store_all(store, records)
        print(f"stored {total} records; peak RSS so far {peak_rss_mb():.0f} MB")
        started = time.perf_counter()
        await EmbeddedRecordStore(db).load()  # what a process starting now pays, once
        took = time.perf_counter() - started
        print(f"indexes (keys, ids, quality) loaded from the store: {took:.2f} s")
        started = time.perf_counter()
        inbox = await handlers.member_quality(
            MEMBERS[0], records=store, members=members, links=links, offset=0, limit=100
        )
        took = time.perf_counter() - started
        print(f"member inbox ({inbox['records']} records, score {inbox['score']}): {took:.2f} s")
        started = time.perf_counter()
        overview = await handlers.network_quality(records=store, members=members, links=links)
        took = time.perf_counter() - started
        network = overview["network"]
        print(
            f"network overview ({network['records']} records, score {network['score']}): "
            f"{took:.2f} s; peak RSS {peak_rss_mb():.0f} MB"
        )
        await client.drop_database(settings.stinet_db)
        await client.close()
    finally:
        mongo.stop()


async def store_all(store: EmbeddedRecordStore, records: list[RecordIn]) -> None:
    for start in range(0, len(records), 500):
        member = MEMBERS[(start // 500) % len(MEMBERS)]
        ctx = Context(member, Source.API, "bench", NOW, start // 500, NOW)
        writes = []
        for index, record in enumerate(records[start : start + 500]):
            item = SubmittedItem(index=index, local_id=record.local_id, record=record)
            state = decide(item, None, ctx).state
            assert state is not None
            writes.append((state, None))
        await store.save(writes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stinet-bench-quality-") as workdir:
        asyncio.run(run(args.records, Path(workdir)))


if __name__ == "__main__":
    main()
