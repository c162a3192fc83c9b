"""What every service process shares: the FastAPI shell around a FastStream broker.

``ServiceRuntime`` owns the process's clients. They are created in the app's lifespan
(never at import), the topology is declared, the broker consumes, and on SIGTERM uvicorn
runs the lifespan's exit: the broker stops consuming and waits for in-flight handlers
(unacked messages go back to their queue), then the Mongo client closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any, Protocol, runtime_checkable

import uvicorn
from fastapi import FastAPI
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from faststream.specification import AsyncAPI
from prometheus_client import REGISTRY, Gauge
from pydantic import BaseModel
from pymongo import AsyncMongoClient

from shared.amqp import broker_addresses
from shared.config import Settings
from shared.http import (
    ReadinessCheck,
    health_router,
    install_error_handlers,
    install_error_responses,
    install_request_context,
)
from shared.logging import configure_logging, get_logger
from shared.mongo import Document
from shared.ratelimit import MemoryWindows, RateLimit, VisitorLimit, trusted_addresses
from shared.topology import (
    SUBSCRIPTIONS,
    declare_topology,
    dlq_name,
    has_dead_letter_queue,
    make_broker,
    queue_name,
)

Hook = Callable[[], Awaitable[None]]

# A batch of 500 records allocates hundreds of thousands of short-lived objects. At CPython's
# default (a young collection every 700 allocations, a full one every 100 young ones) a
# quarter of the catalogue's CPU went to the cycle collector; at these, under 1 %.
GC_THRESHOLDS = (50_000, 20, 10)

_PROMETHEUS_MIDDLEWARE: RabbitPrometheusMiddleware | None = None


def _prometheus_middleware() -> RabbitPrometheusMiddleware:
    # One per process: its collectors register in the global registry exactly once.
    global _PROMETHEUS_MIDDLEWARE
    if _PROMETHEUS_MIDDLEWARE is None:
        _PROMETHEUS_MIDDLEWARE = RabbitPrometheusMiddleware(registry=REGISTRY, app_name="stinet")
    return _PROMETHEUS_MIDDLEWARE


def make_service_broker(settings: Settings) -> RabbitBroker:
    return make_broker(
        settings, middlewares=(_prometheus_middleware(),), timeout=BROKER_CONNECT_TIMEOUT
    )


QUEUE_MESSAGES = Gauge(
    "stinet_queue_messages",
    "Messages ready in a queue this service consumes, and in its dead-letter queue",
    ["queue"],
)
# A channel of its own: a passive declare that fails closes its channel, never the consumers'.
_METRICS_CHANNEL = Channel()


class QueueDepth(BaseModel):
    """Messages ready in a work queue and in its dead-letter queue (None: it has none)."""

    name: str
    messages: int
    dlq_messages: int | None


async def queue_depths(
    broker: RabbitBroker, settings: Settings, service: str | None = None
) -> list[QueueDepth]:
    """The depth of every work queue (of ``service``, or all) and its DLQ, by passive declares."""
    channel = await broker.config.channel_manager.get_channel(_METRICS_CHANNEL)

    async def count(name: str) -> int:
        queue = await channel.declare_queue(name, passive=True)
        return int(queue.declaration_result.message_count or 0)

    depths: list[QueueDepth] = []
    for sub in SUBSCRIPTIONS:
        if service is not None and sub.service != service:
            continue
        dlq = await count(dlq_name(settings, sub)) if has_dead_letter_queue(sub) else None
        depths.append(
            QueueDepth(
                name=queue_name(settings, sub),
                messages=await count(queue_name(settings, sub)),
                dlq_messages=dlq,
            )
        )
    return depths


async def refresh_queue_depths(broker: RabbitBroker, settings: Settings, service: str) -> None:
    """Read the depth of the service's work queues and their DLQs into ``QUEUE_MESSAGES``."""
    for depth in await queue_depths(broker, settings, service):
        QUEUE_MESSAGES.labels(depth.name).set(depth.messages)
        if depth.dlq_messages is not None:
            QUEUE_MESSAGES.labels(f"{depth.name}.dlq").set(depth.dlq_messages)


async def broker_ready(broker: RabbitBroker) -> bool:
    return await broker.ping(timeout=2.0)


# A connection (the first or a reconnection) completes its AMQP handshake within this, or
# fails: a hung broker must not leave a service "waiting for startup" for ever.
BROKER_CONNECT_TIMEOUT = 15.0
BROKER_HINT = (
    "check the broker: scripts/ensure-rabbitmq (it tests the AMQP handshake), "
    "rabbitmqctl status; a broker whose port is open but which never answers needs a restart"
)


class BrokerUnavailableError(RuntimeError):
    """The service's first broker connection failed; the log line says which and why."""


async def connect_broker(broker: RabbitBroker, settings: Settings, service: str) -> None:
    """Connect and declare the topology, or log which broker failed at what, and raise.

    The handshake is bounded by the broker's own connection timeout (``make_service_broker``):
    cancelling aio-pika's robust connect from outside leaves it reconnecting for ever.
    """
    step = "connect"  # TCP, the AMQP handshake, a channel
    try:
        await broker.connect()
        step = "declare_topology"
        async with asyncio.timeout(BROKER_CONNECT_TIMEOUT):
            await declare_topology(broker, settings)
        return
    except TimeoutError:
        failed = f"{step}: no answer within {BROKER_CONNECT_TIMEOUT:g} s"
    except Exception as exc:  # its text may carry the URL with a password: the type only
        failed = f"{step}: {type(exc).__name__}"
    address = broker_addresses(settings.amqp_url.get_secret_value())
    get_logger(service).error("broker_unreachable", broker=address, failed=failed, hint=BROKER_HINT)
    await broker.stop()
    raise BrokerUnavailableError(f"RabbitMQ at {address}: {failed}") from None


