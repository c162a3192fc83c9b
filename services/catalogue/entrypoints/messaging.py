"""The catalogue's subscribers: decode the shared contract, call a handler, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import RabbitBroker
from faststream.rabbit.annotations import RabbitMessage

from services.catalogue import handlers
from services.catalogue.pipeline import BatchGate
from services.catalogue.ports import EventPublisher, MemberStore, RecordStore
from shared.config import Settings
from shared.events import RecordsChanged, RecordsSubmitted
from shared.topology import ORIGIN_HEADER, exchange, process_queue, subscriber


def register_subscribers(
    broker: RabbitBroker,
    settings: Settings,
    *,
    process_id: str,
    records: Callable[[], RecordStore],
    members: Callable[[], MemberStore],
    publisher: Callable[[], EventPublisher],
    follow_others: bool = True,
) -> None:
    """Subscribe the catalogue to ``records.submitted`` (acked only after the outcome is out).

    Batches overlap through one ``BatchGate`` per process: reading and applying run
    concurrently for batches with disjoint record ids, linking and writing one batch at a
    time, announcements in write order (see ``services.catalogue.pipeline``).

    With ``follow_others`` (a store that keeps indexes in memory: the embedded one), every
    process also follows ``records.changed`` of the others, so that its indexes see their
    records. That subscriber is registered first: its queue is bound before the first batch
    fills the indexes from the store.
    """
    if follow_others:
        _follow_other_processes(broker, settings, process_id=process_id, records=records)
    gate = BatchGate()

    @subscriber(broker, settings, "catalogue", RecordsSubmitted)
    async def on_records_submitted(event: RecordsSubmitted) -> None:
        """Store a batch of submitted records and answer with ``submission.processed``."""
        await handlers.store_submission(
            event, records=records(), members=members(), publisher=publisher(), gate=gate
        )


async def _body_only(message: StreamMessage[object]) -> bytes:
    return message.body  # decoded below, and only for another process's message


def _follow_other_processes(
    broker: RabbitBroker,
    settings: Settings,
    *,
    process_id: str,
    records: Callable[[], RecordStore],
) -> None:
    queue = process_queue(settings, "catalogue", RecordsChanged, process_id)

    # A message that cannot be read is dropped, not retried: this queue has no delivery limit.
    @broker.subscriber(
        queue,
        exchange(settings),
        ack_policy=AckPolicy.REJECT_ON_ERROR,
        decoder=_body_only,
        title=queue.name,
    )
    async def on_records_changed(body: bytes, message: RabbitMessage) -> None:
        """Learn the duplicate keys of the records another catalogue process stored."""
        if message.headers.get(ORIGIN_HEADER) == process_id:
            return  # this process's own change: its index has the keys already
        event = RecordsChanged.model_validate_json(body)
        await records().learn_changes([change.record for change in event.changes])
