"""Peak memory (RSS) of the ingest process during a 50,000-row XLSX import (target < 300 MB).

Ingest runs as its own process; its RSS is sampled from /proc every 20 ms while the import
request runs, and the kernel's high-water mark (VmHWM) is read at the end.

    .venv/bin/python -m bench.ingest_xlsx_memory [--rows 50000]
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from bench.ingest_support import running_ingest, xlsx_file


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    content = xlsx_file(args.rows)
    with running_ingest() as ingest:
        key = ingest.member_key("bench-a")
        before = _status_kb(ingest.pid, "VmRSS")
        peak = before
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _status_kb(ingest.pid, "VmRSS"))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        response = ingest.http.post(
            f"{ingest.url}/v1/imports",
            files={"file": ("bench.xlsx", content)},
            headers={"Authorization": f"Bearer {key}"},
        )
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        response.raise_for_status()
        assert response.json()["accepted"] == args.rows, response.text[:500]
        hwm = _status_kb(ingest.pid, "VmHWM")
        print(
            f"XLSX import, {args.rows:,} rows ({len(content) / 2**20:.1f} MB) in {elapsed:.1f} s: "
            f"ingest RSS before {before / 1024:.0f} MB, peak sampled {peak / 1024:.0f} MB, "
            f"VmHWM {hwm / 1024:.0f} MB (target < 300 MB)"
        )


if __name__ == "__main__":
    main()
