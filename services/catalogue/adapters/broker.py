"""The ``EventPublisher`` port on RabbitMQ: persistent, confirmed, mandatory (DESIGN §6)."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from shared.config import Settings
from shared.events import Event
from shared.topology import publish_event


class RabbitEventPublisher:
    """Publishes through ``shared.topology.publish_event``; returns after the confirm."""

    def __init__(self, broker: RabbitBroker, settings: Settings) -> None:
        self.broker = broker
        self.settings = settings

    async def publish(self, event: Event) -> None:
        await publish_event(self.broker, self.settings, event)
