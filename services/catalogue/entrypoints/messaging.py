"""The catalogue's subscribers: decode the shared contract, call a handler, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from services.catalogue import handlers
from services.catalogue.ports import EventPublisher, MemberStore, RecordStore
from shared.config import Settings
from shared.events import RecordsSubmitted
from shared.topology import subscriber


def register_subscribers(
    broker: RabbitBroker,
    settings: Settings,
    *,
    records: Callable[[], RecordStore],
    members: Callable[[], MemberStore],
    publisher: Callable[[], EventPublisher],
) -> None:
    """Subscribe the catalogue to ``records.submitted`` (acked only after the outcome is out).

    One batch at a time per process: duplicate linking reads what earlier batches stored, and
    the database is the bottleneck anyway (overlapping batches only made it slower).
    """
    one_at_a_time = asyncio.Lock()

    @subscriber(broker, settings, "catalogue", RecordsSubmitted)
    async def on_records_submitted(event: RecordsSubmitted) -> None:
        """Store a batch of submitted records and answer with ``submission.processed``."""
        async with one_at_a_time:
            await handlers.store_submission(
                event, records=records(), members=members(), publisher=publisher()
            )
