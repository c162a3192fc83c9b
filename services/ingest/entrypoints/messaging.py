"""Ingest's subscribers: decode the shared contract, call a use case, nothing else."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from services.ingest import handlers
from services.ingest.ports import EventPublisher, MemberDirectory, SubmissionStore
from shared.config import Settings
from shared.events import MemberChanged, SubmissionProcessed
from shared.topology import subscriber


def register_subscribers(
    broker: RabbitBroker,
    settings: Settings,
    *,
    members: MemberDirectory,
    submissions: SubmissionStore,
    publisher: EventPublisher,
) -> None:
    """Subscribe to ``member.changed`` and ``submission.processed`` (acked after storing)."""

    @subscriber(broker, settings, "ingest", MemberChanged)
    async def on_member_changed(event: MemberChanged) -> None:
        """Keep ``ingest_members`` in step with the catalogue's registry."""
        await handlers.member_changed(event, members=members)

    @subscriber(broker, settings, "ingest", SubmissionProcessed)
    async def on_submission_processed(event: SubmissionProcessed) -> None:
        """Store the per-record outcomes of one processed batch; announce a finished one."""
        await handlers.submission_processed(event, submissions=submissions, publisher=publisher)
