"""Subscribers of the search service: decode the shared contract, call a handler, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from services.search.handlers import apply_member_change, apply_record_changes
from services.search.ports import MemberDirectory, SearchIndex
from shared.config import Settings
from shared.events import MemberChanged, RecordsChanged
from shared.topology import subscriber


def register_subscribers(
    broker: RabbitBroker,
    settings: Settings,
    *,
    get_index: Callable[[], SearchIndex],
    get_members: Callable[[], MemberDirectory],
) -> None:
    """Consume ``records.changed`` and ``member.changed`` on the search service's queues."""

    @subscriber(broker, settings, "search", RecordsChanged)
    async def on_records_changed(event: RecordsChanged) -> None:
        await apply_record_changes(event, index=get_index())

    @subscriber(broker, settings, "search", MemberChanged)
    async def on_member_changed(event: MemberChanged) -> None:
        await apply_member_change(event, members=get_members())
