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
from shared.http import ports_of


@dataclass(frozen=True)
class RoutePorts:
    """Notify's routes' ports and configuration, built once per process by ``create_app``."""

    notify: NotifyPorts  # freshness, reminders and their mail, webhooks and events
    subscriptions: SubscriptionPorts  # saved searches and their digests
    config: NotifyConfig
    sub_config: SubscriptionConfig


Routes = Annotated[RoutePorts, Depends(ports_of(RoutePorts))]


def _notify(ports: Routes) -> NotifyPorts:
    return ports.notify


def _store(ports: Routes) -> FreshnessStore:
    return ports.notify.store


def _reminders(ports: Routes) -> ReminderLog:
    return ports.notify.reminders


def _subscriptions(ports: Routes) -> SubscriptionPorts:
    return ports.subscriptions


def _config(ports: Routes) -> NotifyConfig:
    return ports.config


def _sub_config(ports: Routes) -> SubscriptionConfig:
    return ports.sub_config


Notify = Annotated[NotifyPorts, Depends(_notify)]
Store = Annotated[FreshnessStore, Depends(_store)]
Reminders = Annotated[ReminderLog, Depends(_reminders)]
Subscriptions = Annotated[SubscriptionPorts, Depends(_subscriptions)]
Config = Annotated[NotifyConfig, Depends(_config)]
SubConfig = Annotated[SubscriptionConfig, Depends(_sub_config)]
