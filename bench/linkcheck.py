"""Link checker throughput: checks/s against a local server of 1,000 hosts (127.0.0.1 …
127.0.3.232, all loopback) while keeping one request per second per host.

The server is its own process (``tests.catalogue.linkserver``); it records every request
and reports the shortest gap it saw between two requests to one host, which must be ≥ 1 s.
The links (``--per-host`` per host) are stored in a throw-away SecantusDB as the catalogue
stores them, then checked by the sweep's own ``check_due`` rounds (leases, HEAD, politeness,
one result write per link) until none is due. Good links only: one request per check.

    .venv/bin/python -m bench.linkcheck [--hosts 1000] [--per-host 5] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2

from devstack.processes import ManagedProcess, free_port, port_answers, secantus_process
from services.catalogue.adapters.link_checker import HttpLinkChecker
from services.catalogue.adapters.linkcheck_store import MongoLinkStore
from services.catalogue.linkcheck.politeness import HostSchedule
from services.catalogue.linkcheck.sweep import check_due, sweep_config
from shared.config import Settings
from shared.logging import configure_logging
from shared.mongo import make_mongo_client, service_database
from tests.catalogue.linkserver import STATS, loopback_hosts


def _raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


async def _server_stats(port: int) -> tuple[int, float]:
    async with httpx2.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}{STATS}")
    return int(response.headers["x-requests"]), float(response.headers["x-min-gap"])


async def run(hosts: int, per_host: int, concurrency: int, mongo_port: int, port: int) -> None:
    settings = Settings(
        mongo_url=f"mongodb://127.0.0.1:{mongo_port}/",
        stinet_db="linkcheck_bench",
        linkcheck_allow_private_networks=True,
        linkcheck_concurrency=concurrency,
    )
    client = make_mongo_client(settings)
    store = MongoLinkStore(service_database(client, settings))
    await store.ensure_indexes()
    names = loopback_hosts(hosts)
    urls = {
        f"bench:r{h}-{n}": f"http://{host}:{port}/ok?n={n}"
        for h, host in enumerate(names)
        for n in range(per_host)
    }
    items = list(urls.items())
    for start in range(0, len(items), 1000):
        await store.use_record_urls(dict(items[start : start + 1000]), now=datetime.now(UTC))
    config = sweep_config(settings)
    config = dataclasses.replace(config, batch=len(urls), per_host=per_host)
    schedule = HostSchedule(interval=settings.linkcheck_per_host_seconds, concurrency=concurrency)
    checker = HttpLinkChecker(
        schedule=schedule, timeout=settings.linkcheck_timeout_seconds, allow_private=True
    )
    checked, rounds = 0, 0
    started = time.perf_counter()
    try:
        while done := await check_due(links=store, checker=checker, owner="bench", config=config):
            checked += len(done)
            rounds += 1
    finally:
        await checker.close()
        await client.drop_database(settings.stinet_db)
        await client.close()
    elapsed = time.perf_counter() - started
    requests, min_gap = await _server_stats(port)
    floor = per_host - 1  # seconds: a host's links one second apart at best
    print(
        f"linkcheck: {checked} links on {hosts} hosts ({per_host} per host) checked in "
        f"{elapsed:.1f} s over {rounds} round(s), concurrency {concurrency} "
        f"-> {checked / elapsed:.0f} checks/s (politeness: at least {floor} s, at most "
        f"{hosts} checks/s); the server saw {requests} requests, the shortest gap between "
        f"two requests to one host {min_gap:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--per-host", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=Settings().linkcheck_concurrency)
    args = parser.parse_args()
    _raise_open_files()
    configure_logging("bench", "WARNING")
    logs = Path(tempfile.mkdtemp(prefix="linkcheck-bench-"))
    mongo_port, port = free_port(), free_port()
    mongo = secantus_process(port=mongo_port, storage=":memory:", log_path=logs / "secantus.log")
    server = ManagedProcess(
        name="linkserver",
        argv=[
            sys.executable,
            "-m",
            "tests.catalogue.linkserver",
            "--hosts",
            str(args.hosts),
            "--port",
            str(port),
        ],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parent.parent)},
        log_path=logs / "linkserver.log",
    )
    mongo.start()
    server.start()
    try:
        mongo.wait_until(lambda: port_answers(mongo_port), 60)
        last = loopback_hosts(args.hosts)[-1]
        server.wait_until(lambda: port_answers(port, host=last), 60)
        asyncio.run(run(args.hosts, args.per_host, args.concurrency, mongo_port, port))
    finally:
        server.stop()
        mongo.stop()


if __name__ == "__main__":
    main()
