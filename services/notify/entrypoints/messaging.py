"""Subscribers: decode the shared contract, call a handler, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from services.notify import handlers
from services.notify.ports import FreshnessStore
from shared.config import Settings
from shared.events import MemberChanged, RecordsChanged
from shared.topology import subscriber


def register_subscribers(
    broker: RabbitBroker, settings: Settings, store: Callable[[], FreshnessStore]
) -> None:
    """``records.changed`` and ``member.changed`` → the freshness store (acked after it)."""

    @subscriber(broker, settings, "notify", RecordsChanged)
    async def on_records_changed(event: RecordsChanged) -> None:
        await handlers.record_changes(event, store=store())

    @subscriber(broker, settings, "notify", MemberChanged)
    async def on_member_changed(event: MemberChanged) -> None:
        await handlers.record_member(event, store=store())
