"""The embedded store keeps every acknowledged write when it is killed (issue 14 B).

SecantusDB on a file store, as ``make run`` starts it: inserts acknowledged one by one with
the write concern the services use, SIGKILL (no shutdown, no flush), restart on the same
files — every acknowledged document is there.
"""

from __future__ import annotations

from pathlib import Path

from pymongo import MongoClient

from devstack.processes import ManagedProcess, free_port, port_answers, secantus_process

ACKNOWLEDGED = 2_000


def start_store(storage: Path, log_path: Path) -> tuple[int, ManagedProcess]:
    port = free_port()
    process = secantus_process(port=port, storage=storage, log_path=log_path).start()
    process.wait_until(lambda: port_answers(port), timeout=60)
    return port, process


def test_acknowledged_inserts_survive_a_sigkill(tmp_path: Path) -> None:
    storage, log_path = tmp_path / "mongo", tmp_path / "secantus.log"
    port, first = start_store(storage, log_path)
    try:
        with MongoClient(f"mongodb://127.0.0.1:{port}/", w="majority") as client:
            records = client.durability.records
            for n in range(ACKNOWLEDGED):
                records.insert_one({"_id": n, "title": f"Bản ghi {n}"})
    finally:
        first.kill()  # SIGKILL right after the last acknowledgement

    port, second = start_store(storage, log_path)
    try:
        with MongoClient(f"mongodb://127.0.0.1:{port}/") as client:
            stored = {doc["_id"] for doc in client.durability.records.find({}, {"_id": 1})}
        missing = sorted(set(range(ACKNOWLEDGED)) - stored)
        assert not missing, f"{len(missing)} acknowledged inserts lost, e.g. {missing[:5]}"
    finally:
        second.stop()
