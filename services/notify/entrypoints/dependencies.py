"""What notify's routes receive per request, and the ``Annotated`` aliases they take it by.

``create_app`` installs one :class:`RoutePorts` (``install_ports(app, RoutePorts(...))``), so
a test that builds its app through ``create_app(settings, bootstrap(settings, ...))`` wires
its fakes the same way. The ports are the frozen dataclasses the use cases already take
(``NotifyPorts``, ``SubscriptionPorts``): the routes hand them on whole, so they are held
here, not copied field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.notify.handlers import NotifyConfig
from services.notify.ports import FreshnessStore, NotifyPorts, ReminderLog
from services.notify.subscription_handlers import SubscriptionConfig, SubscriptionPorts
from shared.http import port, ports_of


@dataclass(frozen=True)
class RoutePorts:
    """Notify's routes' ports and configuration, built once per process by ``create_app``."""

    notify: NotifyPorts  # freshness, reminders and their mail, webhooks and events
    subscriptions: SubscriptionPorts  # saved searches and their digests
    config: NotifyConfig
    sub_config: SubscriptionConfig


Routes = Annotated[RoutePorts, Depends(ports_of(RoutePorts))]


Notify = Annotated[NotifyPorts, Depends(port(RoutePorts, lambda p: p.notify))]
Store = Annotated[FreshnessStore, Depends(port(RoutePorts, lambda p: p.notify.store))]
Reminders = Annotated[ReminderLog, Depends(port(RoutePorts, lambda p: p.notify.reminders))]
Subscriptions = Annotated[SubscriptionPorts, Depends(port(RoutePorts, lambda p: p.subscriptions))]
Config = Annotated[NotifyConfig, Depends(port(RoutePorts, lambda p: p.config))]
SubConfig = Annotated[SubscriptionConfig, Depends(port(RoutePorts, lambda p: p.sub_config))]
