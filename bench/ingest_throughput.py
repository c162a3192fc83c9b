"""Ingest throughput: records/s accepted (202 after every publisher confirm).

``POST /v1/records`` with JSON batches of 1,000 records, and ``POST /v1/imports`` of a
50,000-record file in each format (CSV UTF-8 with BOM, CSV Windows-1258, XLSX, MARC21, MARCXML,
JSON, NDJSON). Ingest runs as its own process (``python -m services.ingest``) against a
SecantusDB process and the real RabbitMQ; the clock runs from the request to its 202.

    .venv/bin/python -m bench.ingest_throughput [--records 50000] [--formats csv,xlsx,...]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench.ingest_support import (
    RunningIngest,
    api_record,
    csv_file,
    json_file,
    marc21_file,
    marcxml_file,
    ndjson_file,
    running_ingest,
    xlsx_file,
)

FILES: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "csv": ("bench.csv", csv_file),
    "csv-cp1258": ("bench-1258.csv", lambda n: csv_file(n, "cp1258")),
    "xlsx": ("bench.xlsx", xlsx_file),
    "marc": ("bench.mrc", marc21_file),
    "marcxml": ("bench.xml", marcxml_file),
    "json": ("bench.json", json_file),
    "ndjson": ("bench.ndjson", ndjson_file),
}


def bench_api(ingest: RunningIngest, key: str, records: int, batch: int = 1000) -> float:
    bodies = [
        {"records": [api_record(n) for n in range(start, min(start + batch, records))]}
        for start in range(0, records, batch)
    ]
    headers = {"Authorization": f"Bearer {key}"}
    started = time.perf_counter()
    for body in bodies:
        response = ingest.http.post(f"{ingest.url}/v1/records", json=body, headers=headers)
        response.raise_for_status()
        assert response.json()["accepted"] == len(body["records"]), response.text
    return records / (time.perf_counter() - started)


def bench_file(ingest: RunningIngest, key: str, fmt: str, records: int) -> tuple[float, int]:
    name, make = FILES[fmt]
    content = make(records)
    started = time.perf_counter()
    response = ingest.http.post(
        f"{ingest.url}/v1/imports",
        files={"file": (name, content)},
        headers={"Authorization": f"Bearer {key}"},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    body = response.json()
    assert body["accepted"] == records, (fmt, body.get("rejected", [])[:3])
    return records / elapsed, len(content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--formats", default=",".join(FILES))
    args = parser.parse_args()
    with running_ingest() as ingest:
        key = ingest.member_key("bench-a")
        rate = bench_api(ingest, key, args.records)
        print(f"POST /v1/records JSON, 1,000-record batches: {rate:,.0f} records/s")
        ingest.purge()
        for fmt in args.formats.split(","):
            rate, size = bench_file(ingest, key, fmt, args.records)
            print(
                f"POST /v1/imports {fmt:<10} {args.records:,} records "
                f"({size / 2**20:.1f} MB): {rate:,.0f} records/s"
            )
            ingest.purge()


if __name__ == "__main__":
    main()
