"""Broker topology and the safe-by-default publish/subscribe helpers (the events: /asyncapi.json,
docs/operators/README.md §1; docs/operators/reliability.md).

FastStream's defaults lose data (transient messages, unbounded prefetch, reject without
requeue); everything here is set explicitly:

* one topic exchange ``{ns}``; routing key = event name;
* one durable quorum queue per consuming service and event, ``{ns}.{service}.{event}``,
  dead-lettered (at-least-once) through ``{ns}.dlx`` to ``{queue}.dlq`` after
  ``x-delivery-limit`` deliveries;
* persistent, mandatory publishes on a channel with publisher confirms that raises when a
  message is returned unroutable;
* handlers nack with requeue on error, ack only after they return;
* a handler that fails because the store is unreachable spends no delivery: its message is
  held and retried in the process until the store answers (``StoreOutageHold``). An outage
  is not a poison message, and only poison messages may reach the ``.dlq``.

A process that keeps a copy of shared state in memory follows an event through a queue of
its own (``process_queue``): every process gets every message, and the queue goes away a
few minutes after its process does.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aio_pika
import aiormq.exceptions
import structlog
from faststream import AckPolicy, BaseMiddleware, ContextRepo
from faststream.message import StreamMessage
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)
from pymongo.errors import ConnectionFailure

if TYPE_CHECKING:
    from faststream.rabbit.schemas.queue import QuorumQueueArgs

from shared.amqp import broker_urls, connect_first, failover_connection_class
from shared.config import Settings
from shared.errors import BrokerUnavailable
from shared.events import (
    Event,
    KeyChanged,
    MemberChanged,
    RecordsChanged,
    RecordsSubmitted,
    ReminderSent,
    SubmissionCompleted,
    SubmissionProcessed,
)


@dataclass(frozen=True)
class Subscription:
    service: str
    event: type[Event]

    @property
    def suffix(self) -> str:
        return f"{self.service}.{self.event.EVENT_NAME.replace('.', '-')}"


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("catalogue", RecordsSubmitted),
    Subscription("ingest", SubmissionProcessed),
    Subscription("ingest", MemberChanged),
    Subscription("search", RecordsChanged),
    Subscription("search", MemberChanged),
    Subscription("notify", RecordsChanged),
    Subscription("notify", MemberChanged),
    Subscription("notify", SubmissionCompleted),
    # Ingest owns the keys; the others keep their own list of revoked keys (shared.auth).
    Subscription("catalogue", KeyChanged),
    Subscription("search", KeyChanged),
    Subscription("notify", KeyChanged),
    # Nobody acts on reminder.sent yet; a bounded audit queue keeps mandatory publishes routable.
    Subscription("audit", ReminderSent),
)

AUDIT_MAX_LENGTH = 100_000
PROCESS_QUEUE_EXPIRES_MS = 5 * 60 * 1000
ORIGIN_HEADER = "x-stinet-origin"  # the process that published a message (``process_queue``)
HOLD_FIRST_DELAY = 0.5  # seconds before a held message is first retried; doubles after each try
HOLD_MAX_DELAY = 10.0
HOLD_STOP_CHECK = 0.25  # seconds between looks at whether the subscriber is stopping
HOLD_LOG_EVERY = 30.0  # seconds between "still unavailable" lines while an outage lasts
log = structlog.get_logger("topology")
# What ``publish_event`` raises when the broker did not confirm (down, cut, timed out, refused).
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    ConnectionError,
    OSError,
    aio_pika.exceptions.AMQPError,
    aiormq.exceptions.AMQPError,
    RuntimeError,
)


def exchange(settings: Settings) -> RabbitExchange:
    return RabbitExchange(settings.stinet_namespace, type=ExchangeType.TOPIC, durable=True)


def dead_letter_exchange(settings: Settings) -> RabbitExchange:
    return RabbitExchange(
        f"{settings.stinet_namespace}.dlx", type=ExchangeType.DIRECT, durable=True
    )


def queue_name(settings: Settings, sub: Subscription) -> str:
    return f"{settings.stinet_namespace}.{sub.suffix}"


def dlq_name(settings: Settings, sub: Subscription) -> str:
    return f"{queue_name(settings, sub)}.dlq"


def has_dead_letter_queue(sub: Subscription) -> bool:
    """Every work queue has a DLQ except the bounded audit queue (it drops its oldest)."""
    return sub.service != "audit"


def subscription(service: str, event: type[Event]) -> Subscription:
    for sub in SUBSCRIPTIONS:
        if sub.service == service and sub.event is event:
            return sub
    raise LookupError(f"{service} does not subscribe to {event.EVENT_NAME}")


def work_queue(settings: Settings, sub: Subscription) -> RabbitQueue:
    """The durable quorum queue of one subscription, with its dead-letter settings."""
    name = queue_name(settings, sub)
    arguments: QuorumQueueArgs
    if sub.service == "audit":
        arguments = {"x-max-length": AUDIT_MAX_LENGTH, "x-overflow": "drop-head"}
    else:
        arguments = {
            "x-dead-letter-exchange": dead_letter_exchange(settings).name,
            "x-dead-letter-routing-key": name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            "x-delivery-limit": settings.stinet_delivery_limit,
        }
    return RabbitQueue(
        name,
        queue_type=QueueType.QUORUM,
        durable=True,
        arguments=arguments,
        routing_key=sub.event.EVENT_NAME,
    )


def process_queue(
    settings: Settings, service: str, event: type[Event], process_id: str
) -> RabbitQueue:
    """One process's own queue of ``event``, to keep an in-memory copy of shared state.

    Classic, not quorum, and without a dead-letter queue: it holds no work and nothing that
    is not in a store, only news that keeps a cache whole. Not exclusive, so a reconnect to a
    node that stayed up finds the messages published meanwhile; RabbitMQ deletes it five
    minutes after its process stops consuming. Not durable either: in a cluster a durable
    classic queue whose home node is down cannot be declared again (``NOT_FOUND - home node
    … is down``), and the broken re-declaration kept the whole connection from coming back,
    so the batches in flight were redelivered until they were dead-lettered. A transient
    queue goes with its node and is declared afresh on the next one (the news of that gap is
    lost to the cache, never to the store: docs/operators/reliability.md).
    """
    suffix = f"{service}.{event.EVENT_NAME.replace('.', '-')}.{process_id}"
    return RabbitQueue(
        f"{settings.stinet_namespace}.{suffix}",
        queue_type=QueueType.CLASSIC,
        durable=False,
        arguments={"x-expires": PROCESS_QUEUE_EXPIRES_MS},
        routing_key=event.EVENT_NAME,
    )


def dead_letter_queue(settings: Settings, sub: Subscription) -> RabbitQueue:
    return RabbitQueue(
        dlq_name(settings, sub),
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=queue_name(settings, sub),
    )


def unavailable_part(exc: BaseException | None) -> str | None:
    """``"store"`` or ``"broker"`` when the error says a part the handler needs could not be
    reached (the store) or would not take a publish (the broker: unreachable, timed out, or a
    nack because a queue the event is routed to has no leader yet); None for anything else,
    which may be the message's own fault."""
    if store_unavailable(exc):
        return "store"
    while exc is not None:
        if isinstance(exc, BrokerUnavailable):
            return "broker"
        exc = exc.__cause__
    return None


