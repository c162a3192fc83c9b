"""What ingest's routes need, one object per router, and the ``Annotated`` aliases that hand
it to them per request (``shared.http.install_ports`` / ``ports_of``).

``create_app`` builds :class:`IngestPorts` (``entrypoints/http.py``) and
:class:`HarvestPorts` (``entrypoints/harvest.py``) once and installs them on the app; a test
that wires a router alone installs its own, with fakes.
"""

import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from services.ingest.domain import Refusal
from services.ingest.harvest.runner import Harvester
from services.ingest.ports import (
    EventPublisher,
    HarvestStore,
    KeyStore,
    MemberDirectory,
    SubmissionStore,
)
from shared.auth import Authenticator
from shared.http import ports_of


class RateLimiter:
    """Per-key moving window (in memory: one process); 429 with Retry-After beyond it."""

    def __init__(self, rate: str) -> None:
        self.item: RateLimitItem = parse(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, key_id: str) -> None:
        if self.limiter.hit(self.item, key_id):
            return
        stats = self.limiter.get_window_stats(self.item, key_id)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise Refusal(
            429,
            f"Gửi quá nhiều yêu cầu: tối đa {self.item.amount} yêu cầu mỗi "
            f"{self.item.get_expiry()} giây cho mỗi khoá. Thử lại sau {wait} giây.",
            f"Too many requests: at most {self.item.amount} per {self.item.get_expiry()} "
            f"seconds per key. Retry in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )


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
    limiter: RateLimiter  # INGEST_RATE_LIMIT, one window per key for the process


Routes = Annotated[IngestPorts, Depends(ports_of(IngestPorts))]


def _keys(ports: Routes) -> KeyStore:
    return ports.keys


def _members(ports: Routes) -> MemberDirectory:
    return ports.members


def _submissions(ports: Routes) -> SubmissionStore:
    return ports.submissions


def _limiter(ports: Routes) -> RateLimiter:
    return ports.limiter


Keys = Annotated[KeyStore, Depends(_keys)]
Members = Annotated[MemberDirectory, Depends(_members)]
Submissions = Annotated[SubmissionStore, Depends(_submissions)]
Limiter = Annotated[RateLimiter, Depends(_limiter)]


# --- the harvester's routes (entrypoints/harvest.py) -------------------------------------------


@dataclass(frozen=True)
class HarvestPorts:
    """What ``/v1/harvest-sources`` needs, built once by ``bootstrap.build_harvest``."""

    harvester: Harvester
    allow_private: bool  # HARVEST_ALLOW_PRIVATE_NETWORKS: base URLs on private networks too


Harvesting = Annotated[HarvestPorts, Depends(ports_of(HarvestPorts))]


def _sources(ports: Harvesting) -> HarvestStore:
    return ports.harvester.store


Sources = Annotated[HarvestStore, Depends(_sources)]
