"""Dead-letter queues: see what failed, and replay it once the cause is fixed.

    python -m devstack.dlq list                       # depth of every queue and its .dlq
    python -m devstack.dlq replay search.records-changed [--limit N]
    python -m devstack.dlq replay --all

A replayed message is published back to its work queue (persistent, confirmed by the broker)
before it is acked from the DLQ, so a crash in between duplicates a message — harmless, the
handlers are idempotent — and never loses one. Uses the same settings as the services
(``AMQP_URL``, ``STINET_NAMESPACE``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel

from shared.amqp import connect_first
from shared.config import Settings, load_settings
from shared.topology import SUBSCRIPTIONS, Subscription, dlq_name, queue_name

# Headers the broker adds on dead-lettering/delivery; a replay starts a fresh life.
_BROKER_HEADERS = (
    "x-death",
    "x-delivery-count",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
)


@dataclass(frozen=True)
class Depth:
    queue: str
    messages: int
    dead: int


def dead_lettered(settings: Settings) -> list[Subscription]:
    return [sub for sub in SUBSCRIPTIONS if sub.service != "audit"]


async def _count(channel: AbstractChannel, name: str) -> int:
    queue = await channel.declare_queue(name, passive=True)
    return int(queue.declaration_result.message_count or 0)


async def depth(channel: AbstractChannel, settings: Settings, sub: Subscription) -> Depth:
    """Ready messages in one work queue and its DLQ (both must exist)."""
    name = queue_name(settings, sub)
    return Depth(name, await _count(channel, name), await _count(channel, dlq_name(settings, sub)))


async def depths(settings: Settings) -> list[Depth]:
    """Ready messages in every work queue and its DLQ (queues must exist)."""
    connection = await connect_first(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        return [await depth(channel, settings, sub) for sub in dead_lettered(settings)]


def find(settings: Settings, suffix: str) -> Subscription:
    """The subscription named ``service.event-name`` (e.g. ``search.records-changed``)."""
    for sub in dead_lettered(settings):
        if sub.suffix == suffix or queue_name(settings, sub) == suffix:
            return sub
    known = ", ".join(sub.suffix for sub in dead_lettered(settings))
    raise SystemExit(f"unknown queue {suffix!r}; one of: {known}")


async def replay(settings: Settings, sub: Subscription, *, limit: int | None = None) -> int:
    """Move up to ``limit`` messages from the DLQ back to the work queue; returns the count."""
    target = queue_name(settings, sub)
    connection = await connect_first(settings.amqp_url.get_secret_value())
    moved = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dlq = await channel.declare_queue(dlq_name(settings, sub), passive=True)
        while limit is None or moved < limit:
            message = await dlq.get(no_ack=False, fail=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if k not in _BROKER_HEADERS}
            headers["x-stinet-replayed"] = int(headers.get("x-stinet-replayed", 0) or 0) + 1
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    content_type=message.content_type,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    type=message.type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=target,
                mandatory=True,
            )
            await message.ack()
            moved += 1
    return moved


async def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.dlq", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="depth of every work queue and its dead-letter queue")
    again = commands.add_parser("replay", help="move dead-lettered messages back to work")
    again.add_argument("queue", nargs="?", help="service.event, e.g. search.records-changed")
    again.add_argument("--all", action="store_true", help="every dead-letter queue")
    again.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    settings = load_settings()

    if args.command == "list":
        for depth in await depths(settings):
            print(f"{depth.queue:<55} ready {depth.messages:>8}   dlq {depth.dead:>8}")
        return 0
    if not args.all and not args.queue:
        parser.error("replay needs a queue or --all")
    subs = dead_lettered(settings) if args.all else [find(settings, args.queue)]
    for sub in subs:
        moved = await replay(settings, sub, limit=args.limit)
        print(f"{dlq_name(settings, sub)} -> {queue_name(settings, sub)}: {moved} replayed")
    return 0


def main() -> None:
    sys.exit(asyncio.run(_main(sys.argv[1:])))


if __name__ == "__main__":
    main()
