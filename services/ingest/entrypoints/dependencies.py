"""What ingest's routes need, one object per router, and the ``Annotated`` aliases that hand
it to them per request (``shared.http.install_ports`` / ``ports_of``).

``create_app`` builds :class:`IngestPorts` (``entrypoints/http.py``) and
:class:`HarvestPorts` (``entrypoints/harvest.py``) once and installs them on the app; a test
that wires a router alone installs its own, with fakes.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.ingest.harvest.runner import Harvester
from services.ingest.ports import (
    EventPublisher,
    HarvestStore,
    KeyStore,
    MemberDirectory,
    SubmissionStore,
)
from shared.auth import Authenticator
from shared.http import port, ports_of
from shared.ratelimit import RateLimit

# --- the public routes (entrypoints/http.py) ---------------------------------------------------


@dataclass(frozen=True)
class IngestPorts:
    """Everything the public routes need, built once by ``create_app``."""

    keys: KeyStore
    members: MemberDirectory
    submissions: SubmissionStore
    publisher: EventPublisher
    pepper: bytes  # the server pepper the key hashes are made with
    authenticator: Authenticator
    limiter: RateLimit  # INGEST_RATE_LIMIT per key, counted in the store (every replica)


Routes = Annotated[IngestPorts, Depends(ports_of(IngestPorts))]


Keys = Annotated[KeyStore, Depends(port(IngestPorts, lambda p: p.keys))]
Members = Annotated[MemberDirectory, Depends(port(IngestPorts, lambda p: p.members))]
Submissions = Annotated[SubmissionStore, Depends(port(IngestPorts, lambda p: p.submissions))]
Limiter = Annotated[RateLimit, Depends(port(IngestPorts, lambda p: p.limiter))]


# --- the harvester's routes (entrypoints/harvest.py) -------------------------------------------


@dataclass(frozen=True)
class HarvestPorts:
    """What ``/v1/harvest-sources`` needs, built once by ``bootstrap.build_harvest``."""

    harvester: Harvester
    allow_private: bool  # HARVEST_ALLOW_PRIVATE_NETWORKS: base URLs on private networks too


Harvesting = Annotated[HarvestPorts, Depends(ports_of(HarvestPorts))]


Sources = Annotated[HarvestStore, Depends(port(HarvestPorts, lambda p: p.harvester.store))]
