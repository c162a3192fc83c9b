"""A whole local stack: SecantusDB (unless ``MONGO_URL`` is set) and the four services.

``make run`` and the end-to-end tests start and stop the system with the same code:
:class:`LocalStack`. Services stop first (SIGTERM: in-flight messages finish or go back to
their queue), then SecantusDB.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from devstack.processes import (
    SERVICES,
    ManagedProcess,
    free_port,
    http_ok,
    port_answers,
    secantus_process,
    service_process,
)
from shared.config import PEPPER_FILE, Settings, stored_secret
from shared.topology import delete_topology

DEFAULT_MONGO_PORT = 27217
# Restart back-off, as compose's ``restart:`` does it: 1 s, 2 s, 4 s … at most 30 s; a
# process that stayed up this long starts again from 1 s.
BACKOFF_FIRST, BACKOFF_MAX, BACKOFF_RESET_AFTER = 1.0, 30.0, 60.0
PORT_VARIABLES = {
    "search": "SEARCH_PORT",
    "ingest": "INGEST_PORT",
    "catalogue": "CATALOGUE_PORT",
    "notify": "NOTIFY_PORT",
}


class StackError(RuntimeError):
    """The stack cannot start; the message says what to do (Vietnamese, then English)."""


class PortTakenError(StackError):
    """A service port is already in use by another process."""


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
    tmp.replace(path)


def local_host(bind_host: str) -> str:
    """The address to reach a service bound to ``bind_host`` from this machine."""
    return "127.0.0.1" if bind_host in ("0.0.0.0", "::", "") else bind_host


@dataclass
class Restarts:
    """When one supervised process may start again (exponential back-off)."""

    failures: int = 0
    due: float | None = None  # set while it is down and waiting
    started_at: float = 0.0

    def delay(self) -> float:
        return min(BACKOFF_MAX, BACKOFF_FIRST * 2**self.failures)

    def note_running(self, now: float) -> None:
        if self.failures and now - self.started_at >= BACKOFF_RESET_AFTER:
            self.failures = 0

    def note_down(self, now: float) -> float:
        """Schedule the restart; returns the delay."""
        delay = self.delay()
        self.due = now + delay
        return delay

    def note_started(self, now: float) -> None:
        self.failures += 1
        self.due = None
        self.started_at = now


@dataclass
class LocalStack:
    """SecantusDB plus the four services as separate processes, configured from ``settings``.

    ``env`` is the base environment handed to every child (defaults to ``os.environ``);
    the stack adds the values it decides (MONGO_URL, keys, data dir, ports).
    """

    settings: Settings
    env: Mapping[str, str] | None = None
    secantus_storage: str | None = None  # default: <data dir>/mongo; ":memory:" for tests
    processes: dict[str, ManagedProcess] = field(default_factory=dict, init=False)
    secantus: ManagedProcess | None = field(default=None, init=False)
    mail_catcher: ManagedProcess | None = field(default=None, init=False)
    smtp_port: int | None = field(default=None, init=False)
    _lock: int | None = field(default=None, init=False, repr=False)
    mongo_url: str = field(default="", init=False)
    admin_key: str = field(default="", init=False)
    key_pepper: str = field(default="", init=False)
    restarts: dict[str, Restarts] = field(default_factory=dict, init=False)

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.stinet_data_dir).resolve()

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def host(self) -> str:
        return local_host(self.settings.stinet_bind_host)

    def port(self, service: str) -> int:
        return int(getattr(self.settings, f"{service}_port"))

    def url(self, service: str) -> str:
        return f"http://{self.host}:{self.port(service)}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in SERVICES}

    def log_path(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"

    # -- start -------------------------------------------------------------------------

    def start(self, *, timeout: float = 120.0) -> LocalStack:
        """Start everything and wait until every ``/readyz`` answers 200."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_data_dir()
        try:
            self._check_service_ports()
        except BaseException:
            self._unlock_data_dir()
            raise
        self._resolve_secrets()
        try:
            self._start_mongo(timeout=timeout)
            self._start_mail_catcher(timeout=timeout)
            for name in SERVICES:
                self.start_service(name)
            for name in SERVICES:
                self.wait_ready(name, timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _lock_data_dir(self) -> None:
        """One stack per data dir: two SecantusDB servers must never share its files."""
        path = self.data_dir / "devstack.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise StackError(
                f"Thư mục dữ liệu {self.data_dir} đang được một phiên khác dùng (pid {holder}): "
                "dừng phiên đó (Ctrl-C) hoặc đặt STINET_DATA_DIR khác.\n"
                f"The data dir {self.data_dir} is in use by another run (pid {holder}): "
                "stop it (Ctrl-C) or set another STINET_DATA_DIR."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock = fd

    def _unlock_data_dir(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing releases the lock (the kernel does it on a crash)
            self._lock = None

    def _check_service_ports(self) -> None:
        for name in SERVICES:
            port = self.port(name)
            if port_answers(port, self.host):
                variable = PORT_VARIABLES[name]
                spare = free_port()
                raise PortTakenError(
                    f"Cổng {port} ({variable}, dịch vụ {name}) đang được dùng. "
                    f"Chọn cổng khác, ví dụ: {variable}={spare} make run\n"
                    f"Port {port} ({variable}, service {name}) is taken. "
                    f"Pick another one, e.g. {variable}={spare} make run"
                )

    def _resolve_secrets(self) -> None:
        # The same files the services read when a secret is not configured (shared.config).
        self.admin_key = (
            self.settings.admin_key or stored_secret(None, self.data_dir, "admin-key").decode()
        )
        self.key_pepper = stored_secret(
            self.settings.stinet_key_pepper, self.data_dir, PEPPER_FILE
        ).decode()

    def _start_mongo(self, *, timeout: float) -> None:
        if self.settings.mongo_url is not None:
            self.mongo_url = self.settings.mongo_url.get_secret_value()
            return
        port = DEFAULT_MONGO_PORT if not port_answers(DEFAULT_MONGO_PORT) else free_port()
        storage = self.secantus_storage or str(self.data_dir / "mongo")
        self.secantus = secantus_process(
            port=port, storage=storage, log_path=self.log_dir / "secantusdb.log"
        ).start()
        self.secantus.wait_until(lambda: port_answers(port), timeout=timeout)
        self.mongo_url = f"mongodb://127.0.0.1:{port}/"

    def _start_mail_catcher(self, *, timeout: float) -> None:
        """Unless ``SMTP_HOST`` is set, mail goes to a local aiosmtpd writing to a Maildir."""
        base = os.environ if self.env is None else self.env
        if "SMTP_HOST" in base:
            return
        port = free_port()
        argv = [
            sys.executable, "-m", "aiosmtpd", "-n", "-u",
            "-l", f"127.0.0.1:{port}",
            "-c", "aiosmtpd.handlers.Mailbox", str(self.mail_dir),
        ]  # fmt: skip
        for sub in ("tmp", "new", "cur"):  # a Maildir
            (self.mail_dir / sub).mkdir(parents=True, exist_ok=True)
        self.mail_catcher = ManagedProcess(
            "mail", argv, dict(base), self.log_dir / "mail.log"
        ).start()
        self.mail_catcher.wait_until(lambda: port_answers(port), timeout=timeout)
        self.smtp_port = port

    @property
    def uses_embedded_store(self) -> bool:
        """The store is SecantusDB: started here, or named so by ``MONGO_EMBEDDED``."""
        return self.secantus is not None or self.settings.mongo_embedded

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    def service_env(self) -> dict[str, str]:
        """The environment every service process gets (docs/operators/README.md §2 names)."""
        env = dict(os.environ if self.env is None else self.env)
        s = self.settings
        env.update(
            {
                "AMQP_URL": s.amqp_url.get_secret_value(),
                "MONGO_URL": self.mongo_url,
                "MONGO_EMBEDDED": "true" if self.uses_embedded_store else "false",
                "STINET_ADMIN_KEY": self.admin_key,
                "STINET_KEY_PEPPER": self.key_pepper,
                "STINET_DATA_DIR": str(self.data_dir),
                "STINET_DB": s.stinet_db,
                "STINET_NAMESPACE": s.stinet_namespace,
                "STINET_BIND_HOST": s.stinet_bind_host,
                "CATALOGUE_URL": s.catalogue_url or self.url("catalogue"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for name, variable in PORT_VARIABLES.items():
            env[variable] = str(self.port(name))
        if self.smtp_port is not None:
            env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(self.smtp_port), SMTP_STARTTLS="0")
        if "STINET_PUBLIC_URL" not in env:
            env["STINET_PUBLIC_URL"] = self.url("search")
        if "NOTIFY_PUBLIC_URL" not in env:
            env["NOTIFY_PUBLIC_URL"] = self.url("notify")
        if "INGEST_PUBLIC_URL" not in env:
            env["INGEST_PUBLIC_URL"] = self.url("ingest")
        return env

    def start_service(self, name: str) -> ManagedProcess:
        """Start (or restart) one service process; returns without waiting for readiness."""
        old = self.processes.get(name)
        if old is not None and old.running:
            raise StackError(f"{name} is already running")
        process = service_process(name, self.service_env(), self.log_path(name)).start()
        self.processes[name] = process
        return process

    def wait_ready(self, name: str, *, timeout: float = 120.0) -> None:
        """Wait until the service's ``/readyz`` answers 200 (raises with its log tail)."""
        url = f"{self.url(name)}/readyz"
        self.processes[name].wait_until(lambda: http_ok(url), timeout=timeout)

    # -- supervise ---------------------------------------------------------------------

    def supervised(self) -> dict[str, ManagedProcess]:
        """Every process the stack started: the store first, then mail, then the services."""
        found = {"secantusdb": self.secantus, "mail": self.mail_catcher, **self.processes}
        return {name: process for name, process in found.items() if process is not None}

    def supervise(self, now: float | None = None) -> list[str]:
        """Start again what died, with back-off (compose's ``restart:``); returns what happened.

        Called over and over by ``make run``. A process restarts with the same command,
        ports and files (SecantusDB keeps its port, so the services' MONGO_URL holds).
        """
        now = time.monotonic() if now is None else now
        events: list[str] = []
        for name, process in self.supervised().items():
            restarts = self.restarts.setdefault(name, Restarts(started_at=now))
            if process.running:
                restarts.note_running(now)
            elif restarts.due is None:
                code = process.process.returncode if process.process else None
                delay = restarts.note_down(now)
                events.append(
                    f"{name} đã dừng bất thường (mã {code}), khởi động lại sau {delay:g} s / "
                    f"{name} exited (code {code}); restarting in {delay:g} s. "
                    f"Log {process.log_path}:\n{process.tail(10)}"
                )
            elif now >= restarts.due:
                process.start()
                restarts.note_started(now)
                pid = process.process.pid if process.process else "?"
                events.append(f"{name} đã khởi động lại / restarted (pid {pid})")
        return events

    def pids(self) -> dict[str, int]:
        return {
            name: process.process.pid
            for name, process in self.supervised().items()
            if process.process is not None
        }

    # -- stop --------------------------------------------------------------------------

    def stop_service(self, name: str, *, timeout: float = 40.0) -> int | None:
        """SIGTERM one service and wait for it; returns its exit code."""
        process = self.processes.get(name)
        return None if process is None else process.stop(timeout)

    def stop(self) -> dict[str, int | None]:
        """Stop the services (SIGTERM, in parallel), then SecantusDB; returns exit codes."""
        codes: dict[str, int | None] = {}
        # One SIGTERM each (a second one makes uvicorn skip the graceful shutdown).
        for process in self.processes.values():
            if process.running and process.process is not None:
                process.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 40.0
        for name, process in self.processes.items():
            codes[name] = _wait_or_kill(process, deadline)
        if self.mail_catcher is not None:
            self.mail_catcher.stop(10.0)  # aiosmtpd ends by the signal itself (-15): no code
        if self.secantus is not None:
            codes["secantusdb"] = self.secantus.stop(30.0)
        self._unlock_data_dir()
        return codes

    def tails(self, lines: int = 60) -> str:
        """The last lines of every log (for failures)."""
        parts = []
        for name, process in self.processes.items():
            parts.append(f"----- {name} ({process.log_path}) -----\n{process.tail(lines)}")
        if self.secantus is not None:
            parts.append(f"----- secantusdb -----\n{self.secantus.tail(lines)}")
        return "\n".join(parts)


def _wait_or_kill(process: ManagedProcess, deadline: float) -> int | None:
    if process.process is None:
        return None
    try:
        return process.process.wait(max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        return process.process.returncode


def redact_url(url: str) -> str:
    """``url`` (or each of a comma-separated list) without its password (for printing)."""
    if "," in url:
        return ",".join(redact_url(part.strip()) for part in url.split(","))
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


delete_namespace = delete_topology
