"""Real test doubles for notify: an aiosmtpd server, a webhook receiver, an app runner."""

from __future__ import annotations

import asyncio
import contextlib
import email
import hashlib
import hmac
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx2
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from devstack.processes import free_port
from shared.config import Settings
from shared.events import Event
from shared.topology import make_broker, publish_event


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives; can refuse or hang on demand."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    hang_at: int | None = None  # the n-th DATA (1-based) hangs until ``release`` is set
    received: int = 0
    hung_key: str | None = None
    hanging: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received += 1
            number = self.received
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
        if self.hang_at == number:
            hung = email.message_from_bytes(envelope.content, policy=default_policy)
            self.hung_key = str(hung["X-Stinet-Reminder"])
            self.hanging.set()
            await asyncio.to_thread(self.release.wait, 60)
            return "451 4.3.0 Gone"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, recipient: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == recipient]

    def delivered_keys(self) -> list[str]:
        with self.lock:
            return [str(m["X-Stinet-Reminder"]) for m in self.messages]


@contextlib.contextmanager
def smtp_server(mailbox: Mailbox, port: int | None = None) -> Any:
    controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def text_of(message: EmailMessage, lang: str = "vi") -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and part["Content-Language"] == lang:
            return str(part.get_content())
    raise AssertionError(f"no text/plain part in {lang}")


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A plain asyncio HTTP server that records POSTs; ``fail_next`` answers 500."""

    port: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: int = 0
    attempts: int = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.attempts += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            status = b"500 Internal Server Error"
        else:
            self.deliveries.append(Delivery(path, headers, body))
            status = b"204 No Content"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[WebhookReceiver]:
        self.port = free_port()
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        try:
            yield self
        finally:
            server.close()
            await server.wait_closed()

    def url(self, member: str) -> str:
        return f"http://127.0.0.1:{self.port}/hook/{member}"


def signature_valid(secret: str, delivery: Delivery) -> bool:
    """What a member's receiver does: recompute the HMAC of the raw body, compare."""
    expected = "sha256=" + hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, delivery.headers.get("x-stinet-signature", ""))


@contextlib.asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """Run the app's lifespan (broker, Mongo) and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://notify") as client:
            yield client


async def publish(settings: Settings, *events: Event) -> None:
    broker = make_broker(settings)
    async with broker:
        for event in events:
            await publish_event(broker, settings, event)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def admin(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.admin_key}"}
