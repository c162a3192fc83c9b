"""Chaos: records pushed through the real services while their parts are killed or stopped.

Starts the whole stack as ``make run`` does (SecantusDB on a file store in a temporary data
dir, the four services as processes) against a RabbitMQ node of its own (free ports, own
node name, data and plugins: the machine's broker is never touched), then, scenario by
scenario, pushes N records (default 20,000, batches of 1,000 from 4 clients, each batch
with its own ``Idempotency-Key``, retried under the same key after a dropped connection,
503, 429 or 409) while it

1. SIGKILLs ingest in the middle of a request; 2. SIGKILLs the catalogue; 3. SIGKILLs the
search service; 4. SIGKILLs notify; 5. SIGKILLs SecantusDB right after a write it
acknowledged; 6. stops SecantusDB for 40 s while the catalogue writes; 7. stops the
RabbitMQ node for 30 s.

A killed part is started again at once, as ``make run``'s supervisor would. Per scenario
it prints pushed (202), stored (catalogue), indexed (search), duplicates, dead-lettered,
the 5xx the clients saw (a 503 with Retry-After is the truthful answer during an outage;
any other 5xx fails) and the time from the fault until everything pushed is stored and
indexed. It exits 1 unless every scenario lost, duplicated and dead-lettered nothing.

    flock /tmp/stinet-bench.lock .venv/bin/python -m bench.chaos \
        [--records 20000] [--scenarios 1,2,5 | ingest,catalogue,store-kill] [--batch 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx2

from bench.e2e_throughput import corpus
from devstack.dlq import depths
from devstack.processes import ManagedProcess, free_port, port_answers, secantus_process
from devstack.stack import LocalStack
from shared.config import Settings
from shared.topology import delete_topology

RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")  # not the su wrapper
# Variables of the operator's shell that must not reach the bench's services.
ISOLATE = (
    "MONGO_URL", "MEILI_URL", "MEILI_KEY", "STINET_PUBLIC_URL", "NOTIFY_PUBLIC_URL",
    "INGEST_PUBLIC_URL", "CATALOGUE_URL", "SMTP_HOST", "SMTP_PORT",
)  # fmt: skip
CLIENT_DEADLINE = 900.0  # one batch is given up after this long (the bench then fails)
RETRY_CAP = 5.0


# -- a RabbitMQ node of the bench's own ---------------------------------------------------


@dataclass
class RabbitNode:
    """A RabbitMQ node on free ports with its own name, data, logs, HOME and no plugins.

    Stopping it (SIGTERM: ``rabbitmqctl stop``) and starting it again keeps its data dir,
    so its durable quorum queues and their messages come back as after an outage.
    """

    base: Path
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    name: str = field(default_factory=lambda: f"chaos-{uuid.uuid4().hex[:8]}@localhost")
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self) -> dict[str, str]:
        home, logs = self.base / "home", self.base / "log"
        for path in (home, logs, self.base / "mnesia"):
            path.mkdir(parents=True, exist_ok=True)
        conf = self.base / "rabbitmq.conf"
        conf.write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n", encoding="utf-8")
        (self.base / "enabled_plugins").write_text("[].\n", encoding="utf-8")
        (self.base / "rabbitmq-env.conf").write_text("", encoding="utf-8")
        return {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(logs),
            "RABBITMQ_CONFIG_FILE": str(conf),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbitmq.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def start(self, *, timeout: float = 120.0) -> RabbitNode:
        argv = [str(RABBITMQ_SERVER)]
        self.process = ManagedProcess(
            "rabbitmq", argv, self.env(), self.base / "rabbitmq-server.log"
        ).start()
        self.process.wait_until(lambda: port_answers(self.port) and self.handshakes(), timeout)
        return self

    def handshakes(self) -> bool:
        """The node completes an AMQP handshake (an open port alone proves nothing)."""

        async def connect() -> None:
            connection = await aio_pika.connect(self.url, timeout=5)
            await connection.close()

        try:
            asyncio.run(connect())
        except (TimeoutError, OSError, aio_pika.exceptions.AMQPError):
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(60.0)


@dataclass
class FileStore:
    """SecantusDB on a file store, started with devstack's helper on a free port.

    The bench holds it (not :class:`LocalStack`) so a fault can kill and restart it on the
    same port and files, and so it never takes the default port another run may want.
    """

    path: Path
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self, *, timeout: float = 120.0) -> FileStore:
        self.process = secantus_process(
            port=self.port, storage=self.path / "mongo", log_path=self.path / "secantusdb.log"
        ).start()
        self.process.wait_until(lambda: port_answers(self.port), timeout)
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(60.0)


# -- the clients ---------------------------------------------------------------------------


@dataclass
class Progress:
    """What the pushing clients have done so far (shared by their threads)."""

    batches: int
    accepted: int = 0
    pushed: int = 0
    dropped: int = 0  # requests whose connection broke (the part was killed): retried
    submissions: dict[str, set[str]] = field(default_factory=dict)  # key -> ids seen
    errors: Counter[str] = field(default_factory=Counter)
    in_flight: dict[int, float] = field(default_factory=dict)  # thread -> request start
    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted_now: threading.Event = field(default_factory=threading.Event)

    @property
    def all_accepted(self) -> bool:
        return self.accepted >= self.batches

    def started(self) -> None:
        with self.lock:
            self.in_flight[threading.get_ident()] = time.monotonic()

    def ended(self) -> None:
        with self.lock:
            self.in_flight.pop(threading.get_ident(), None)

    def accept(self, key: str, body: dict[str, Any]) -> None:
        with self.lock:
            ids = self.submissions.setdefault(key, set())
            if not ids:
                self.accepted += 1
                self.pushed += int(body["accepted"])
            ids.add(str(body["submission_id"]))
        self.accepted_now.set()

    def drop(self) -> None:
        with self.lock:
            self.dropped += 1

    def error(self, status: int, what: str) -> None:
        with self.lock:
            self.errors[f"{status} {what}"] += 1

    def oldest_request(self) -> float:
        """Seconds the oldest request in flight has been waiting (0 when none)."""
        with self.lock:
            starts = list(self.in_flight.values())
        return time.monotonic() - min(starts) if starts else 0.0


def retry_after(response: httpx2.Response) -> float:
    try:
        return min(RETRY_CAP, max(0.1, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


class Client:
    """A member's client: pushes batches, retrying each under its own Idempotency-Key."""

    def __init__(self, ingest_url: str, key: str, progress: Progress) -> None:
        self.url = f"{ingest_url}/v1/records"
        self.auth = {"Authorization": f"Bearer {key}"}
        self.progress = progress

    def push(self, key: str, records: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + CLIENT_DEADLINE
        headers = {**self.auth, "Idempotency-Key": key}
        with httpx2.Client(timeout=120.0) as http:
            while time.monotonic() < deadline:
                self.progress.started()
                try:
                    response = http.post(self.url, json={"records": records}, headers=headers)
                except httpx2.TransportError:  # ingest killed or not up yet: same key again
                    self.progress.drop()
                    time.sleep(0.5)
                    continue
                finally:
                    self.progress.ended()
                if response.status_code == 202:
                    self.progress.accept(key, response.json())
                    return
                if response.status_code >= 500:
                    self.progress.error(response.status_code, "POST /v1/records")
                if response.status_code in (409, 429) or response.status_code >= 500:
                    time.sleep(retry_after(response))
                    continue
                raise RuntimeError(f"push refused: {response.status_code} {response.text[:300]}")
        raise TimeoutError(f"batch {key} not accepted within {CLIENT_DEADLINE:.0f} s")


# -- one scenario --------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    records: int
    pushed: int = 0
    stored: int = 0
    indexed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    unfinished: int = 0  # submissions not ``done``
    errors: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    outage_s: float = 0.0
    converged_s: float | None = None

    @property
    def server_errors(self) -> int:
        """5xx other than 503 (a 503 with Retry-After is the truthful answer in an outage)."""
        return sum(n for what, n in self.errors.items() if not what.startswith("503 "))

    @property
    def ok(self) -> bool:
        return (
            self.pushed == self.stored == self.indexed == self.records
            and self.duplicates == 0
            and self.dead_lettered == 0
            and self.unfinished == 0
            and self.server_errors == 0
            and self.converged_s is not None
        )


HEADER = (
    f"{'scenario':<22} {'pushed':>7} {'stored':>7} {'indexed':>7} {'dup':>4} {'dlq':>4} "
    f"{'open':>4} {'drops':>5} {'outage':>7} {'converge':>9}  client 5xx"
)


def format_row(row: Row) -> str:
    errors = ", ".join(f"{what} ×{n}" for what, n in sorted(row.errors.items())) or "none"
    converged = f"{row.converged_s:.1f} s" if row.converged_s is not None else "NEVER"
    return (
        f"{row.scenario:<22} {row.pushed:>7} {row.stored:>7} {row.indexed:>7} "
        f"{row.duplicates:>4} {row.dead_lettered:>4} {row.unfinished:>4} {row.dropped:>5} "
        f"{row.outage_s:>5.1f} s {converged:>9}  {errors}" + ("" if row.ok else "   <-- FAIL")
    )


class Chaos:
    """Runs scenarios against a started stack; faults run in the calling (main) thread.

    The main thread starts every process (devstack's orphan guard ties a child's lifetime
    to the thread that started it), so clients push from worker threads.
    """

    def __init__(
        self,
        stack: LocalStack,
        *,
        store: FileStore | None = None,
        rabbit: RabbitNode | None = None,
        batch: int = 1_000,
        clients: int = 4,
        converge_timeout: float = 600.0,
    ) -> None:
        self.stack = stack
        self.file_store = store
        self.rabbit = rabbit
        self.batch = batch
        self.clients = clients
        self.converge_timeout = converge_timeout
        self.http = httpx2.Client(timeout=30.0)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stack.admin_key}"}

    def close(self) -> None:
        self.http.close()

    # -- set-up and observation ------------------------------------------------------------

    def member_with_key(self, code: str) -> str:
        catalogue, ingest = self.stack.url("catalogue"), self.stack.url("ingest")
        body = {"code": code, "name": f"Thành viên thử sự cố {code}", "type": "institute"}
        self.http.post(f"{catalogue}/v1/members", json=body, headers=self.admin).raise_for_status()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            response = self.http.post(f"{ingest}/v1/members/{code}/keys", headers=self.admin)
            if response.status_code != 404:
                response.raise_for_status()
                return str(response.json()["key"])
            time.sleep(0.2)
        raise TimeoutError(f"ingest never learnt of member {code}")

    def _get(self, progress: Progress, url: str, what: str, **params: Any) -> Any:
        try:
            response = self.http.get(url, params=params)
        except httpx2.TransportError:
            return None
        if response.status_code >= 500:
            progress.error(response.status_code, what)
        return response.json() if response.status_code == 200 else None

    def stored(self, progress: Progress, member: str) -> tuple[int, int]:
        """(records the catalogue lists for ``member``, those of them past version 1)."""
        url = f"{self.stack.url('catalogue')}/v1/records"
        count = changed = 0
        after: str | None = None
        while True:
            params: dict[str, Any] = {"member": member, "limit": 1000}
            if after:
                params["after"] = after
            page = self._get(progress, url, "GET /v1/records", **params)
            if page is None:
                return -1, -1
            count += len(page["records"])
            changed += sum(1 for r in page["records"] if r.get("version", 1) != 1)
            after = page.get("next")
            if not after:
                return count, changed

    def indexed(self, progress: Progress, member: str) -> int:
        url = f"{self.stack.url('search')}/v1/search"
        body = self._get(progress, url, "GET /v1/search", member=member, per_page=1)
        return int(body["total"]) if body else -1

    def dead_lettered(self) -> int:
        return sum(d.dead for d in asyncio.run(depths(self.stack.settings)))

    # -- running ---------------------------------------------------------------------------

    def run(self, name: str, fault: Fault, records: int) -> Row:
        code = f"cx{uuid.uuid4().hex[:8]}"
        key = self.member_with_key(code)
        every = works_of_its_own(corpus(records, code), code)
        batches = [every[i : i + self.batch] for i in range(0, records, self.batch)]
        progress = Progress(batches=len(batches))
        client = Client(self.stack.url("ingest"), key, progress)
        dead_before = self.dead_lettered()
        with ThreadPoolExecutor(self.clients) as pool:
            futures = [
                pool.submit(client.push, f"{code}-batch-{n}", chunk)
                for n, chunk in enumerate(batches)
            ]
            fault_at = fault(self, progress)
            outage = time.monotonic() - fault_at
            for future in futures:
                future.result()
        row = Row(name, records, pushed=progress.pushed, outage_s=outage)
        row.converged_s = self.converge(row, progress, code, key, fault_at)
        row.dropped = progress.dropped
        row.dead_lettered = self.dead_lettered() - dead_before
        row.errors = progress.errors
        return row

    def unfinished(self, progress: Progress, key: str) -> int:
        """Submissions the clients were given that ingest does not report ``done``."""
        ids = [sid for seen in progress.submissions.values() for sid in seen]
        url = f"{self.stack.url('ingest')}/v1/submissions"
        headers = {"Authorization": f"Bearer {key}"}
        not_done = 0
        for sid in ids:
            try:
                response = self.http.get(f"{url}/{sid}", headers=headers)
            except httpx2.TransportError:
                return len(ids)
            if response.status_code >= 500:
                progress.error(response.status_code, "GET /v1/submissions/{id}")
            if response.status_code == 429:
                return len(ids)  # asked again at the next poll
            if response.status_code != 200 or response.json().get("state") != "done":
                not_done += 1
        return not_done

    def converge(
        self, row: Row, progress: Progress, code: str, key: str, since: float
    ) -> float | None:
        """Poll until ``code``'s records are stored and indexed and every submission done;
        returns the seconds since the fault (None past the timeout)."""
        deadline = time.monotonic() + self.converge_timeout
        while True:
            row.stored, changed = self.stored(progress, code)
            row.indexed = self.indexed(progress, code)
            extra_submissions = sum(len(ids) - 1 for ids in progress.submissions.values())
            row.duplicates = max(0, changed) + max(0, row.indexed - row.stored) + extra_submissions
            if row.stored >= row.pushed and row.indexed >= row.pushed:
                row.unfinished = self.unfinished(progress, key)
                if row.unfinished == 0:
                    return time.monotonic() - since
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)

    # -- the parts a fault acts on -----------------------------------------------------------

    def kill_service(self, name: str) -> None:
        self.stack.processes[name].kill()

    def restart_service(self, name: str) -> None:
        self.stack.start_service(name)
        self.stack.wait_ready(name, timeout=180)

    def wait_until_ready(self) -> None:
        """Every service answers ``/readyz`` 200 again (after an outage of a shared part)."""
        for name in self.stack.processes:
            self.stack.wait_ready(name, timeout=180)

    @property
    def store(self) -> FileStore:
        if self.file_store is None:
            raise RuntimeError("the store scenarios need a FileStore of the bench's own")
        return self.file_store


