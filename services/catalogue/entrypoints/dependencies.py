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
from shared.http import port, ports_of
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


Records = Annotated[RecordStore, Depends(port(RoutePorts, lambda p: p.records))]
Members = Annotated[MemberStore, Depends(port(RoutePorts, lambda p: p.members))]
Publisher = Annotated[EventPublisher, Depends(port(RoutePorts, lambda p: p.publisher))]
Links = Annotated[LinkStore, Depends(port(RoutePorts, lambda p: p.links))]
Provider = Annotated[OaiProvider, Depends(port(OaiPorts, lambda p: p.provider))]