def store_unavailable(exc: BaseException | None) -> bool:
    """The error says the store could not be reached (not that the message is wrong).

    PyMongo's ``ConnectionFailure`` covers ``AutoReconnect``, ``NetworkTimeout`` and
    ``ServerSelectionTimeoutError``; an error raised ``from`` one of them counts too.
    """
    while exc is not None:
        if isinstance(exc, BaseExceptionGroup):
            return all(store_unavailable(inner) for inner in exc.exceptions)
        if isinstance(exc, ConnectionFailure):
            return True
        exc = exc.__cause__
    return False


class StoreOutage:
    """Messages of one queue held while the store (or the broker, for their publishes) is
    away: logged when the first is held, every ``HOLD_LOG_EVERY`` seconds while any is, and
    when the last one goes through; ``part`` names what was away."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.held = 0
        self.since = 0.0
        self.logged_at = 0.0
        self.part = "store"

    def hold(self, exc: BaseException, part: str = "store") -> None:
        self.held += 1
        if self.held == 1:
            self.part = part
            self.since = self.logged_at = time.monotonic()
            log.warning(
                f"{part}_unavailable_holding_messages",
                queue=self.queue,
                error=type(exc).__name__,
            )

    def still_down(self) -> None:
        now = time.monotonic()
        if now - self.logged_at >= HOLD_LOG_EVERY:
            self.logged_at = now
            log.warning(
                f"{self.part}_still_unavailable",
                queue=self.queue,
                held=self.held,
                seconds=round(now - self.since),
            )

    def release(self, *, delivered: bool) -> None:
        self.held -= 1
        if self.held == 0 and delivered:
            log.info(
                f"{self.part}_back_messages_resumed", queue=self.queue, seconds=self._seconds()
            )

    def _seconds(self) -> int:
        return round(time.monotonic() - self.since)


class StoreOutageHold:
    """Broker middleware: a message whose handler failed because the store is unreachable, or
    because the broker would not take what the handler publishes, is retried in the process,
    with back-off, instead of being nacked.

    A nack would spend one of the queue's ``x-delivery-limit`` deliveries per
    server-selection timeout, so a store outage of a few timeouts would dead-letter healthy
    work; in a cluster, every publish is nacked while a node that holds a routed queue is
    down (seen for 17 s in the cluster bench), and five quick retries dead-lettered batches
    the catalogue had stored. Held messages keep their prefetch slots, so the consumer
    effectively pauses and resumes by itself. When the subscriber stops (shutdown) the error
    goes on to the ack policy: nack, requeue, another process or the next start takes the
    message.
    """

    def __init__(self) -> None:
        self.outages: dict[str, StoreOutage] = {}

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return _HoldMiddleware(msg, context=context, hold=self)

    def outage(self, queue: str) -> StoreOutage:
        return self.outages.setdefault(queue, StoreOutage(queue))


class _HoldMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, hold: StoreOutageHold) -> None:
        super().__init__(msg, context=context)
        self.hold = hold

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        handler = self.context.get_local("handler_")
        if handler is None:
            return await call_next(msg)
        outage: StoreOutage | None = None
        delivered = False
        delay = HOLD_FIRST_DELAY
        try:
            while True:
                try:
                    result = await call_next(msg)
                    delivered = True
                    return result
                except Exception as exc:
                    part = unavailable_part(exc)
                    if part is None or not handler.running:
                        raise
                    if outage is None:
                        outage = self.hold.outage(_queue_of(handler))
                        outage.hold(exc, part)
                    outage.still_down()
                if not await _pause(delay, lambda: bool(handler.running)):
                    continue  # stopping: one last try, whose error goes to the ack policy
                delay = min(delay * 2, HOLD_MAX_DELAY)
        finally:
            if outage is not None:
                outage.release(delivered=delivered)


def _queue_of(handler: Any) -> str:
    queue = getattr(handler, "queue", None)
    return str(getattr(queue, "name", "") or handler)


async def _pause(seconds: float, running: Callable[[], bool]) -> bool:
    """Sleep ``seconds``, waking early when ``running`` turns false; whether it still holds.

    The subscriber has no stop event to wait on, only its ``running`` flag to look at.
    """
    steps = max(1, math.ceil(seconds / HOLD_STOP_CHECK))
    for _ in range(steps):
        if not running():
            break
        await asyncio.sleep(seconds / steps)
    return running()


def make_broker(settings: Settings, **kwargs: Any) -> RabbitBroker:
    """A broker whose defaults are the safe ones of docs/operators/reliability.md (and store
    outages held).

    With several addresses in ``AMQP_URL`` (a cluster) its connection fails over between
    them (``shared.amqp``); with one, it is FastStream's own connection, unchanged.
    """
    middlewares = (StoreOutageHold(), *kwargs.pop("middlewares", ()))
    urls = broker_urls(settings.amqp_url.get_secret_value())
    broker = RabbitBroker(
        urls[0],
        default_channel=Channel(
            prefetch_count=settings.stinet_prefetch,
            publisher_confirms=True,
            on_return_raises=True,
        ),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        graceful_timeout=30.0,
        fail_fast=True,
        middlewares=middlewares,
        **kwargs,
    )
    if len(urls) > 1:
        # FastStream hands these to aio-pika's connect_robust and has no argument for the
        # connection class: the one seam there is (pinned FastStream 0.7; a test connects
        # through it, so an upgrade that moves it fails loudly).
        broker._connection_kwargs["connection_class"] = failover_connection_class(urls)
    return broker


async def declare_topology(broker: RabbitBroker, settings: Settings) -> None:
    """Declare exchanges, every work queue and its DLQ, and their bindings (idempotent).

    Every service declares the whole topology at start, so a publish is routable even
    before its consumers have started.
    """
    main = await broker.declare_exchange(exchange(settings))
    dlx = await broker.declare_exchange(dead_letter_exchange(settings))
    for sub in SUBSCRIPTIONS:
        queue = await broker.declare_queue(work_queue(settings, sub))
        await queue.bind(main, routing_key=sub.event.EVENT_NAME)
        if has_dead_letter_queue(sub):
            dlq = await broker.declare_queue(dead_letter_queue(settings, sub))
            await dlq.bind(dlx, routing_key=queue_name(settings, sub))


def subscriber(
    broker: RabbitBroker, settings: Settings, service: str, event: type[Event]
) -> Callable[..., Any]:
    """The subscriber decorator for ``service``'s queue of ``event``, acked after success."""
    sub = subscription(service, event)
    return broker.subscriber(
        work_queue(settings, sub),
        exchange(settings),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=queue_name(settings, sub),
    )


