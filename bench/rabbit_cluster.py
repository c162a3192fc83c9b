"""The distributed engine for real: a three-node RabbitMQ cluster under load, nodes stopped.

Starts three RabbitMQ nodes on this machine (own node names, AMQP and distribution ports,
mnesia and log dirs; one temporary HOME holding the shared Erlang cookie, so the nodes and
``rabbitmqctl`` trust each other), joins nodes 2 and 3 to node 1, then starts the stack as
``bench.chaos`` does (SecantusDB on a file store, the four services as processes) with
``AMQP_URL`` listing the three nodes. The services declare their queues as quorum queues,
so each is replicated on all three (checked and printed). Then it pushes N records (default
20,000, paced over ``--push-seconds`` so the faults land mid-load) while it

1. stops node 1 (every service starts connected there) at a fifth of the push,
   starts it again ``--down-seconds`` later and waits for it to rejoin;
2. stops node 2 once three fifths are accepted, and leaves it down (two of three nodes:
   a quorum), until everything pushed is stored and indexed.

It prints pushed, stored, indexed, duplicates, dead-lettered, unfinished submissions, the
5xx the clients saw and the time from the first stop until everything pushed is stored and
indexed, stops everything it started (the machine's broker is never touched) and exits 1
unless nothing was lost, duplicated or dead-lettered.

    flock /tmp/stinet-bench.lock .venv/bin/python -m bench.rabbit_cluster [--records 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.chaos import (
    HEADER,
    ISOLATE,
    Chaos,
    Client,
    Progress,
    RabbitNode,
    Row,
    _wait,
    format_row,
    running_chaos,
)
from bench.e2e_throughput import corpus

RABBITMQCTL = Path("/usr/lib/rabbitmq/bin/rabbitmqctl")


@dataclass
class ClusterNode(RabbitNode):
    """A node of the bench's cluster: :class:`RabbitNode` with the cluster's shared HOME."""

    home: Path = field(default_factory=Path)

    def env(self) -> dict[str, str]:
        return {**super().env(), "HOME": str(self.home)}

    def ctl(self, *args: str, timeout: float = 120.0) -> str:
        """``rabbitmqctl -n <this node> args…``; its output (raises if it fails)."""
        result = subprocess.run(
            [str(RABBITMQCTL), "-q", "-n", self.name, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.name}: {result.stderr}")
        return result.stdout


@dataclass
class Cluster:
    """Three nodes sharing one Erlang cookie, joined to the first."""

    base: Path
    size: int = 3
    nodes: list[ClusterNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        home = self.base / "home"
        home.mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20).upper(), encoding="ascii")
        cookie.chmod(0o400)
        run = uuid.uuid4().hex[:6]
        self.nodes = [
            ClusterNode(self.base / f"node{n}", name=f"cluster-{run}-{n}@localhost", home=home)
            for n in range(1, self.size + 1)
        ]

    @property
    def amqp_url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self) -> None:
        first, *others = self.nodes
        first.start()
        for node in others:
            node.start()
            node.ctl("stop_app")
            node.ctl("join_cluster", first.name)
            node.ctl("start_app")
            node.process.wait_until(node.handshakes, 120.0)  # type: ignore[union-attr]
        running = self.running_nodes(first)
        if len(running) != self.size:
            raise RuntimeError(f"the cluster formed with {running}, not {self.size} nodes")

    def running_nodes(self, via: ClusterNode) -> list[str]:
        status = json.loads(via.ctl("cluster_status", "--formatter", "json"))
        return sorted(status["running_nodes"])

    def quorum_members(self, namespace: str) -> dict[str, int]:
        """Replicas of each quorum queue of ``namespace`` (asked of a running node)."""
        via = next(node for node in self.nodes if node.process and node.process.running)
        rows = json.loads(via.ctl("list_queues", "name", "type", "members", "--formatter", "json"))
        return {
            row["name"]: len(row["members"])
            for row in rows
            if row["type"] == "quorum" and row["name"].startswith(f"{namespace}.")
        }

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class PacedClient(Client):
    """Pushes batch n no earlier than ``n * spacing`` seconds after the push began."""

    def __init__(self, *args: Any, spacing: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spacing = spacing
        self.began = time.monotonic()

    def push_nth(self, n: int, key: str, records: list[dict[str, Any]]) -> None:
        time.sleep(max(0.0, self.began + n * self.spacing - time.monotonic()))
        self.push(key, records)


@dataclass
class Stops:
    """When each node was stopped and started, and whether the push was still going."""

    lines: list[str] = field(default_factory=list)
    first_at: float = 0.0

    def note(self, what: str, progress: Progress) -> float:
        at = time.monotonic()
        self.first_at = self.first_at or at
        state = f"{progress.accepted}/{progress.batches} batches accepted"
        self.lines.append(f"  {at - self.first_at:6.1f} s  {what:<34} ({state})")
        return at


def stop_two_nodes(
    cluster: Cluster, progress: Progress, stops: Stops, *, down_seconds: float
) -> float:
    """Node 1 down and back at a fifth of the push, then node 2 down at three fifths."""
    first, second = cluster.nodes[0], cluster.nodes[1]
    _wait(lambda: progress.accepted >= max(1, progress.batches // 5))
    at = stops.note(f"stop {first.name}", progress)
    first.stop()
    time.sleep(down_seconds)
    stops.note(f"start {first.name}", progress)
    first.start()
    stops.note(f"{first.name} answers again", progress)
    _wait(lambda: progress.accepted >= max(1, progress.batches * 3 // 5) or progress.all_accepted)
    stops.note(f"stop {second.name} (left down)", progress)
    second.stop()
    return at


def run(
    chaos: Chaos, cluster: Cluster, *, records: int, push_seconds: float, down_seconds: float
) -> tuple[Row, Stops]:
    """Push ``records`` while two nodes are stopped in turn; the row of figures."""
    code = f"cl{uuid.uuid4().hex[:8]}"
    key = chaos.member_with_key(code)
    every = corpus(records, code)
    batches = [every[i : i + chaos.batch] for i in range(0, records, chaos.batch)]
    progress = Progress(batches=len(batches))
    client = PacedClient(
        chaos.stack.url("ingest"), key, progress, spacing=push_seconds / len(batches)
    )
    stops = Stops()
    dead_before = chaos.dead_lettered()
    with ThreadPoolExecutor(chaos.clients) as pool:
        futures = [
            pool.submit(client.push_nth, n, f"{code}-batch-{n}", chunk)
            for n, chunk in enumerate(batches)
        ]
        fault_at = stop_two_nodes(cluster, progress, stops, down_seconds=down_seconds)
        for future in futures:
            future.result()
    stops.note("every batch accepted", progress)
    row = Row("3 nodes, 2 stopped", records, pushed=progress.pushed)
    row.outage_s = down_seconds
    row.converged_s = chaos.converge(row, progress, code, key, fault_at)
    row.dropped = progress.dropped
    row.dead_lettered = chaos.dead_lettered() - dead_before
    row.errors = progress.errors
    return row, stops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--push-seconds", type=float, default=60.0, help="pace of the push")
    parser.add_argument("--down-seconds", type=float, default=15.0, help="node 1's outage")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ISOLATE}
    ok = False
    with tempfile.TemporaryDirectory(prefix="stinet-cluster-") as tmp:
        cluster = Cluster(Path(tmp) / "rabbitmq")
        try:
            started = time.monotonic()
            cluster.start()
            print(f"cluster of {cluster.size} up in {time.monotonic() - started:.1f} s: "
                  f"{', '.join(cluster.running_nodes(cluster.nodes[0]))}")  # fmt: skip
            with running_chaos(
                Path(tmp), amqp_url=cluster.amqp_url, env=env,
                batch=args.batch, clients=args.clients, converge_timeout=600.0,
            ) as chaos:  # fmt: skip
                members = cluster.quorum_members(chaos.stack.settings.stinet_namespace)
                replicated = sum(1 for n in members.values() if n == cluster.size)
                print(f"quorum queues on all {cluster.size} nodes: {replicated}/{len(members)}")
                print(f"{args.records} records, batches of {args.batch}, {args.clients} "
                      f"clients, paced over {args.push_seconds:.0f} s")  # fmt: skip
                row, stops = run(
                    chaos, cluster, records=args.records,
                    push_seconds=args.push_seconds, down_seconds=args.down_seconds,
                )  # fmt: skip
                print("\n".join(stops.lines))
                print(HEADER)
                print(format_row(row), flush=True)
                ok = row.ok and replicated == len(members) > 0
        finally:
            cluster.stop()  # the nodes still running (node 2 is already down)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