# A fault waits for its moment in the push, does its damage, repairs it, and returns the
# monotonic time the damage began.
Fault = Callable[[Chaos, Progress], float]


def _wait(check: Callable[[], bool], *, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the push never reached the fault's moment")
        time.sleep(0.01)


def works_of_its_own(records: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """The corpus with titles no other scenario pushes: the same works pushed again by each
    scenario's member would make every record a duplicate of all the earlier copies (each
    new copy rewrites and republishes the others' "also held by"), a duplicate-linking load
    that grows with each scenario instead of a fault test (docs/operators/reliability.md)."""
    return [{**record, "title": f"{record['title']} [{code}]"} for record in records]


def _a_third_pushed(progress: Progress) -> Callable[[], bool]:
    return lambda: progress.accepted >= max(1, progress.batches // 3)


def kill_service_fault(name: str) -> Fault:
    """SIGKILL ``name`` once a third of the batches are accepted, then start it again."""

    def fault(chaos: Chaos, progress: Progress) -> float:
        _wait(_a_third_pushed(progress))
        at = time.monotonic()
        chaos.kill_service(name)
        chaos.restart_service(name)
        return at

    return fault


# How long a request has been in flight when ingest is killed: early (validating and
# storing its rows, the submission still ``receiving``), later (sealed, publishing).
INGEST_KILL_AGES = (0.05, 0.15, 0.3)


def kill_ingest_mid_request(chaos: Chaos, progress: Progress) -> float:
    """SIGKILL ingest three times, each while a request is in flight, at a quarter, half and
    three quarters of the push; the clients retry under the same Idempotency-Key."""
    first: float | None = None
    for n, age in enumerate(INGEST_KILL_AGES, 1):
        mark = min(progress.batches - 1, max(n, progress.batches * n // 4))
        _wait(lambda mark=mark: progress.accepted >= mark)
        _wait(lambda age=age: progress.oldest_request() > age or progress.all_accepted)
        if progress.all_accepted:
            break
        at = time.monotonic()
        first = first or at
        chaos.kill_service("ingest")
        chaos.restart_service("ingest")
    return first or time.monotonic()


def kill_store(chaos: Chaos, progress: Progress) -> float:
    """SIGKILL SecantusDB the moment a 202 arrives (a write just acknowledged), restart it."""
    _wait(_a_third_pushed(progress))
    progress.accepted_now.clear()
    _wait(progress.accepted_now.is_set)
    at = time.monotonic()
    chaos.store.kill()
    chaos.store.start()
    return at


def stop_store(seconds: float) -> Fault:
    """Stop SecantusDB for ``seconds`` while the catalogue writes, then start it again."""

    def fault(chaos: Chaos, progress: Progress) -> float:
        _wait(_a_third_pushed(progress))
        at = time.monotonic()
        chaos.store.stop()
        time.sleep(seconds)
        chaos.store.start()
        chaos.wait_until_ready()
        return at

    return fault


def stop_broker(seconds: float) -> Fault:
    """Stop the bench's own RabbitMQ node for ``seconds``, then start it again."""

    def fault(chaos: Chaos, progress: Progress) -> float:
        if chaos.rabbit is None:
            raise RuntimeError("the broker scenario needs the bench's own RabbitMQ node")
        _wait(_a_third_pushed(progress))
        at = time.monotonic()
        chaos.rabbit.stop()
        time.sleep(seconds)
        chaos.rabbit.start()
        chaos.wait_until_ready()
        return at

    return fault


SCENARIOS: dict[str, Fault] = {
    "ingest": kill_ingest_mid_request,
    "catalogue": kill_service_fault("catalogue"),
    "search": kill_service_fault("search"),
    "notify": kill_service_fault("notify"),
    "store-kill": kill_store,
    "store-down-40s": stop_store(40.0),
    "broker-down-30s": stop_broker(30.0),
}
LABELS = {
    "ingest": "1 SIGKILL ingest ×3",
    "catalogue": "2 SIGKILL catalogue",
    "search": "3 SIGKILL search",
    "notify": "4 SIGKILL notify",
    "store-kill": "5 SIGKILL store",
    "store-down-40s": "6 store down 40 s",
    "broker-down-30s": "7 broker down 30 s",
}


def pick(spec: str) -> list[str]:
    """Scenario names from ``all`` or a comma list of numbers (1-7) or names."""
    names = list(SCENARIOS)
    if spec == "all":
        return names
    chosen = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name = names[int(part) - 1] if part.isdigit() and 1 <= int(part) <= 7 else part
        if name not in SCENARIOS:
            raise SystemExit(f"unknown scenario {part!r}; one of 1-7 or {', '.join(names)}")
        chosen.append(name)
    return chosen


def chaos_settings(data_dir: Path, *, amqp_url: str, mongo_url: str, **extra: Any) -> Settings:
    """A namespace, database, data dir, keys and ports of the run's own."""
    namespace = f"chaos-{uuid.uuid4().hex[:8]}"
    return Settings(
        amqp_url=amqp_url,
        mongo_url=mongo_url,
        mongo_embedded=True,
        meili_url=None,
        stinet_namespace=namespace,
        stinet_db=namespace.replace("-", "_"),
        stinet_data_dir=data_dir,
        stinet_admin_key=f"chaos-{uuid.uuid4().hex}",
        stinet_key_pepper=f"chaos-{uuid.uuid4().hex}",
        ingest_port=free_port(),
        catalogue_port=free_port(),
        search_port=free_port(),
        notify_port=free_port(),
        **extra,
    )


@contextmanager
def running_chaos(
    base: Path,
    *,
    amqp_url: str,
    env: dict[str, str],
    rabbit: RabbitNode | None = None,
    batch: int = 1_000,
    clients: int = 4,
    converge_timeout: float = 600.0,
) -> Iterator[Chaos]:
    """SecantusDB on a file store and the four services (as ``make run`` starts them)."""
    store = FileStore(base / "store").start()
    settings = chaos_settings(base / "data", amqp_url=amqp_url, mongo_url=store.url)
    stack = LocalStack(settings, env=env)
    chaos = Chaos(
        stack,
        store=store,
        rabbit=rabbit,
        batch=batch,
        clients=clients,
        converge_timeout=converge_timeout,
    )
    try:
        stack.start(timeout=180)
        yield chaos
    finally:
        chaos.close()
        stack.stop()
        store.stop()
        asyncio.run(delete_topology(settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="per scenario")
    parser.add_argument("--scenarios", default="all", help="all, or e.g. 1,2,5 or ingest,notify")
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    names = pick(args.scenarios)
    env = {k: v for k, v in os.environ.items() if k not in ISOLATE}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="stinet-chaos-") as tmp:
        rabbit = RabbitNode(Path(tmp) / "rabbitmq").start()
        try:
            with running_chaos(
                Path(tmp), amqp_url=rabbit.url, env=env, rabbit=rabbit,
                batch=args.batch, clients=args.clients,
            ) as chaos:  # fmt: skip
                print(f"{args.records} records per scenario, batches of {args.batch}, "
                      f"{args.clients} clients")  # fmt: skip
                print(HEADER, flush=True)
                for name in names:
                    rows.append(chaos.run(LABELS[name], SCENARIOS[name], args.records))
                    print(format_row(rows[-1]), flush=True)
        finally:
            rabbit.stop()
    sys.exit(0 if rows and all(row.ok for row in rows) else 1)


if __name__ == "__main__":
    main()
