"""Catalogue throughput: records/s from ``records.submitted`` to ``records.changed``.

Starts a SecantusDB on a free port (on-disk storage in a temporary directory, as the embedded
default runs) and the catalogue as its own process (``python -m services.catalogue``), then
publishes N records in batches of 500 through the real RabbitMQ and waits until every one has
come out on ``records.changed``. Two members submit alternately; a share of the second member's
records repeat an ISBN of the first's, so duplicate linking is part of the measured path.
Before measuring, one OAI-PMH request is made, as harvesters make them in a deployed network:
the provider's datestamp index is then paid by every insert (``--without-oai``: not).

    .venv/bin/python -m bench.catalogue_throughput [--records 100000] [--batch 500]
        [--without-oai]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
import httpx

from devstack.processes import (
    ManagedProcess,
    free_port,
    http_ok,
    port_answers,
    secantus_process,
    service_process,
)
from shared.config import Settings
from shared.events import RecordsChanged, RecordsSubmitted, SubmittedItem
from shared.records import RecordIn
from shared.topology import (
    declare_topology,
    delete_topology,
    make_broker,
    publish_event,
    queue_name,
    subscription,
)

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TITLES = ("Nghiên cứu", "Cơ sở dữ liệu", "Tạp chí", "Báo cáo", "Kỷ yếu hội thảo", "Giáo trình")
TOPICS = ("kinh tế biển", "cảng Hải Phòng", "nuôi trồng thuỷ sản", "đóng tàu", "logistics")
AUTHORS = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Vũ Đức Em")


def isbn_for(n: int) -> str:
    return _isbn13(f"978604{n:06d}")


def _isbn13(stem: str) -> str:
    total = sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(stem))
    return stem + str((10 - total % 10) % 10)


def make_record(member: str, n: int) -> RecordIn:
    shared = member == "bench-b" and n % 20 == 0  # 5 % of B repeat an ISBN of A
    identifiers = {"isbn": isbn_for(n if shared or member == "bench-a" else 500_000 + n)}
    number = n if member == "bench-a" else 500_000 + n  # titles differ between members
    return RecordIn(
        local_id=f"{member}-{n:07d}",
        kind="publication",
        title=f"{TITLES[n % len(TITLES)]} về {TOPICS[n % len(TOPICS)]} số {number}",
        description=f"Mô tả tài liệu {n} của thành viên {member}: " + "nội dung " * 20,
        creators=[AUTHORS[n % len(AUTHORS)]],
        subjects=[TOPICS[n % len(TOPICS)], "khoa học công nghệ"],
        publisher="Nhà xuất bản Hàng hải",
        year=1990 + n % 35,
        identifiers=identifiers,
        url=f"https://thuvien.{member}.example.vn/tai-lieu/{n}",
    )


def make_batches(total: int, size: int) -> list[RecordsSubmitted]:
    batches = []
    per_member = {"bench-a": 0, "bench-b": 0}
    for number in range((total + size - 1) // size):
        member = "bench-a" if number % 2 == 0 else "bench-b"
        count = min(size, total - number * size)
        start = per_member[member]
        per_member[member] += count
        items = [
            SubmittedItem(
                index=i, local_id=f"{member}-{start + i:07d}", record=make_record(member, start + i)
            )
            for i in range(count)
        ]
        batches.append(
            RecordsSubmitted(
                submission_id=f"bench-{number}",
                member=member,
                batch_no=0,
                batch_count=1,
                items=items,
            )
        )
    return batches


async def run(total: int, size: int, workdir: Path, *, oai: bool = True) -> None:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    mongo_port, port = free_port(), free_port()
    settings = Settings(
        amqp_url=AMQP_URL,
        mongo_url=f"mongodb://127.0.0.1:{mongo_port}/",
        stinet_namespace=namespace,
        stinet_db="bench",
        stinet_admin_key="bench-" + uuid.uuid4().hex,
    )
    mongo = secantus_process(
        port=mongo_port, storage=workdir / "secantus", log_path=workdir / "secantus.log"
    ).start()
    service = None
    try:
        mongo.wait_until(lambda: port_answers(mongo_port), timeout=60)
        env = {
            **os.environ,
            "AMQP_URL": AMQP_URL,
            "MONGO_URL": settings.mongo_uri,
            "MONGO_EMBEDDED": "true",
            "STINET_NAMESPACE": namespace,
            "STINET_DB": "bench",
            "STINET_ADMIN_KEY": settings.admin_key or "",
            "CATALOGUE_PORT": str(port),
            "STINET_LOG_LEVEL": "INFO",
        }
        service = service_process("catalogue", env, workdir / "catalogue.log").start()
        service.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), timeout=60)
        admin = {"Authorization": f"Bearer {settings.admin_key}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            for code in ("bench-a", "bench-b"):
                body = {"code": code, "name": f"Thư viện {code}"}
                (await http.post("/v1/members", json=body, headers=admin)).raise_for_status()
            if oai:
                params = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
                (await http.get("/oai", params=params)).raise_for_status()
        print("OAI-PMH provider " + ("asked once" if oai else "never asked"), flush=True)
        print(f"building {total} records in batches of {size} …", flush=True)
        batches = make_batches(total, size)
        pids = {"secantusdb": pid_of(mongo), "catalogue": pid_of(service)}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        await measure(settings, batches, total)
        used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        batch_count = len(batches)
        print(
            "cpu during the run: "
            + ", ".join(
                f"{name} {s:.1f} s ({s * 1000 / batch_count:.0f} ms per batch)"
                for name, s in used.items()
            )
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            stats = (await http.get("/v1/stats")).json()
        print(f"stored: {stats['records']['by_member']}")
        print_phases(workdir / "catalogue.log")
    finally:
        if service is not None:
            service.stop()
        mongo.stop()
        await delete_topology(settings)


async def measure(settings: Settings, batches: list[RecordsSubmitted], total: int) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=50)
        changed = await channel.get_queue(
            queue_name(settings, subscription("search", RecordsChanged)), ensure=False
        )
        seen: set[str] = set()
        done = asyncio.Event()
        last = 0.0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal last
            async with message.process():
                for change in json.loads(message.body)["changes"]:
                    if change["change"] == "created":
                        seen.add(change["record"]["id"])
                last = time.perf_counter()
                if len(seen) >= total:
                    done.set()

        await changed.consume(on_message)
        broker = make_broker(settings)
        async with broker:
            await declare_topology(broker, settings)
            started = time.perf_counter()
            for event in batches:
                await publish_event(broker, settings, event)
            published = time.perf_counter() - started
            await asyncio.wait_for(done.wait(), timeout=1800)
        elapsed = last - started
        print(f"published {len(batches)} batches in {published:.1f} s")
        print(
            f"catalogue throughput: {total} records in {elapsed:.1f} s = "
            f"{total / elapsed:,.0f} records/s (queue → stored → records.changed)"
        )


def pid_of(process: ManagedProcess) -> int:
    return process.process.pid if process.process is not None else 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_phases(log_path: Path) -> None:
    """Where the catalogue spends a batch's time, and how many links it made, from its
    ``batch_stored`` log lines."""
    totals: dict[str, float] = {}
    count = linked = 0
    for line in log_path.read_text(errors="replace").splitlines():
        if '"batch_stored"' not in line:
            continue
        entry = json.loads(line)
        count += 1
        linked += entry.get("linked", 0)
        for phase, ms in entry.get("ms", {}).items():
            totals[phase] = totals.get(phase, 0.0) + ms
    if count:
        phases = ", ".join(f"{name} {ms / count:.0f}" for name, ms in totals.items())
        print(f"mean ms per batch in the catalogue ({count} batches): {phases}")
        print(f"records linked to a duplicate at another member: {linked}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--without-oai", action="store_true", help="no OAI-PMH request first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stinet-bench-") as tmp:
        asyncio.run(run(args.records, args.batch, Path(tmp), oai=not args.without_oai))
    sys.exit(0)


if __name__ == "__main__":
    main()
