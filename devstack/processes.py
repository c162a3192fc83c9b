"""Start and stop the processes of a local stack: SecantusDB and the four services."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("catalogue", "ingest", "search", "notify")


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


MEMORY_STORAGE = ":memory:"
ORPHAN_GUARD = Path(__file__).with_name("orphan_guard.py")


@dataclass
class ManagedProcess:
    """A child process with its output in a log file, stopped with SIGTERM then SIGKILL.

    It gets SIGTERM when this process dies, however it dies (see ``orphan_guard``): start it
    from the main thread, since the kernel ties that signal to the thread that started it.
    """

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(ORPHAN_GUARD), str(os.getpid()), "--", *self.argv],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_until(self, ready: callable, timeout: float = 60.0) -> None:  # type: ignore[valid-type]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}:\n{self.tail()}")
            if ready():
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f} s; see {self.log_path}")

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def secantus_process(*, port: int, storage: Path | str, log_path: Path) -> ManagedProcess:
    """SecantusDB (GPL-2.0) as a separate server process; never imported by our code.

    ``--standalone``: no service uses change streams or transactions, so the replica-set
    oplog (one extra encoded copy of every written document) is pure cost; without it the
    catalogue's store CPU per 500-record batch drops by about a third.

    ``--sync-on-commit`` for a store on disk: without it an acknowledged write lives only in
    the WiredTiger log buffer, and a SIGKILL loses it (issue 14 B). ``:memory:`` is thrown
    away at exit anyway, so it goes without.
    """
    binary = Path(sys.executable).with_name("secantusd-py")
    argv = [
        str(binary),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        str(storage),
        "--log-level",
        "WARNING",
        "--standalone",
    ]
    if str(storage) != MEMORY_STORAGE:
        argv.append("--sync-on-commit")
    return ManagedProcess("secantusdb", argv, dict(os.environ), log_path)


def service_process(name: str, env: dict[str, str], log_path: Path) -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, "-m", f"services.{name}"], env, log_path)
