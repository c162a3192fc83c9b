"""Subscribers: decode the shared contract, call a handler, nothing else."""

from __future__ import annotations

from collections.abc import Callable

from faststream.rabbit import RabbitBroker

from services.notify import handlers
from services.notify.handlers import NotifyConfig
from services.notify.ports import NotifyPorts
from shared.config import Settings
from shared.events import MemberChanged, RecordsChanged, SubmissionCompleted
from shared.topology import subscriber


def register_subscribers(
    broker: RabbitBroker,
    settings: Settings,
    ports: Callable[[], NotifyPorts],
    config: NotifyConfig,
) -> None:
    """``records.changed`` and ``member.changed`` → the freshness store;
    ``submission.completed`` → the member's import report, sent once (acked after it)."""

    @subscriber(broker, settings, "notify", RecordsChanged)
    async def on_records_changed(event: RecordsChanged) -> None:
        await handlers.record_changes(event, store=ports().store)

    @subscriber(broker, settings, "notify", MemberChanged)
    async def on_member_changed(event: MemberChanged) -> None:
        await handlers.record_member(event, store=ports().store)

    @subscriber(broker, settings, "notify", SubmissionCompleted)
    async def on_submission_completed(event: SubmissionCompleted) -> None:
        p = ports()
        await handlers.report_import(
            event,
            store=p.store,
            reminders=p.reminders,
            mailer=p.mailer,
            webhooks=p.webhooks,
            config=config,
        )
