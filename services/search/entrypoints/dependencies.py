"""What search's routes read, one frozen dataclass per group of routes, and their aliases.

``create_app`` builds each from the process's ports and puts it on the app
(``shared.http.install_ports``); a test that wires one router alone installs only that
router's, with its fakes. The console's and the guide's files are read once into
``ConsoleSite`` (``console.py``) and ``GuidePages`` (``guide.py``), beside the types they hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from pymongo.errors import PyMongoError

from services.search.handlers import Rebuilds
from services.search.ports import (
    LiveRecords,
    MemberDirectory,
    SearchAnalytics,
    SearchIndex,
    VisitCounter,
)
from services.search.web.pages import PortalFiles, portal_files
from shared.config import Settings
from shared.http import ports_of
from shared.logging import get_logger

log = get_logger("search.web")

MEMBER_NAMES_TTL = 30.0


class MemberNames:
    """Member names from the search service's own directory, cached for a few seconds."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, str]] = {}
        self._loaded_at = float("-inf")

    async def get(self, members: MemberDirectory) -> dict[str, dict[str, str]]:
        if time.monotonic() - self._loaded_at > MEMBER_NAMES_TTL:
            try:
                self._names = await members.names()
            except PyMongoError as exc:  # labels fall back to member codes; search still works
                log.warning("member_names_unavailable", error=type(exc).__name__)
            self._loaded_at = time.monotonic()
        return self._names


@dataclass(frozen=True)
class ApiPorts:
    """The ``/v1`` JSON API (``http.py``) and its citations (``discovery.py``'s cite route);
    ``analytics``: what people look for, counted for the centre (none: not counted)."""

    settings: Settings  # the public URL: citations' landing pages
    index: SearchIndex
    members: MemberDirectory
    rebuilds: Rebuilds
    visits: VisitCounter  # one more search with words
    analytics: SearchAnalytics | None = None


Api = Annotated[ApiPorts, Depends(ports_of(ApiPorts))]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AnalyticsPorts:
    """The centre's report of searches (``analytics.py``)."""

    analytics: SearchAnalytics
    clock: Callable[[], datetime] = _utcnow


Analytics = Annotated[AnalyticsPorts, Depends(ports_of(AnalyticsPorts))]


@dataclass(frozen=True)
class SitemapPorts:
    """``/robots.txt`` and the sitemap (``discovery.py``)."""

    settings: Settings  # the public URL the sitemap lists pages under
    live: LiveRecords


Sitemap = Annotated[SitemapPorts, Depends(ports_of(SitemapPorts))]


@dataclass(frozen=True)
class WebPorts:
    """The pages for people (``web.py``): ``visits`` are started and stopped with the router,
    and ``analytics`` too when given. The pages' files are read when this is built."""

    settings: Settings
    index: SearchIndex
    members: MemberDirectory
    visits: VisitCounter
    analytics: SearchAnalytics | None = None
    files: PortalFiles = field(default_factory=portal_files)
    names: MemberNames = field(default_factory=MemberNames)


Web = Annotated[WebPorts, Depends(ports_of(WebPorts))]


@dataclass(frozen=True)
class FeedPorts:
    """The Atom feed of a search (``feeds.py``)."""

    settings: Settings
    index: SearchIndex
    members: MemberDirectory
    names: MemberNames = field(default_factory=MemberNames)


Feed = Annotated[FeedPorts, Depends(ports_of(FeedPorts))]