async def publish_event(
    broker: RabbitBroker, settings: Settings, event: Event, *, origin: str | None = None
) -> None:
    """Publish persistently and wait for the broker's confirm; raises if not routed.

    ``origin``, the publishing process's id, lets that process skip its own messages.
    """
    await broker.publish(
        event.model_dump_json().encode(),
        exchange=exchange(settings),
        routing_key=event.EVENT_NAME,
        persist=True,
        mandatory=True,
        content_type="application/json",
        message_id=str(event.event_id),
        correlation_id=event.correlation_id,
        message_type=event.EVENT_NAME,
        headers={ORIGIN_HEADER: origin} if origin else None,
        timeout=10.0,
    )


PUBLISH_TIMEOUT = 10.0  # seconds for the confirm, over the broker's own per-publish timeout


class RabbitPublisher:
    """The one publisher of every service: persistent, mandatory, confirmed
    (:func:`publish_event`); any failure within :data:`PUBLISH_TIMEOUT` is
    :class:`shared.errors.BrokerUnavailable`.

    ``origin``, the publishing process's id, is carried in each message so that process can
    skip its own news (the catalogue's per-process queue).
    """

    def __init__(self, broker: RabbitBroker, settings: Settings, *, origin: str | None = None):
        self.broker = broker
        self.settings = settings
        self.origin = origin

    async def publish(self, event: Event) -> None:
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT):
                await publish_event(self.broker, self.settings, event, origin=self.origin)
        except BROKER_ERRORS as exc:
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc


async def delete_topology(settings: Settings) -> None:
    """Remove every queue, DLQ and exchange of ``settings``' namespace (tests, benches)."""
    connection = await connect_first(settings.amqp_url.get_secret_value())
    async with connection:
        for sub in SUBSCRIPTIONS:
            for name in (queue_name(settings, sub), dlq_name(settings, sub)):
                channel = await connection.channel()
                with contextlib.suppress(aio_pika.exceptions.ChannelClosed):
                    await channel.queue_delete(name)
        for name in (exchange(settings).name, dead_letter_exchange(settings).name):
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.ChannelClosed):
                await channel.exchange_delete(name)
