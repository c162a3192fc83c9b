"""The catalogue's subscribers: decode the shared contract, call a handler, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from services.catalogue import handlers
from services.catalogue.pipeline import BatchGate
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

    Batches overlap through one ``BatchGate`` per process: reading and applying run
    concurrently for batches with disjoint record ids, linking and writing one batch at a
    time, announcements in write order (see ``services.catalogue.pipeline``).
    """
    gate = BatchGate()

    @subscriber(broker, settings, "catalogue", RecordsSubmitted)
    async def on_records_submitted(event: RecordsSubmitted) -> None:
        """Store a batch of submitted records and answer with ``submission.processed``."""
        await handlers.store_submission(
            event, records=records(), members=members(), publisher=publisher(), gate=gate
        )
