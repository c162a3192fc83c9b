"""The ``EventPublisher`` port on RabbitMQ: persistent, confirmed, mandatory (DESIGN §6)."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from services.catalogue.ports import BrokerUnavailable
from shared.config import Settings
from shared.events import Event
from shared.topology import BROKER_ERRORS, publish_event


class RabbitEventPublisher:
    """Publishes through ``shared.topology.publish_event``; returns after the confirm.

    Each message names this process (``process_id``), so it can skip its own news.
    """

    def __init__(self, broker: RabbitBroker, settings: Settings, *, process_id: str) -> None:
        self.broker = broker
        self.settings = settings
        self.process_id = process_id

    async def publish(self, event: Event) -> None:
        try:
            await publish_event(self.broker, self.settings, event, origin=self.process_id)
        except BROKER_ERRORS as exc:
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
