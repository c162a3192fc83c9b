"""Helpers for the outage tests: a broker that hangs, one service process on its own."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.processes import ManagedProcess, free_port, service_process
from shared.config import Settings

LOGS = Path(__file__).parents[1] / "artifacts"


@contextmanager
def hung_broker() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word (a hung RabbitMQ)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stopping.set()
        server.close()
        for connection in held:
            connection.close()
        thread.join(5)


def notify_process(
    settings: Settings, *, amqp_url: str, mongo_url: str
) -> tuple[ManagedProcess, str]:
    """The notify service (the lightest of the four) as its own process, not yet started,
    and its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "AMQP_URL": amqp_url,
        "MONGO_URL": mongo_url,
        "STINET_NAMESPACE": settings.stinet_namespace,
        "STINET_DB": settings.stinet_db,
        "STINET_DATA_DIR": str(settings.stinet_data_dir),
        "STINET_ADMIN_KEY": settings.admin_key or "",
        "NOTIFY_PORT": str(port),
        "SMTP_PORT": str(free_port()),
        "NOTIFY_SWEEP_SECONDS": "3600",
    }
    process = service_process(
        "notify", env, LOGS / f"notify-{settings.stinet_namespace}-{port}.log"
    )
    return process, f"http://127.0.0.1:{port}"