def mongo_ready(client: AsyncMongoClient[Document]) -> ReadinessCheck:
    async def check() -> bool:
        await client.admin.command("ping")
        return True

    return check


@runtime_checkable
class Indexed(Protocol):
    """A store that declares its MongoDB indexes (the Mongo adapters; fakes declare none)."""

    async def ensure_indexes(self) -> None: ...


async def ensure_indexes(*stores: object) -> None:
    """Create the indexes of every store given that declares some, in the app's lifespan."""
    for store in stores:
        if isinstance(store, Indexed):
            await store.ensure_indexes()


# A periodic step: whatever it returns (a count written, say) is ignored.
Step = Callable[[], Awaitable[object]]


class Periodic:
    """The ``steps``, in turn, every ``interval`` seconds from ``start`` until ``stop``: a
    background loop of a service (an outbox relay, a sweep). A failing step is logged, the
    others still run, and it is tried again next round: the loop outlives a broker or store
    outage. ``stop`` waits for the step under way, or
    (``cancel_on_stop``: a long step whose work is leased, like notify's sweep) cancels it."""

    def __init__(
        self,
        name: str,
        *steps: Step,
        interval: float,
        service: str,
        wait_first: bool = False,
        cancel_on_stop: bool = False,
    ) -> None:
        self.name = name
        self._cancel_on_stop = cancel_on_stop
        self._steps = steps
        self._interval = interval
        self._wait_first = wait_first
        self._log = get_logger(service)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        if self._wait_first:
            await self._pause()
        while not self._stopping.is_set():
            for step in self._steps:
                try:
                    await step()
                except Exception:  # the loop outlives a bad step; the next round retries
                    self._log.exception(f"{self.name}_failed", step=step.__name__)
            await self._pause()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self._interval)

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            if self._cancel_on_stop:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def create_service_app(
    *,
    service: str,
    title: str,
    settings: Settings,
    broker: RabbitBroker,
    checks: Mapping[str, ReadinessCheck],
    on_startup: Hook | None = None,
    on_started: Hook | None = None,
    on_stopping: Hook | None = None,
    on_shutdown: Hook | None = None,
    consume: bool = True,
    visitor_limit: str = "",
) -> FastAPI:
    """The FastAPI app of one service, with the broker started and stopped in its lifespan.

    Order: ``on_startup`` (open stores, ensure indexes) → broker connects, declares the
    topology and consumes → ``on_started`` (background loops that publish) … then
    ``on_stopping`` (stop those loops) → broker stops (in-flight handlers finish, unacked
    messages return to their queue) → ``on_shutdown`` (close stores).

    ``visitor_limit`` (``limits`` syntax, empty for none) bounds every request per visitor
    address, counted in this process (:class:`shared.ratelimit.VisitorLimit`).
    """
    log = get_logger(service)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if on_startup is not None:
            await on_startup()
        await connect_broker(broker, settings, service)
        if consume:
            await broker.start()
        if on_started is not None:
            await on_started()
        log.info("service_started", service=service)
        try:
            yield
        finally:
            log.info("service_stopping", service=service)
            if on_stopping is not None:
                await on_stopping()
            await broker.stop()
            if on_shutdown is not None:
                await on_shutdown()
            log.info("service_stopped", service=service)

    app = FastAPI(title=title, lifespan=lifespan, version="0.1.0")
    install_error_handlers(app)
    install_error_responses(app, frozenset({429}) if visitor_limit else frozenset())
    if visitor_limit:
        per = ("cho mỗi địa chỉ", "per address")
        limit = RateLimit(visitor_limit, MemoryWindows(), per=per)
        unlimited = trusted_addresses(settings.stinet_trusted_proxies)
        app.add_middleware(VisitorLimit, limit=limit, unlimited=unlimited)
    install_request_context(app, service)
    app.include_router(
        health_router(
            {"broker": lambda: broker_ready(broker), **checks},
            before_metrics=lambda: refresh_queue_depths(broker, settings, service),
        )
    )

    spec = AsyncAPI(broker, title=f"{title} — events", version="0.1.0")

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> Any:
        """The service's events, generated by FastStream (AsyncAPI 3)."""
        return spec.to_specification().to_jsonable()

    return app


def _exit_cleanly(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(
    app_factory: Callable[[], FastAPI], *, service: str, port: int, settings: Settings
) -> None:
    """Run one service until SIGINT/SIGTERM (uvicorn runs the lifespan's exit on both)."""
    configure_logging(service, settings.stinet_log_level)
    # uvicorn re-raises the signal that stopped it once its graceful shutdown is done;
    # these handlers turn that into exit status 0 (the stop was clean: the lifespan exit ran).
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _exit_cleanly)
    app = app_factory()
    # What was built so far (modules, schemas, routes) lives as long as the process: the
    # collector never needs to scan it again.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    uvicorn.run(
        app,
        host=settings.stinet_bind_host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
        lifespan="on",
        proxy_headers=True,
        forwarded_allow_ips=settings.stinet_trusted_proxies,
    )


__all__: list[Any] = [
    "Periodic",
    "broker_ready",
    "create_service_app",
    "ensure_indexes",
    "make_service_broker",
    "mongo_ready",
    "serve",
]
