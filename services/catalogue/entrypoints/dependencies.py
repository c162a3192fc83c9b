"""What the catalogue's routes need, installed on the app by ``create_app`` (or a test).

``bootstrap.create_app`` calls ``install_ports(app, RoutePorts(...), OaiPorts(...))``; each
route receives its ports per request through the ``Annotated`` aliases below
(``shared.http.ports_of``). Two groups: the JSON API of ``http.py`` and the OAI-PMH endpoint
of ``oai.py``, which tests and the bench mount alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.catalogue.oai.provider import OaiProvider
from services.catalogue.ports import EventPublisher, LinkStore, MemberStore, RecordStore
from shared.http import ports_of
from shared.runtime import QueueDepth


@dataclass(frozen=True)
class RoutePorts:
    """The ports of ``http.py``'s routers (records, members, duplicates, ops)."""

    records: RecordStore
    members: MemberStore
    publisher: EventPublisher
    links: LinkStore
    queue_depths: Callable[[], Awaitable[list[QueueDepth]]]  # the broker's, read per request


@dataclass(frozen=True)
class OaiPorts:
    """The OAI-PMH endpoint's one provider (built once per process in bootstrap)."""

    provider: OaiProvider


Routes = Annotated[RoutePorts, Depends(ports_of(RoutePorts))]
Oai = Annotated[OaiPorts, Depends(ports_of(OaiPorts))]


def _records(ports: Routes) -> RecordStore:
    return ports.records


def _members(ports: Routes) -> MemberStore:
    return ports.members


def _publisher(ports: Routes) -> EventPublisher:
    return ports.publisher


def _links(ports: Routes) -> LinkStore:
    return ports.links


def _provider(ports: Oai) -> OaiProvider:
    return ports.provider


Records = Annotated[RecordStore, Depends(_records)]
Members = Annotated[MemberStore, Depends(_members)]
Publisher = Annotated[EventPublisher, Depends(_publisher)]
Links = Annotated[LinkStore, Depends(_links)]
Provider = Annotated[OaiProvider, Depends(_provider)]
