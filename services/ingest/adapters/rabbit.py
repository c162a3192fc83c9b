"""Publishing ``records.submitted``, ``submission.completed`` and ``key.changed`` on RabbitMQ,
confirmed (DESIGN §6)."""

from __future__ import annotations

import asyncio

import aio_pika.exceptions
import aiormq.exceptions
from faststream.rabbit import RabbitBroker

from services.ingest.ports import BrokerUnavailable
from shared.config import Settings
from shared.events import KeyChanged, RecordsSubmitted, SubmissionCompleted
from shared.topology import publish_event

PUBLISH_TIMEOUT = 10.0


class RabbitBatchPublisher:
    """Persistent, mandatory, confirmed publishes; any failure is :class:`BrokerUnavailable`."""

    def __init__(self, broker: RabbitBroker, settings: Settings) -> None:
        self.broker = broker
        self.settings = settings

    async def publish(self, event: RecordsSubmitted | KeyChanged | SubmissionCompleted) -> None:
        try:
            await asyncio.wait_for(
                publish_event(self.broker, self.settings, event), PUBLISH_TIMEOUT
            )
        except (
            TimeoutError,
            ConnectionError,
            OSError,
            aio_pika.exceptions.AMQPError,
            aiormq.exceptions.AMQPError,
            RuntimeError,
        ) as exc:
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
