"""What the ingest benches share: a SecantusDB and ingest as real processes, sample files."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx2
import pymarc
from openpyxl import Workbook

from devstack.processes import (
    ManagedProcess,
    free_port,
    http_ok,
    port_answers,
    secantus_process,
    service_process,
)
from shared.config import Settings
from shared.events import Member, MemberChanged
from shared.topology import (
    SUBSCRIPTIONS,
    declare_topology,
    delete_topology,
    dlq_name,
    make_broker,
    publish_event,
    queue_name,
)

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
HEADERS = [
    "Mã biểu ghi",
    "Loại",
    "Nhan đề",
    "Tác giả",
    "Chủ đề",
    "Nhà xuất bản",
    "Năm",
    "Đường dẫn",
]


def row(n: int) -> list[Any]:
    return [
        f"HP-{n:07d}",
        "ấn phẩm",
        f"Nghiên cứu kinh tế biển Hải Phòng, tập {n}",
        "Nguyễn Văn An; Trần Thị Bình",
        "Kinh tế biển; Cảng Hải Phòng",
        "NXB Hàng hải",
        2000 + n % 25,
        f"https://thuvien.example.vn/tai-lieu/{n}",
    ]


def api_record(n: int) -> dict[str, Any]:
    return {
        "local_id": f"HP-{n:07d}",
        "kind": "publication",
        "title": f"Nghiên cứu kinh tế biển Hải Phòng, tập {n}",
        "creators": ["Nguyễn Văn An", "Trần Thị Bình"],
        "subjects": ["Kinh tế biển", "Cảng Hải Phòng"],
        "publisher": "NXB Hàng hải",
        "year": 2000 + n % 25,
        "url": f"https://thuvien.example.vn/tai-lieu/{n}",
    }


def csv_file(count: int, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(row(n) for n in range(count))
    if encoding == "cp1258":
        from tests.ingest.samples import to_cp1258

        return to_cp1258(out.getvalue())
    return out.getvalue().encode(encoding)


def xlsx_file(count: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Bieu ghi")
    sheet.append(HEADERS)
    for n in range(count):
        sheet.append(row(n))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _marc(n: int) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data=f"VMU{n:07d}"))
    fields = (
        ("100", "a", "Nguyễn Văn An"),
        ("245", "a", f"Nghiên cứu kinh tế biển Hải Phòng, tập {n}"),
        ("260", "b", "NXB Hàng hải"),
        ("650", "a", "Kinh tế biển"),
        ("856", "u", f"https://thuvien.example.vn/tai-lieu/{n}"),
    )
    for tag, code, value in fields:
        record.add_field(
            pymarc.Field(tag=tag, indicators=[" ", " "], subfields=[pymarc.Subfield(code, value)])
        )
    return record


def marc21_file(count: int) -> bytes:
    return b"".join(_marc(n).as_marc() for n in range(count))


def marcxml_file(count: int) -> bytes:
    out = io.BytesIO()
    writer = pymarc.XMLWriter(out)
    for n in range(count):
        writer.write(_marc(n))
    writer.close(close_fh=False)
    return out.getvalue()


def ndjson_file(count: int) -> bytes:
    import json

    return "\n".join(json.dumps(api_record(n), ensure_ascii=False) for n in range(count)).encode()


def json_file(count: int) -> bytes:
    import json

    body = {"records": [api_record(n) for n in range(count)]}
    return json.dumps(body, ensure_ascii=False).encode()


@dataclass
class RunningIngest:
    url: str
    admin: str
    settings: Settings
    process: ManagedProcess
    http: httpx2.Client

    @property
    def pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    def member_key(self, code: str) -> str:
        asyncio.run(_announce(self.settings, code))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            response = self.http.post(
                f"{self.url}/v1/members/{code}/keys",
                headers={"Authorization": f"Bearer {self.admin}"},
            )
            if response.status_code == 201:
                return str(response.json()["key"])
            time.sleep(0.2)
        raise RuntimeError(f"ingest never learnt member {code}")

    def purge(self) -> None:
        asyncio.run(_purge(self.settings))


async def _announce(settings: Settings, code: str) -> None:
    broker = make_broker(settings)
    async with broker:
        await declare_topology(broker, settings)
        member = Member(code=code, name=f"Bench {code}")
        await publish_event(broker, settings, MemberChanged(change="created", member=member))


async def _purge(settings: Settings) -> None:
    """Empty every queue of the namespace (between runs of one bench)."""
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        for sub in SUBSCRIPTIONS:
            for name in (queue_name(settings, sub), dlq_name(settings, sub)):
                channel = await connection.channel()
                with contextlib.suppress(aio_pika.exceptions.ChannelClosed):
                    queue = await channel.declare_queue(name, passive=True)
                    await queue.purge()


@contextlib.contextmanager
def running_ingest() -> Iterator[RunningIngest]:
    """SecantusDB (in memory) and ``python -m services.ingest`` on free ports, in a namespace."""
    namespace = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    admin = "bench-admin-" + uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="stinet-bench-") as tmp:
        mongo_port, port = free_port(), free_port()
        secantus = secantus_process(
            port=mongo_port, storage=":memory:", log_path=Path(tmp) / "secantus.log"
        ).start()
        env = {
            **os.environ,
            "AMQP_URL": AMQP_URL,
            "MONGO_URL": f"mongodb://127.0.0.1:{mongo_port}/",
            "MONGO_EMBEDDED": "true",
            "STINET_NAMESPACE": namespace,
            "STINET_DB": namespace.replace("-", "_"),
            "STINET_ADMIN_KEY": admin,
            "STINET_DATA_DIR": str(Path(tmp) / "data"),
            "INGEST_PORT": str(port),
            "STINET_LOG_LEVEL": "WARNING",
        }
        settings = Settings(amqp_url=AMQP_URL, stinet_namespace=namespace, stinet_admin_key=admin)
        ingest = service_process("ingest", env, Path(tmp) / "ingest.log")
        try:
            secantus.wait_until(lambda: port_answers(mongo_port), timeout=60)
            ingest.start()
            url = f"http://127.0.0.1:{port}"
            ingest.wait_until(lambda: http_ok(f"{url}/readyz"), timeout=60)
            with httpx2.Client(timeout=600) as http:
                yield RunningIngest(url, admin, settings, ingest, http)
        finally:
            ingest.stop()
            secantus.stop()
            asyncio.run(delete_topology(settings))
