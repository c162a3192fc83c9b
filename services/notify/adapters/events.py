"""Publishes notify's events on the shared broker."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker

from shared.config import Settings
from shared.events import ReminderSent
from shared.topology import publish_event


class BrokerPublisher:
    def __init__(self, broker: RabbitBroker, settings: Settings) -> None:
        self._broker = broker
        self._settings = settings

    async def reminder_sent(self, event: ReminderSent) -> None:
        """Persistent, confirmed, mandatory (``shared.topology.publish_event``)."""
        await publish_event(self._broker, self._settings, event)
